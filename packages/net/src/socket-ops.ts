import { fstatSync, type Stats } from 'node:fs';
import { isatty } from 'node:tty';
import { CancelFlag, Linux, RecvSendFlag, addressOf, iovecs, encodeSockaddr, getpeername, getsockname, getsockopt, decodeSockaddr, ioctlInt, setsockopt, shutdown as shutdownNow, type NetErrorContext, type SocketAddress } from '@uring/abi';
import { addressOfView, getLoop, type CancelSignal } from '@uring/loop';

/**
 * The socket syscalls as ring operations on this thread's loop, errors shaped like node:net's.
 * socket (5.19), connect (5.5), bind and listen (6.11; a server's done before listen() returns,
 * through Loop.runNow), accept, send, recv, close; shutdown(2) itself (see shutdown below).
 */

const SOCKADDR_STORAGE = 128;

/** A per-operation limit in ms as the loop takes it: 0 (none given) leaves the loop's default in force. */
const limit = (ms: number): number | undefined => (ms > 0 ? ms : undefined);

export function domainOf(addr: SocketAddress): number {
  return addr.family === 'unix' ? Linux.AF_UNIX : addr.family === 'IPv6' ? Linux.AF_INET6 : Linux.AF_INET;
}

/** socket(domain, SOCK_STREAM | SOCK_CLOEXEC, 0). */
export function socket(domain: number, net: NetErrorContext): Promise<number> {
  return getLoop().submit((s, i) => s.prepSocket(i, domain, Linux.SOCK_STREAM | Linux.SOCK_CLOEXEC, 0), { syscall: 'socket', net });
}

function withSockaddr(syscall: string, fd: number, addr: SocketAddress, net: NetErrorContext, prep: 'bind' | 'connect', signal?: CancelSignal, timeout = 0): Promise<number> {
  const { buffer, length } = encodeSockaddr(addr);
  const at = addressOf(buffer);
  // A connect waits on its peer (unbounded: see the loop's maxInFlight), a bind does not.
  return getLoop().submit(prep === 'bind' ? (s, i) => s.prepBind(i, fd, at, length) : (s, i) => s.prepConnect(i, fd, at, length), { syscall, keep: buffer, net, signal, timeout: limit(timeout), unbounded: prep === 'connect' });
}

/** connect(2); with `timeout` (ms) under a linked timeout: ETIMEDOUT when it runs out. */
export const connect = (fd: number, addr: SocketAddress, net: NetErrorContext, signal?: CancelSignal, timeout = 0) =>
  withSockaddr('connect', fd, addr, net, 'connect', signal, timeout);
/** bind(2) of a connecting socket's local end (connect's localAddress/localPort): errors say `bind`, as node:net's. */
export const bindLocal = (fd: number, addr: SocketAddress, net: NetErrorContext) => withSockaddr('bind', fd, addr, net, 'bind');

/**
 * socket, bind and listen done before they return (Loop.runNow), for a server's listen(), which
 * node:net's has bound and listening when it returns. Each returns its result: >= 0, or -errno.
 */
export const socketNow = (domain: number): number => getLoop().runNow((s, i) => s.prepSocket(i, domain, Linux.SOCK_STREAM | Linux.SOCK_CLOEXEC, 0));

export function bindNow(fd: number, addr: SocketAddress): number {
  const { buffer, length } = encodeSockaddr(addr);
  const at = addressOf(buffer);
  return getLoop().runNow((s, i) => s.prepBind(i, fd, at, length), buffer);
}

export const listenNow = (fd: number, backlog: number): number => getLoop().runNow((s, i) => s.prepListen(i, fd, backlog));

/**
 * One recv into `buffer`: the byte count, 0 at EOF. With IORING_RECVSEND_POLL_FIRST (5.19) the
 * kernel arms its poll first instead of trying a receive that, on a socket just drained, would
 * find nothing: the next message is usually still on its way.
 */
export function recv(fd: number, buffer: Buffer, signal: AbortSignal, unref = false): Promise<number> {
  const at = addressOfView(buffer);
  return getLoop().submit(
    (s, i) => {
      s.prepRecv(i, fd, at, buffer.length, 0);
      s.addIoprio(i, RecvSendFlag.POLL_FIRST);
    },
    { syscall: 'read', keep: buffer, signal, unref, net: {}, unbounded: true },
  );
}

