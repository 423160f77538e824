/**
 * @uring/ring — the io_uring submission/completion protocol in TypeScript, over the memory
 * @uring/abi maps: get SQEs, prep them, submit with one syscall, copy CQEs in batches.
 * Modeled on Zig's std `IoUring`; names follow liburing's in camelCase.
 */
export { IoUring, type IoUringOptions } from './io-uring.js';
export { Sqes } from './sqe.js';
export { CqeBatch } from './cqe.js';
export { SubmissionQueue } from './submission-queue.js';
export { CompletionQueue } from './completion-queue.js';
export { Probe, prepRecvLimitProbe, takesRecvLimit } from './probe.js';
export { BufferRing } from './buffer-ring.js';
export { SubmissionQueueFullError } from './errors.js';
