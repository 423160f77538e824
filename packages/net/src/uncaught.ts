import type { EventEmitter } from 'node:events';
import { callUncaught } from '@uring/loop';

/**
 * `emitter.emit(event, ...args)` from code that runs in a promise's reaction (an async function
 * after an await): there, what a listener throws would reject that promise — lost, or taken for
 * the operation's own failure. node:net emits these events from libuv callbacks, where a
 * listener's exception is uncaught; so is it here (callUncaught: rethrown from the next tick).
 * Returns false when a listener threw: the caller then stops where node:net's callback would.
 */
export function emitUncaught(emitter: EventEmitter, event: string, ...args: unknown[]): boolean {
  return callUncaught(() => emitter.emit(event, ...args));
}
