/** Thrown by `getSqe()` when every SQE is in use: submit (or reap) first. Zig returns an error here; liburing returns NULL. */
export class SubmissionQueueFullError extends Error {
  readonly code = 'ERR_URING_SQ_FULL';
  constructor(entries: number) {
    super(`The submission queue is full (${entries} entries): submit before getting more SQEs`);
    this.name = 'SubmissionQueueFullError';
  }
}
