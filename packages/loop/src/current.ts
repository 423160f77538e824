import { Loop, type LoopOptions } from './loop.js';

let current: Loop | undefined;

/**
 * This thread's loop (the main thread and each worker_thread have their own: module state is per
 * thread), created on first use with `options`. A loop that was closed, or that refuses work after
 * the process changed its credentials, is replaced by a new one with the current credentials.
 * Throws UringUnavailableError where io_uring cannot be used.
 */
export function getLoop(options?: LoopOptions): Loop {
  if (current === undefined || !current.usable) current = new Loop(options);
  return current;
}
