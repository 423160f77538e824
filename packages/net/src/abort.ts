import type { EventEmitter } from 'node:events';
import { invalidArgType } from '@uring/abi';

/** Node's validateAbortSignal: ERR_INVALID_ARG_TYPE for anything but an AbortSignal. */
export function validateSignal(signal: unknown, name: string): asserts signal is AbortSignal {
  if (signal === null || typeof signal !== 'object' || !('aborted' in signal)) throw invalidArgType(name, 'an instance of AbortSignal', signal);
}

/**
 * Calls `abort` when `signal` aborts, until `owner` emits 'close' (then the listener is removed,
 * so a long-lived signal does not keep a closed socket or server). A signal aborted already calls
 * it from the next tick, as node:net's socket and server do.
 */
export function closeOnAbort(owner: EventEmitter, signal: AbortSignal, abort: () => void): void {
  if (signal.aborted) {
    process.nextTick(abort);
    return;
  }
  signal.addEventListener('abort', abort, { once: true });
  owner.once('close', () => signal.removeEventListener('abort', abort));
}
