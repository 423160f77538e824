import { native } from './binding.js';

/**
 * Makes `error` an uncaught exception now, as if it had been thrown from a libuv callback: it goes
 * to process._fatalException ('uncaughtException' and 'uncaughtExceptionMonitor', or the end of the
 * process with Node's report), and the source line Node prints above the stack is the one where
 * the error was made (napi_fatal_exception, N-API 3), not the caller's. Returns once a handler took
 * it. Where the addon does not load (no io_uring here, so none of its operations ran) it throws
 * `error` instead, which the caller's caller sees as uncaught the same way, with its own line.
 */
export function throwUncaught(error: unknown): void {
  let fatalException: ((error: unknown) => number) | undefined;
  try {
    fatalException = native().fatalException;
  } catch {
    // the addon does not load: fall through to a plain throw
  }
  if (fatalException === undefined || fatalException(error) !== 0) throw error;
}
