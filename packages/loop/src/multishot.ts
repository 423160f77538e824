import { CqeFlag } from '@uring/abi';
import { rethrow } from './uncaught.js';

/** One CQE of a multishot operation. */
export interface MultishotCqe {
  /** The result: >= 0, or -errno. */
  res: number;
  /** IORING_CQE_F_* bits (MORE, BUFFER with the buffer id in the high 16 bits, ...). */
  flags: number;
}

/** What the loop gives a Multishot: how to cancel it, and ref/unref it. */
export interface MultishotControl {
  cancel(): void;
  /** Whether the reap going on still holds a CQE of the operation (see Multishot.pendingInReap). */
  pendingInReap(): boolean;
  ref(): void;
  unref(): void;
}

/**
 * A running multishot operation (multishot accept, recv with a buffer ring, poll, timeout): its
 * CQEs go to `onCqe` when one was given, else they queue for `for await (const cqe of handle)`.
 * The loop re-arms the operation when the kernel ends it (a CQE without IORING_CQE_F_MORE) and
 * `rearm` says so. `done` settles when the operation ends: resolves on cancel() or a final CQE
 * that is not an error, rejects with the error (or an AbortError) otherwise; `onEnd`, when given,
 * is told the same from a microtask, without a promise.
 */
export class Multishot implements AsyncIterable<MultishotCqe> {
  #done: Promise<void> | undefined;
  #control: MultishotControl;
  #onCqe: ((res: number, flags: number) => void) | undefined;
  #releaseBuffer: ((bufferId: number) => void) | undefined;
  /** The iterating consumer has left (return()): CQEs still to come are seen by no one. */
  #left = false;
  #queue: MultishotCqe[] = [];
  #waiter: ((r: IteratorResult<MultishotCqe>) => void) | undefined;
  #failWaiter: ((e: unknown) => void) | undefined;
  #ended = false;
  #error: unknown;
  #resolve: (() => void) | undefined;
  #reject: ((e: unknown) => void) | undefined;
  #onEnd: ((error: unknown) => void) | undefined;

  constructor(control: MultishotControl, onCqe?: (res: number, flags: number) => void, releaseBuffer?: (bufferId: number) => void, onEnd?: (error: unknown) => void) {
    this.#control = control;
    this.#onCqe = onCqe;
    this.#releaseBuffer = releaseBuffer;
    this.#onEnd = onEnd;
  }

  /**
   * Settles when the operation ends (see the class). Made when first asked for: a socket's
   * receive, told through `onEnd`, makes no promise at all (a promise, its guard and the
   * caller's reaction per receive armed).
   */
  get done(): Promise<void> {
    if (this.#done === undefined) {
      if (!this.#ended) {
        this.#done = new Promise<void>((resolve, reject) => {
          this.#resolve = resolve;
          this.#reject = reject;
        });
      } else this.#done = this.#error === undefined ? Promise.resolve() : Promise.reject(this.#error);
      // A caller that only iterates must not get an unhandled rejection from `done` as well.
      this.#done.catch(() => {});
    }
    return this.#done;
  }

  /** Cancels the operation (ASYNC_CANCEL); `done` resolves once its final CQE has arrived. */
  cancel(): void {
    this.#control.cancel();
  }

  /**
   * Whether the loop, reaping now, still holds a CQE of this operation it has not delivered —
   * later in the batch being settled, or possibly among those posted since — so that a caller in
   * one of this batch's handlers can tell whether the kernel has already handed over more than it
   * has seen. False outside a reap.
   */
  pendingInReap(): boolean {
    return this.#control.pendingInReap();
  }

  /** While running, keep the process alive (the default). */
  ref(): this {
    this.#control.ref();
    return this;
  }

  /** Do not keep the process alive for this operation (like an unref'd server handle). */
  unref(): this {
    this.#control.unref();
    return this;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** @internal the loop hands each CQE over. */
  deliver(res: number, flags: number): void {
    if (this.#onCqe) {
      try {
        this.#onCqe(res, flags);
      } catch (error) {
        // As for any Node callback: the handler's exception is uncaught — but it must not stop
        // the loop from settling the rest of the CQEs it has already taken off the ring.
        process.nextTick(rethrow, error);
      }
      return;
    }
    if (this.#left) return this.drop(flags);
    const cqe = { res, flags };
    if (this.#waiter) {
      const waiter = this.#waiter;
      this.#waiter = this.#failWaiter = undefined;
      waiter({ value: cqe, done: false });
    } else this.#queue.push(cqe);
  }

  /**
   * @internal A CQE no one will see — it came after an abort, or after the iterating consumer
   * left: the provided buffer it carries (IORING_CQE_F_BUFFER, the buffer id in the upper 16 bits
   * of its flags) is the caller's, and goes back through `releaseBuffer`; without it the buffer
   * ring would be one buffer short for good.
   */
  drop(flags: number): void {
    if (flags & CqeFlag.BUFFER) this.#releaseBuffer?.(flags >>> 16);
  }

  /** @internal the operation is over. */
  end(error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    if (error === undefined) this.#resolve?.();
    else this.#reject?.(error);
    // From a microtask, as a reaction to `done` would run: end() comes from inside the loop (a
    // reap, a cancel()), which the handler may call back into.
    const onEnd = this.#onEnd;
    if (onEnd) queueMicrotask(() => onEnd(error));
    if (this.#waiter) {
      const [waiter, fail] = [this.#waiter, this.#failWaiter!];
      this.#waiter = this.#failWaiter = undefined;
      if (error === undefined) waiter({ value: undefined, done: true });
      else fail(error);
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<MultishotCqe> {
    return {
      next: () => {
        const queued = this.#queue.shift();
        if (queued) return Promise.resolve({ value: queued, done: false });
        if (this.#ended) {
          return this.#error === undefined ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(this.#error);
        }
        return new Promise((resolve, reject) => {
          this.#waiter = resolve;
          this.#failWaiter = reject;
        });
      },
      return: () => {
        this.#left = true;
        for (const cqe of this.#queue.splice(0)) this.drop(cqe.flags);
        if (!this.#ended) this.cancel();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
