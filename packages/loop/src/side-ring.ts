import { closeOnTeardown, forgetOnTeardown } from '@uring/abi';
import { CqeBatch, IoUring, type Sqes } from '@uring/ring';

/**
 * A loop's second, two-entry ring, for the few operations a caller needs finished before its call
 * returns (Loop.runNow): node:net's listen() creates, binds and listens before it returns. Each
 * operation is submitted and waited for alone (io_uring_submit_and_wait, as liburing's
 * io_uring_submit_and_wait(ring, 1)), so the wait sees that operation's CQE and nothing else —
 * on the loop's ring it would reap other operations' completions, and run their callbacks, in the
 * middle of the caller's call.
 */
export class SideRing {
  readonly #ring: IoUring;
  readonly #batch = new CqeBatch(1);
  /** What the running operation's SQE points to, held until its CQE has come. */
  #keep: unknown;

  constructor() {
    this.#ring = IoUring.init(2);
    closeOnTeardown(this.#ring.fd);
  }

  /** Writes one SQE with `prep`, waits for its CQE, returns its result: >= 0, or -errno. `keep` (what the SQE points to) stays referenced until then. */
  run(prep: (sqes: Sqes, i: number) => void, keep?: unknown): number {
    const ring = this.#ring;
    this.#keep = keep;
    try {
      const i = ring.getSqe();
      prep(ring.sqes, i);
      ring.sqes.setUserData(i, 1);
      ring.submitAndWait(1);
      ring.cq.copy(this.#batch);
      return this.#batch.res(0);
    } finally {
      this.#keep = undefined;
    }
  }

  close(): void {
    forgetOnTeardown(this.#ring.fd);
    this.#ring.close();
  }
}
