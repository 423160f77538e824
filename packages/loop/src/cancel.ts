import { rethrow } from './uncaught.js';

/**
 * What an operation's `signal` option needs: AbortSignal's `aborted` and `reason`, and an
 * 'abort' listener per operation, added when it starts and removed when it ends. An AbortSignal
 * is one; so is a {@link Cancellation}.
 */
export interface CancelSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * A signal and its controller in one, for a library's own operations that only it cancels (a
 * connect that the socket's destroy() ends). It behaves as an AbortController's signal for what
 * the loop asks of one — each listener called once, in the order added, by the first abort();
 * one added after it never — at a fraction of the cost: on Node 20 an AbortController with an
 * 'abort' listener added and removed took ~6 µs, its abort() ~10 µs more (an Event dispatched
 * through EventTarget), against well under 1 µs here (2026-12-07). Not an EventTarget: give
 * user code an AbortSignal.
 */
export class Cancellation implements CancelSignal {
  #aborted = false;
  #reason: unknown = undefined;
  #listeners: (() => void)[] | undefined;

  get aborted(): boolean {
    return this.#aborted;
  }

  /** What abort() was given; undefined before. */
  get reason(): unknown {
    return this.#reason;
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.#aborted) return;
    (this.#listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const listeners = this.#listeners;
    const at = listeners ? listeners.indexOf(listener) : -1;
    if (at >= 0) listeners!.splice(at, 1);
  }

  /**
   * Aborts once (later calls do nothing): `aborted` becomes true, `reason` this one, and the
   * listeners are called. One that throws does not stop the others; its error is thrown from the
   * next tick, as EventTarget reports a listener's throw.
   */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (!listeners) return;
    for (const listener of listeners) {
      try {
        listener();
      } catch (error) {
        process.nextTick(rethrow, error);
      }
    }
  }
}
