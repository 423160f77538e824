/**
 * @uring/loop — io_uring operations as promises inside Node's event loop: one kernel entry per
 * tick, completions through an eventfd, timeouts, AbortSignal, backpressure, multishot, the
 * identity guard, metrics.
 */
export { Loop, type FixedFile, type LinkStep, type LoopOptions, type OpOptions, type SubmitOptions, type CallbackOptions, type OpCallback, type MultishotOptions, type CloseOptions, type Prep, addressOfView, viewsAfter } from './loop.js';
export { getLoop } from './current.js';
export { Cancellation, type CancelSignal } from './cancel.js';
export { Multishot, type MultishotCqe } from './multishot.js';
export { Metrics } from './metrics.js';
export { callUncaught } from './uncaught.js';
export { AbortError, LoopClosedError, CredentialsChangedError, UringUnavailableError } from './errors.js';
