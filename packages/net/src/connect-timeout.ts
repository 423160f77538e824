import type * as nodeNet from 'node:net';
import { Errno, uringError } from '@uring/abi';
import { TIMEOUT_MAX, validateTimeout } from './io-timeouts.js';

/**
 * `connectTimeout` (an @uring/net option of connect(); node:net has none): milliseconds the
 * connection attempt itself may take, 0 or undefined for no limit. Unlike `timeout` — node:net's
 * idle timer, which only emits 'timeout' — it ends the attempt: the socket is destroyed with
 * `connect ETIMEDOUT <address>:<port>` (code ETIMEDOUT, errno, syscall 'connect', address, port),
 * the error the kernel gives when its own SYN retries run out. On io_uring it is a linked timeout
 * (IORING_OP_LINK_TIMEOUT, 5.5) on the connect SQE, so the kernel cancels the attempt; on the
 * node:net fallback, a timer that destroys the socket. Host name resolution is not counted.
 *
 * Validates as Node validates a number option: ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE.
 */
export function validateConnectTimeout(value: unknown): number {
  return validateTimeout(value, 'options.connectTimeout');
}

/** The error a connect that ran out of time ends with, shaped like node:net's. */
export function connectTimedOut(address: string, port: number | undefined): Error {
  return uringError(-Errno.ETIMEDOUT, 'connect', { net: { address, port } });
}

/** The fallback's connectTimeout: destroys a node:net socket still connecting after `ms`. */
export function limitConnect(socket: nodeNet.Socket, ms: number, address: string, port: number | undefined): void {
  if (ms <= 0) return;
  const timer = setTimeout(() => {
    if (socket.connecting) socket.destroy(connectTimedOut(address, port));
  }, Math.min(ms, TIMEOUT_MAX)); // (longer: as long as a timer goes, far past the kernel's own SYN retries)
  const clear = () => clearTimeout(timer);
  socket.once('connect', clear);
  socket.once('close', clear);
}
