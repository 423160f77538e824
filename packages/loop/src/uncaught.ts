import { throwUncaught } from '@uring/abi';

/**
 * Makes `error` uncaught — as `process.nextTick(rethrow, error)`, from the next tick, once the
 * batch it was caught in is settled. Through @uring/abi's throwUncaught rather than a `throw`,
 * so that the source line Node prints above the stack is the thrower's, not this one's.
 */
export const rethrow = (error: unknown): void => {
  throwUncaught(error);
};

/**
 * Calls `fn(...args)` as Node calls a callback from libuv: what it throws is uncaught — rethrown
 * from the next tick, to the process's 'uncaughtException' (or its end) — where, called from a
 * promise's reaction (an operation's `.then`, an async function after an await), it would
 * reject that promise instead: lost, or an 'unhandledRejection'. For a layer that hands the
 * user's callbacks and listeners what a promise settled. Returns whether `fn` returned normally.
 */
export function callUncaught<A extends unknown[]>(fn: (...args: A) => unknown, ...args: A): boolean {
  try {
    fn(...args);
    return true;
  } catch (error) {
    process.nextTick(rethrow, error);
    return false;
  }
}
