import { native } from './binding.js';
import { check } from './errors.js';

/**
 * io_uring_enter(2). Returns the number of SQEs consumed, or `-errno` (never throws: the caller
 * decides what EINTR, EBUSY and EAGAIN mean). With IORING_ENTER_EXT_ARG (5.11), `arg` is a
 * `struct io_uring_getevents_arg` and its length is passed as the size.
 */
export function enter(fd: number, toSubmit: number, minComplete: number, flags: number, arg?: ArrayBufferView): number {
  return native().enter(fd, toSubmit, minComplete, flags, arg);
}

/** io_uring_register(2). Returns the result or `-errno`; `arg` is the opcode's argument struct. */
export function register(fd: number, opcode: number, arg: ArrayBufferView | ArrayBuffer | null, nrArgs: number): number {
  return native().register(fd, opcode, arg, nrArgs);
}

/** close(2). Returns 0 or `-errno`. */
export function close(fd: number): number {
  return native().close(fd);
}

/** eventfd(2) with `flags` (EFD_NONBLOCK, EFD_CLOEXEC, ...). Throws a Node-shaped error on failure. */
export function eventfd(initval = 0, flags = 0): number {
  return check(native().eventfd(initval, flags), 'eventfd');
}

/** fcntl(2) for commands with an integer argument (F_SETPIPE_SZ, F_GETFL, ...); the result or `-errno`. */
export function fcntl(fd: number, cmd: number, arg = 0): number {
  return native().fcntl(fd, cmd, arg);
}

/** pipe2(2): `[readFd, writeFd]`. Throws a Node-shaped error on failure. `flags`: O_CLOEXEC, O_NONBLOCK. */
export function pipe(flags = 0): [number, number] {
  const fds = new Int32Array(2);
  check(native().pipe(fds, flags), 'pipe');
  return [fds[0]!, fds[1]!];
}

/** getsockname(2) into `out` (a sockaddr_storage-sized buffer); returns the address length or `-errno`. */
export function getsockname(fd: number, out: ArrayBufferView): number {
  return native().getsockname(fd, out);
}

/** getpeername(2) into `out`; returns the address length or `-errno`. */
export function getpeername(fd: number, out: ArrayBufferView): number {
  return native().getpeername(fd, out);
}

/** setsockopt(2) with the option's raw bytes; returns 0 or `-errno`. */
export function setsockopt(fd: number, level: number, name: number, value: ArrayBufferView): number {
  return native().setsockopt(fd, level, name, value);
}

/** getsockopt(2) into `out`; returns the option's length or `-errno`. */
export function getsockopt(fd: number, level: number, name: number, out: ArrayBufferView): number {
  return native().getsockopt(fd, level, name, out);
}

/**
 * accept4(2) (`flags`: SOCK_CLOEXEC, SOCK_NONBLOCK); returns the connection's descriptor or
 * `-errno`. At once, for what IORING_OP_ACCEPT would wait on: on a listening socket made
 * O_NONBLOCK, -EAGAIN says no connection is queued (IORING_ACCEPT_DONTWAIT does so from the
 * ring only since 6.10).
 */
export function accept4(fd: number, flags: number): number {
  return native().accept4(fd, flags);
}

/**
 * shutdown(2) (`how`: SHUT_RD, SHUT_WR, SHUT_RDWR); returns 0 or `-errno`. Done at once on a
 * TCP socket: SHUT_WR queues the FIN behind the data already sent and does not wait for it.
 */
export function shutdown(fd: number, how: number): number {
  return native().shutdown(fd, how);
}

/**
 * ioctl(2) for a request whose argument is an int the kernel fills — FIONREAD (SIOCINQ): the
 * bytes waiting in a socket's or pipe's receive queue; returns that int or `-errno`. At once,
 * where IORING_OP_URING_CMD's SIOCINQ (6.7) would answer from the ring.
 */
export function ioctlInt(fd: number, request: number): number {
  return native().ioctlInt(fd, request);
}

/**
 * Arms a hook that, when this Node environment is torn down (process exit, worker termination),
 * cancels every request on ring `fd` synchronously (IORING_REGISTER_SYNC_CANCEL, 6.0) and closes
 * it, so the kernel cannot write into buffers V8 frees. Undo with `forgetOnTeardown` before
 * closing the ring yourself. Returns 0, or -EEXIST when already armed.
 */
export function closeOnTeardown(fd: number): number {
  return native().closeOnTeardown(fd);
}

/** Disarms `closeOnTeardown(fd)`. Returns 0, or -ENOENT when it was not armed. */
export function forgetOnTeardown(fd: number): number {
  return native().forgetOnTeardown(fd);
}
