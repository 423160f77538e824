/**
 * @uring/abi — the io_uring kernel interface for Node.js: the three syscalls, the ring memory as
 * external ArrayBuffers, an eventfd poller inside Node's event loop, and the constants and struct
 * layouts of `linux/io_uring.h`. Native calls return `-errno`; `uringError` turns one into a
 * Node-shaped Error.
 */
export * from './constants.js';
export * as layout from './layout.js';
export { setU64, getU64 } from './layout.js';
export { uringError, netError, check, hasErrno, outOfDescriptors, errnoName, outOfRange, invalidArgType, invalidArgValue, validateInteger, describeReceived, type SystemError, type ErrorContext, type NetErrorContext } from './errors.js';
export { setup, type SetupParams, type KernelParams, type RingMemory, type SqOffsets, type CqOffsets } from './setup.js';
export { enter, register, close, eventfd, fcntl, pipe, getsockname, getpeername, setsockopt, getsockopt, accept4, shutdown, ioctlInt, closeOnTeardown, forgetOnTeardown } from './syscalls.js';
export { throwUncaught } from './uncaught.js';
export { addressOf, allocAligned, alignedBuffer, raiseMallocThresholds } from './memory.js';
export { EventfdPoller } from './poller.js';
export { cString, timespec, writeTimespec, iovecs, openHow, encodeSockaddr, decodeSockaddr, type SocketAddress } from './structs.js';
export { support, type SupportReport, type UnsupportedReason } from './support.js';
export { native, type NativeBinding } from './binding.js';
