import type * as nodeNet from 'node:net';
import { Errno, invalidArgType, netError, outOfRange } from '@uring/abi';

/** The longest timer Node keeps (2^31 - 1 ms, ~24.8 days): node:net cuts a longer socket timeout to it, and so do the fallback's timers here (a plain setTimeout() would fire after 1 ms). */
export const TIMEOUT_MAX = 2 ** 31 - 1;

/**
 * Receive and send timeouts (@uring/net's own; node:net has none — its `timeout` is an idle timer
 * that only emits 'timeout'). They end the connection, as SO_RCVTIMEO / SO_SNDTIMEO end a blocked
 * call: the socket is destroyed with `read ETIMEDOUT` or `write ETIMEDOUT` (code ETIMEDOUT, errno,
 * syscall). Milliseconds; 0 or undefined for none.
 *
 * - `recvTimeout`: no data for that long while the socket is reading. A socket that is not
 *   reading — paused, or whose consumer is full — is not timed; the clock starts again when it reads.
 * - `sendTimeout`: written data the peer does not take (a send that makes no progress) for that long.
 *
 * On io_uring each send carries a linked timeout (IORING_OP_LINK_TIMEOUT, 5.5), so the kernel
 * cancels the stuck send; the receive clock is an IORING_OP_TIMEOUT (5.4) on the loop, re-armed
 * lazily for what is left after the last arrival rather than once per receive. On the node:net
 * fallback, timers do the same (a stuck send is noticed between one and two periods after its
 * last progress; a period over TIMEOUT_MAX, ~24.8 days, counts as that).
 */
export interface IoTimeouts {
  recvTimeout?: number;
  sendTimeout?: number;
}

/**
 * A non-negative finite number of milliseconds (0 when undefined), validated as Node validates a
 * number option: ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE. `connectTimeout`, `recvTimeout` and
 * `sendTimeout` all take this form.
 */
export function validateTimeout(value: unknown, name: string): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isFinite(value) || value < 0) throw outOfRange(name, 'a finite number >= 0', value);
  return value;
}

/** Both I/O timeouts of `options`, validated. */
export function validateIoTimeouts(options: IoTimeouts): { recv: number; send: number } {
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  return { recv: validateTimeout(options.recvTimeout, 'options.recvTimeout'), send: validateTimeout(options.sendTimeout, 'options.sendTimeout') };
}

/** The error a timed-out receive or send ends the socket with, shaped like node:net's (`read ETIMEDOUT`). */
export function ioTimedOut(syscall: 'read' | 'write'): Error {
  return netError(-Errno.ETIMEDOUT, syscall);
}

const fallback = new WeakMap<nodeNet.Socket, { recv: number; send: number; stop: () => void }>();

/**
 * The fallback's I/O timeouts on a node:net socket, by timers: the receive clock restarts on each
 * 'data' and does not run while the socket is paused or its buffer is full; the send check looks
 * each period for written data still pending that has not moved since the period before.
 * As Socket.setIoTimeouts: 0 turns one off, an absent one is left as it is.
 */
export function limitNodeIo(socket: nodeNet.Socket, options: IoTimeouts): void {
  const valid = validateIoTimeouts(options);
  const previous = fallback.get(socket);
  previous?.stop();
  fallback.delete(socket);
  const recv = options.recvTimeout !== undefined ? valid.recv : (previous?.recv ?? 0);
  const send = options.sendTimeout !== undefined ? valid.send : (previous?.send ?? 0);
  if (recv <= 0 && send <= 0) return;
  let recvTimer: NodeJS.Timeout | undefined;
  let sendTimer: NodeJS.Timeout | undefined;
  const armRecv = () => {
    clearTimeout(recvTimer);
    recvTimer = setTimeout(() => {
      if (socket.destroyed || socket.readableEnded) return;
      const waiting = socket.isPaused() || socket.readableLength >= socket.readableHighWaterMark;
      if (waiting || socket.connecting) armRecv(); // not reading: not timed
      else socket.destroy(ioTimedOut('read'));
    }, Math.min(recv, TIMEOUT_MAX)).unref();
  };
  // Progress: what the stream still holds, and what libuv still queues of the write in flight
  // (the handle's writeQueueSize shrinks as the kernel takes a large write piece by piece).
  const pending = () => `${socket.writableLength}/${(socket as unknown as { _handle?: { writeQueueSize?: number } })._handle?.writeQueueSize ?? 0}`;
  let last = '';
  const checkSend = () => {
    sendTimer = setTimeout(() => {
      if (socket.destroyed) return;
      const now = pending();
      if (socket.writableLength > 0 && !socket.connecting && now === last) return socket.destroy(ioTimedOut('write'));
      last = now;
      checkSend();
    }, Math.min(send, TIMEOUT_MAX)).unref();
  };
  if (recv > 0) {
    armRecv();
    socket.on('data', armRecv);
    socket.on('resume', armRecv);
  }
  if (send > 0) checkSend();
  const stop = () => {
    clearTimeout(recvTimer);
    clearTimeout(sendTimer);
    socket.off('data', armRecv);
    socket.off('resume', armRecv);
    socket.off('close', stop);
  };
  socket.on('close', stop);
  fallback.set(socket, { recv, send, stop });
}
