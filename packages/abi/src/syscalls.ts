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