/** The error context of a socket operation with no address to show (node:net's `write EPIPE`); shared, never written. */
const NO_ADDRESS = Object.freeze({});

/**
 * Sends, receives and connects wait on the peer, for ever if it never reads, sends or answers:
 * they are `unbounded` (not counted against the loop's maxInFlight), or as many idle or stalled
 * connections as it allows would hold every slot and leave every other operation waiting.
 *
 * send of one buffer, or writev of several (Node ignores SIGPIPE, as libuv expects); with
 * `ms` under a linked timeout: ETIMEDOUT when it makes no progress in time. Calls back
 * (error, bytes) from the reap (Loop.submitCallback): a socket sends on every write, and a
 * promise per send cost more than the send's own JavaScript.
 */
export function send(fd: number, buffers: readonly ArrayBufferView[], ms: number, callback: (error: Error | null, sent: number) => void): void {
  const timeout = limit(ms);
  if (buffers.length === 1) {
    const b = buffers[0]!;
    const at = addressOfView(b);
    getLoop().submitCallback((s, i) => s.prepSend(i, fd, at, b.byteLength, Linux.MSG_NOSIGNAL), { syscall: 'write', keep: b, net: NO_ADDRESS, timeout, unbounded: true }, callback);
    return;
  }
  // At most IOV_MAX buffers a writev (more is EINVAL): the caller sends the rest as it does after a short send.
  const some = buffers.length > Linux.IOV_MAX ? buffers.slice(0, Linux.IOV_MAX) : buffers;
  const vecs = iovecs(some.map((b) => ({ address: addressOfView(b), length: b.byteLength })));
  const at = addressOf(vecs);
  const n = some.length;
  getLoop().submitCallback((s, i) => s.prepWritev(i, fd, at, n, -1), { syscall: 'write', keep: [some, vecs], net: NO_ADDRESS, timeout, unbounded: true }, callback);
}

/**
 * Cancels every operation in flight on `fd` (IORING_ASYNC_CANCEL_FD with CANCEL_ALL, 5.19; each
 * ends with ECANCELED): for a send that waits on a peer that takes no data — node:net's close
 * cancels its pending writes (libuv's UV_ECANCELED). Resolves how many were cancelled; rejects with
 * ENOENT when none was left.
 */
export function cancelAll(fd: number): Promise<number> {
  return getLoop().submit((s, i) => s.prepCancelFd(i, fd, CancelFlag.ALL), { syscall: 'cancel' });
}

/**
 * shutdown(fd, SHUT_WR): the FIN after the data sent so far; 0 or -errno. The syscall, not
 * IORING_OP_SHUTDOWN (5.11): the kernel runs that opcode only in an io-wq worker (its prep sets
 * REQ_F_FORCE_ASYNC), a thread woken per end() — where shutdown(2) on a TCP socket never blocks
 * (the FIN is queued, not waited for). A loop of sequential connections from one process, each
 * ended with end(), used ~2x node:net's context switches per connection with the opcode (2026-12-07).
 * libuv's uv__drain makes the same syscall (from the next poll, when the socket is writable).
 */
export function shutdown(fd: number): number {
  return shutdownNow(fd, Linux.SHUT_WR);
}

/**
 * shutdown(fd, SHUT_RDWR): what close(2) does to the connection, with the descriptor kept — the
 * FIN after the data sent so far; a TCP peer's data arriving after it resets the connection (as at
 * a closed socket: the kernel resets a FIN_WAIT socket shut for reading that gets data), and a Unix
 * peer's writes fail with EPIPE. 0 or -errno. For destroy(), whose close waits for its operations.
 */
export function shutdownBoth(fd: number): number {
  return shutdownNow(fd, Linux.SHUT_RDWR);
}

/** The bytes in the socket's receive queue, not yet taken by a receive (FIONREAD); or -errno. */
export function unreadInKernel(fd: number): number {
  return ioctlInt(fd, Linux.FIONREAD);
}

const tcpInfo = new Uint8Array(8);

/**
 * Whether the TCP connection is over (tcp_info's state TCP_CLOSE): after an end of stream, that
 * it was reset, not ended by a FIN (CLOSE_WAIT or later). False for a Unix socket (no tcp_info).
 */
export function isClosedTcp(fd: number): boolean {
  return getsockopt(fd, Linux.IPPROTO_TCP, Linux.TCP_INFO, tcpInfo) > 0 && tcpInfo[0] === Linux.TCP_CLOSE;
}

export function close(fd: number): Promise<number> {
  return getLoop().closeFd(fd);
}

/**
 * close(2) through the ring with no promise (Loop.post): `then` runs once its CQE is reaped — or
 * at once when the loop refuses it. Its failure is not reported, as node:net's handle close reports
 * none: for a socket's own close at destroy, one per connection.
 */
export function closeThen(fd: number, then: () => void): void {
  getLoop().post((s, i) => s.prepClose(i, fd), { syscall: 'close', onRelease: then });
}

/**
 * The buffer the synchronous calls below (getsockname, setsockopt) pass to the kernel, reused:
 * each is done with it before it returns. A Buffer of its own per call cost more than the syscall
 * (~1.4 µs to allocate against ~1 µs, and garbage for the collector, on every accepted connection).
 */
const scratch = Buffer.alloc(SOCKADDR_STORAGE);

/** getsockname / getpeername, decoded. */
export function sockName(fd: number, peer: boolean): SocketAddress | undefined {
  const n = peer ? getpeername(fd, scratch) : getsockname(fd, scratch);
  return n < 0 ? undefined : decodeSockaddr(scratch, n);
}

/**
 * What libuv's uv_guess_handle makes of `fd` — node:net's guessHandleType, which decides whether
 * `new Socket({ fd })` takes it: 'TTY' for a terminal; 'FILE' for a regular file or a character
 * device; 'PIPE' for a Unix stream socket, and for a FIFO, told apart here as 'FIFO' (node:net's
 * 'PIPE' too); 'TCP' and 'UDP' for IPv4/IPv6 stream and datagram sockets; 'UNKNOWN' for anything
 * else, a closed descriptor included.
 */
export function handleType(fd: number): 'TCP' | 'PIPE' | 'FIFO' | 'UDP' | 'TTY' | 'FILE' | 'UNKNOWN' {
  if (isatty(fd)) return 'TTY';
  let stats: Stats;
  try {
    stats = fstatSync(fd);
  } catch {
    return 'UNKNOWN';
  }
  if (stats.isFile() || stats.isCharacterDevice()) return 'FILE';
  if (stats.isFIFO()) return 'FIFO';
  if (!stats.isSocket()) return 'UNKNOWN';
  const type = scratch.subarray(0, 4);
  const family = sockName(fd, false)?.family;
  if (getsockopt(fd, Linux.SOL_SOCKET, Linux.SO_TYPE, type) < 0 || family === undefined) return 'UNKNOWN';
  const inet = family === 'IPv4' || family === 'IPv6';
  if (type.readInt32LE(0) === Linux.SOCK_STREAM) return inet ? 'TCP' : family === 'unix' ? 'PIPE' : 'UNKNOWN';
  return type.readInt32LE(0) === Linux.SOCK_DGRAM && inet ? 'UDP' : 'UNKNOWN';
}

/** SO_LINGER on, with `seconds`: 0 makes close() reset the connection (RST) rather than end it. */
export function setLinger(fd: number, seconds: number): number {
  const b = scratch.subarray(0, 8);
  b.writeInt32LE(1, 0);
  b.writeInt32LE(seconds, 4);
  return setsockopt(fd, Linux.SOL_SOCKET, Linux.SO_LINGER, b);
}

/**
 * libuv 1.46's uv__tcp_keepalive, which node:net uses: SO_KEEPALIVE, and when on with a delay of
 * 1 s or more, TCP_KEEPIDLE = the delay, TCP_KEEPINTVL = 1 s, TCP_KEEPCNT = 10.
 */
export function setKeepAlive(fd: number, on: boolean, seconds: number): void {
  setIntOption(fd, Linux.SOL_SOCKET, Linux.SO_KEEPALIVE, on ? 1 : 0);
  if (!on || seconds < 1) return;
  setIntOption(fd, Linux.IPPROTO_TCP, Linux.TCP_KEEPIDLE, seconds);
  setIntOption(fd, Linux.IPPROTO_TCP, Linux.TCP_KEEPINTVL, 1);
  setIntOption(fd, Linux.IPPROTO_TCP, Linux.TCP_KEEPCNT, 10);
}

/** setsockopt with an int value; returns 0 or -errno. */
export function setIntOption(fd: number, level: number, name: number, value: number): number {
  const b = scratch.subarray(0, 4);
  b.writeInt32LE(value);
  return setsockopt(fd, level, name, b);
}
