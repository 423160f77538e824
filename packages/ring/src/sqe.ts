import {
  AcceptFlag,
  CancelFlag,
  FILE_INDEX_ALLOC,
  Op,
  PollFlag,
  RecvSendFlag,
  SqeFlag,
} from '@uring/abi';

const TWO_32 = 0x1_0000_0000;
/** High 32 bits of a u64 given as a Number; -1 (all ones) gives 0xffffffff. */
const hi = (value: number): number => Math.floor(value / TWO_32) >>> 0;

/**
 * The SQE array, written in place with typed arrays: the prep helpers of liburing's
 * `liburing.h`, in camelCase (`io_uring_prep_read` → `prepRead`), taking the SQE index that
 * `IoUring.getSqe()` returned.
 *
 * Like liburing's, they take memory as addresses (`addressOf(buffer)` once per buffer pool, plus
 * offsets) and never keep a reference: the caller keeps every buffer, path and struct an SQE
 * points at alive until its CQE arrives. 64-bit fields (offsets, addresses, user_data) are taken
 * as Numbers below 2^53, or as two 32-bit halves where noted; an offset of -1 means "the file
 * position" (IORING_FEAT_RW_CUR_POS, 5.6).
 */
export class Sqes {
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly u32: Uint32Array;
  readonly i32: Int32Array;

  constructor(memory: ArrayBuffer) {
    this.u8 = new Uint8Array(memory);
    this.u16 = new Uint16Array(memory);
    this.u32 = new Uint32Array(memory);
    this.i32 = new Int32Array(memory);
  }

  /**
   * `io_uring_prep_rw`: the common fields; every other field (flags, ioprio, op flags, user_data,
   * buf_index, personality, file_index, addr3) is zeroed, so an SQE never carries a previous use.
   */
  prepRw(i: number, op: number, fd: number, addr: number, len: number, off: number): void {
    const w = i << 4;
    const u32 = this.u32;
    u32[w] = op; // opcode, flags = 0, ioprio = 0
    this.i32[w + 1] = fd;
    u32[w + 2] = off >>> 0;
    u32[w + 3] = hi(off);
    u32[w + 4] = addr >>> 0;
    u32[w + 5] = hi(addr);
    u32[w + 6] = len;
    u32[w + 7] = 0;
    u32[w + 8] = 0;
    u32[w + 9] = 0;
    u32[w + 10] = 0;
    u32[w + 11] = 0;
    u32[w + 12] = 0;
    u32[w + 13] = 0;
    u32[w + 14] = 0;
    u32[w + 15] = 0;
  }

  // ---- per-SQE fields -------------------------------------------------------------------------

  /** `io_uring_sqe_set_data64` with the value as two 32-bit halves: no BigInt on the hot path. */
  setUserData(i: number, lo: number, hi = 0): void {
    const w = i << 4;
    this.u32[w + 8] = lo;
    this.u32[w + 9] = hi;
  }

  /** user_data as a Number (exact below 2^53). */
  getUserData(i: number): number {
    const w = i << 4;
    return this.u32[w + 9]! * TWO_32 + this.u32[w + 8]!;
  }

  /** `io_uring_sqe_set_flags`: replaces sqe->flags (IOSQE_*). */
  setFlags(i: number, flags: number): void {
    this.u8[(i << 6) + 1] = flags;
  }

  /** ORs IOSQE_* bits into sqe->flags. */
  addFlags(i: number, flags: number): void {
    this.u8[(i << 6) + 1] |= flags;
  }

  /** IOSQE_IO_LINK: the next SQE starts only after this one succeeds (a failure cancels the rest). */
  link(i: number): void {
    this.addFlags(i, SqeFlag.IO_LINK);
  }

  /** IOSQE_IO_HARDLINK (5.6): like link, but the chain goes on even when this one fails. */
  hardlink(i: number): void {
    this.addFlags(i, SqeFlag.IO_HARDLINK);
  }

  /** IOSQE_IO_DRAIN: starts only after every earlier SQE has completed. */
  drain(i: number): void {
    this.addFlags(i, SqeFlag.IO_DRAIN);
  }

  /** IOSQE_FIXED_FILE: sqe->fd is an index into the registered file table (a direct descriptor). */
  fixedFile(i: number): void {
    this.addFlags(i, SqeFlag.FIXED_FILE);
  }

  /** IOSQE_CQE_SKIP_SUCCESS (5.17): post a CQE only if this SQE fails. */
  skipSuccess(i: number): void {
    this.addFlags(i, SqeFlag.CQE_SKIP_SUCCESS);
  }

  /** IOSQE_ASYNC: go straight to an io-wq worker instead of trying inline first. */
  async(i: number): void {
    this.addFlags(i, SqeFlag.ASYNC);
  }

  /** IOSQE_BUFFER_SELECT with the buffer group: the kernel picks a provided buffer. */
  bufferSelect(i: number, group: number): void {
    this.addFlags(i, SqeFlag.BUFFER_SELECT);
    this.u16[(i << 5) + 20] = group;
  }

  /** sqe->ioprio, which send/recv/accept use for their own flags. */
  addIoprio(i: number, flags: number): void {
    this.u16[(i << 5) + 1] |= flags;
  }

  /** sqe->buf_index / buf_group. */
  setBufIndex(i: number, index: number): void {
    this.u16[(i << 5) + 20] = index;
  }

  /** sqe->file_index as liburing's `__io_uring_set_target_fixed_file`: the slot + 1, or ALLOC. */
  setTargetFixedFile(i: number, fileIndex: number): void {
    this.u32[(i << 4) + 11] = fileIndex === FILE_INDEX_ALLOC ? FILE_INDEX_ALLOC : fileIndex + 1;
  }

  /** The op-specific flags word (rw_flags, fsync_flags, open_flags, timeout_flags, ...). */
  setOpFlags(i: number, flags: number): void {
    this.u32[(i << 4) + 7] = flags;
  }

  // ---- operations -----------------------------------------------------------------------------

  /** `io_uring_prep_nop` (5.1). */
  prepNop(i: number): void {
    this.prepRw(i, Op.NOP, -1, 0, 0, 0);
  }

  /** `io_uring_prep_read` (5.6): pread(fd, addr, len, offset). */
  prepRead(i: number, fd: number, addr: number, len: number, offset: number): void {
    this.prepRw(i, Op.READ, fd, addr, len, offset);
  }

  /** `io_uring_prep_write` (5.6): pwrite(fd, addr, len, offset). */
  prepWrite(i: number, fd: number, addr: number, len: number, offset: number): void {
    this.prepRw(i, Op.WRITE, fd, addr, len, offset);
  }

  /** `io_uring_prep_readv` (5.1): preadv over `nrVecs` iovecs at `iovecs`. */
  prepReadv(i: number, fd: number, iovecs: number, nrVecs: number, offset: number): void {
    this.prepRw(i, Op.READV, fd, iovecs, nrVecs, offset);
  }

  /** `io_uring_prep_writev` (5.1). */
  prepWritev(i: number, fd: number, iovecs: number, nrVecs: number, offset: number): void {
    this.prepRw(i, Op.WRITEV, fd, iovecs, nrVecs, offset);
  }

  /** `io_uring_prep_read_fixed` (5.1): into registered buffer `bufIndex` (addr inside it). */
  prepReadFixed(i: number, fd: number, addr: number, len: number, offset: number, bufIndex: number): void {
    this.prepRw(i, Op.READ_FIXED, fd, addr, len, offset);
    this.setBufIndex(i, bufIndex);
  }

  /** `io_uring_prep_write_fixed` (5.1). */
  prepWriteFixed(i: number, fd: number, addr: number, len: number, offset: number, bufIndex: number): void {
    this.prepRw(i, Op.WRITE_FIXED, fd, addr, len, offset);
    this.setBufIndex(i, bufIndex);
  }

  /** `io_uring_prep_fsync` (5.1); `flags` FSYNC_DATASYNC makes it fdatasync. */
  prepFsync(i: number, fd: number, flags = 0): void {
    this.prepRw(i, Op.FSYNC, fd, 0, 0, 0);
    this.setOpFlags(i, flags);
  }

  /** `io_uring_prep_fallocate` (5.6): mode in len, length in addr, as the kernel reads them. */
  prepFallocate(i: number, fd: number, mode: number, offset: number, length: number): void {
    this.prepRw(i, Op.FALLOCATE, fd, length, mode, offset);
  }

  /** `io_uring_prep_fadvise` (5.6). */
  prepFadvise(i: number, fd: number, offset: number, length: number, advice: number): void {
    this.prepRw(i, Op.FADVISE, fd, 0, length, offset);
    this.setOpFlags(i, advice);
  }

  /** `io_uring_prep_openat` (5.6): `path` is the address of a NUL-terminated string. */
  prepOpenat(i: number, dfd: number, path: number, flags: number, mode: number): void {
    this.prepRw(i, Op.OPENAT, dfd, path, mode, 0);
    this.setOpFlags(i, flags);
  }

  /** `io_uring_prep_openat_direct` (5.15): opens into direct-descriptor slot `fileIndex` (or FILE_INDEX_ALLOC). */
  prepOpenatDirect(i: number, dfd: number, path: number, flags: number, mode: number, fileIndex: number): void {
    this.prepOpenat(i, dfd, path, flags, mode);
    this.setTargetFixedFile(i, fileIndex);
  }

  /** `io_uring_prep_openat2` (5.6): `how` is the address of a `struct open_how`. */
  prepOpenat2(i: number, dfd: number, path: number, how: number): void {
    this.prepRw(i, Op.OPENAT2, dfd, path, 24, how);
  }

  /** `io_uring_prep_close` (5.6). */
  prepClose(i: number, fd: number): void {
    this.prepRw(i, Op.CLOSE, fd, 0, 0, 0);
  }

  /** `io_uring_prep_close_direct` (5.15): frees direct-descriptor slot `fileIndex`. */
  prepCloseDirect(i: number, fileIndex: number): void {
    this.prepClose(i, 0);
    this.setTargetFixedFile(i, fileIndex);
  }

  /** `io_uring_prep_statx` (5.6): fills the `struct statx` at `statxbuf`. */
  prepStatx(i: number, dfd: number, path: number, flags: number, mask: number, statxbuf: number): void {
    this.prepRw(i, Op.STATX, dfd, path, mask, statxbuf);
    this.setOpFlags(i, flags);
  }

  /** `io_uring_prep_renameat` (5.11). */
  prepRenameat(i: number, oldDfd: number, oldPath: number, newDfd: number, newPath: number, flags = 0): void {
    this.prepRw(i, Op.RENAMEAT, oldDfd, oldPath, newDfd, newPath);
    this.setOpFlags(i, flags);
  }

  /** `io_uring_prep_unlinkat` (5.11); AT_REMOVEDIR makes it rmdir. */
  prepUnlinkat(i: number, dfd: number, path: number, flags = 0): void {
    this.prepRw(i, Op.UNLINKAT, dfd, path, 0, 0);
    this.setOpFlags(i, flags);
  }

  /** `io_uring_prep_mkdirat` (5.15). */
  prepMkdirat(i: number, dfd: number, path: number, mode: number): void {
    this.prepRw(i, Op.MKDIRAT, dfd, path, mode, 0);
  }

  /** `io_uring_prep_symlinkat` (5.15): creates `linkPath` (relative to newDfd) pointing at `target`. */
  prepSymlinkat(i: number, target: number, newDfd: number, linkPath: number): void {
    this.prepRw(i, Op.SYMLINKAT, newDfd, target, 0, linkPath);
  }

  /** `io_uring_prep_linkat` (5.15). */
  prepLinkat(i: number, oldDfd: number, oldPath: number, newDfd: number, newPath: number, flags = 0): void {
    this.prepRw(i, Op.LINKAT, oldDfd, oldPath, newDfd, newPath);
    this.setOpFlags(i, flags);
  }

  /** `io_uring_prep_ftruncate` (6.9). */
  prepFtruncate(i: number, fd: number, length: number): void {
    this.prepRw(i, Op.FTRUNCATE, fd, 0, 0, length);
  }

  /** `io_uring_prep_splice` (5.7): one side must be a pipe, whose offset is -1. */
  prepSplice(i: number, fdIn: number, offIn: number, fdOut: number, offOut: number, nbytes: number, flags = 0): void {
    this.prepRw(i, Op.SPLICE, fdOut, offIn, nbytes, offOut);
    this.i32[(i << 4) + 11] = fdIn;
    this.setOpFlags(i, flags);
  }

  /** `io_uring_prep_tee` (5.8): duplicates pipe data without consuming it. */
  prepTee(i: number, fdIn: number, fdOut: number, nbytes: number, flags = 0): void {
    this.prepRw(i, Op.TEE, fdOut, 0, nbytes, 0);
    this.i32[(i << 4) + 11] = fdIn;
    this.setOpFlags(i, flags);
  }

  /**
   * `io_uring_prep_timeout` (5.4): completes with -ETIME after the `__kernel_timespec` at `ts`, or
   * with 0 once `count` other CQEs have been posted (0: time only).
   */
  prepTimeout(i: number, ts: number, count = 0, flags = 0): void {
    this.prepRw(i, Op.TIMEOUT, -1, ts, 1, count);
    this.setOpFlags(i, flags);
  }

  /** `io_uring_prep_timeout_remove` (5.5), by the timeout's user_data halves. */
  prepTimeoutRemove(i: number, userDataLo: number, userDataHi = 0, flags = 0): void {
    this.prepRw(i, Op.TIMEOUT_REMOVE, -1, 0, 0, 0);
    this.u32[(i << 4) + 4] = userDataLo;
    this.u32[(i << 4) + 5] = userDataHi;
    this.setOpFlags(i, flags);
  }

  /**
   * `io_uring_prep_link_timeout` (5.5): placed right after a linked SQE, cancels it when the
   * timespec elapses (the op then completes with -ECANCELED, the timeout with -ETIME; if the op
   * finishes first the timeout completes with -ECANCELED, or -EALREADY when it lost the race).
   */
  prepLinkTimeout(i: number, ts: number, flags = 0): void {
    this.prepRw(i, Op.LINK_TIMEOUT, -1, ts, 1, 0);
    this.setOpFlags(i, flags);
  }

  /** `io_uring_prep_cancel64` (5.5): cancels the request with this user_data (CancelFlag.ALL: every match). */
  prepCancel(i: number, userDataLo: number, userDataHi = 0, flags = 0): void {
    this.prepRw(i, Op.ASYNC_CANCEL, -1, 0, 0, 0);
    this.u32[(i << 4) + 4] = userDataLo;
    this.u32[(i << 4) + 5] = userDataHi;
    this.setOpFlags(i, flags);
  }

  /** `io_uring_prep_cancel_fd` (5.19): cancels requests on `fd` (with CancelFlag.ALL, all of them). */
  prepCancelFd(i: number, fd: number, flags = 0): void {
    this.prepRw(i, Op.ASYNC_CANCEL, fd, 0, 0, 0);
    this.setOpFlags(i, flags | CancelFlag.FD);
  }

  /** Cancels any one request, or every request with CancelFlag.ALL (5.19). */
  prepCancelAny(i: number, flags = 0): void {
    this.prepRw(i, Op.ASYNC_CANCEL, -1, 0, 0, 0);
    this.setOpFlags(i, flags | CancelFlag.ANY);
  }

  /** `io_uring_prep_poll_add` (5.1): one CQE with the ready poll mask. */
  prepPollAdd(i: number, fd: number, pollMask: number): void {
    this.prepRw(i, Op.POLL_ADD, fd, 0, 0, 0);
    this.setOpFlags(i, pollMask);
  }

  /** `io_uring_prep_poll_multishot` (5.13): a CQE (with CqeFlag.MORE) each time fd becomes ready. */
  prepPollMultishot(i: number, fd: number, pollMask: number): void {
    this.prepPollAdd(i, fd, pollMask);
    this.u32[(i << 4) + 6] = PollFlag.ADD_MULTI;
  }

  /** `io_uring_prep_poll_remove` (5.1), by the poll's user_data halves. */
  prepPollRemove(i: number, userDataLo: number, userDataHi = 0): void {
    this.prepRw(i, Op.POLL_REMOVE, -1, 0, 0, 0);
    this.u32[(i << 4) + 4] = userDataLo;
    this.u32[(i << 4) + 5] = userDataHi;
  }

  /** `io_uring_prep_accept` (5.5): `addr`/`addrlen` are addresses (0 for none); flags as accept4. */
  prepAccept(i: number, fd: number, addr: number, addrlen: number, flags = 0): void {
    this.prepRw(i, Op.ACCEPT, fd, addr, 0, addrlen);
    this.setOpFlags(i, flags);
  }

  /** `io_uring_prep_accept_direct` (5.19): the connection goes to a direct-descriptor slot. */
  prepAcceptDirect(i: number, fd: number, addr: number, addrlen: number, flags: number, fileIndex: number): void {
    this.prepAccept(i, fd, addr, addrlen, flags);
    this.setTargetFixedFile(i, fileIndex);
  }

  /** `io_uring_prep_multishot_accept` (5.19): a CQE per connection while CqeFlag.MORE is set. */
  prepMultishotAccept(i: number, fd: number, addr: number, addrlen: number, flags = 0): void {
    this.prepAccept(i, fd, addr, addrlen, flags);
    this.addIoprio(i, AcceptFlag.MULTISHOT);
  }

  /** `io_uring_prep_multishot_accept_direct` (5.19): each connection to a kernel-picked slot. */
  prepMultishotAcceptDirect(i: number, fd: number, addr: number, addrlen: number, flags = 0): void {
    this.prepMultishotAccept(i, fd, addr, addrlen, flags);
    this.setTargetFixedFile(i, FILE_INDEX_ALLOC);
  }

  /** `io_uring_prep_connect` (5.5): `addr` is a sockaddr of `addrlen` bytes. */
  prepConnect(i: number, fd: number, addr: number, addrlen: number): void {
    this.prepRw(i, Op.CONNECT, fd, addr, 0, addrlen);
  }

  /** `io_uring_prep_send` (5.6); flags as send(2) (MSG_NOSIGNAL, ...). */
  prepSend(i: number, fd: number, buf: number, len: number, flags = 0): void {
    this.prepRw(i, Op.SEND, fd, buf, len, 0);
    this.setOpFlags(i, flags);
  }

  /** `io_uring_prep_recv` (5.6). With bufferSelect(), pass buf 0 / len 0 to let the kernel pick. */
  prepRecv(i: number, fd: number, buf: number, len: number, flags = 0): void {
    this.prepRw(i, Op.RECV, fd, buf, len, 0);
    this.setOpFlags(i, flags);
  }

  /** `io_uring_prep_recv_multishot` (6.0): needs bufferSelect(); a CQE per receive while CqeFlag.MORE. */
  prepRecvMultishot(i: number, fd: number, buf: number, len: number, flags = 0): void {
    this.prepRecv(i, fd, buf, len, flags);
    this.addIoprio(i, RecvSendFlag.RECV_MULTISHOT);
  }

  /**
   * sqe->optlen of a multishot recv (6.17, "Support multishot receive len cap"): the receive ends —
   * a CQE without CqeFlag.MORE — once it has taken `bytes` in all (its last receive may take up to a
   * whole buffer past them). Kernels before it fail such an SQE with -EINVAL at prep.
   */
  setRecvLimit(i: number, bytes: number): void {
    this.u32[(i << 4) + 11] = bytes;
  }

  /** `io_uring_prep_sendmsg` (5.3): `msg` is the address of a `struct msghdr`. */
  prepSendmsg(i: number, fd: number, msg: number, flags = 0): void {
    this.prepRw(i, Op.SENDMSG, fd, msg, 1, 0);
    this.setOpFlags(i, flags);
  }

  /** `io_uring_prep_recvmsg` (5.3). */
  prepRecvmsg(i: number, fd: number, msg: number, flags = 0): void {
    this.prepRw(i, Op.RECVMSG, fd, msg, 1, 0);
    this.setOpFlags(i, flags);
  }

  /**
   * `io_uring_prep_send_zc` (6.0): zero-copy send. Two CQEs: the result (with CqeFlag.MORE), then a
   * CqeFlag.NOTIF one when the kernel no longer needs the buffer — keep it until then.
   */
  prepSendZc(i: number, fd: number, buf: number, len: number, flags = 0, zcFlags = 0): void {
    this.prepRw(i, Op.SEND_ZC, fd, buf, len, 0);
    this.setOpFlags(i, flags);
    this.addIoprio(i, zcFlags);
  }

  /** `io_uring_prep_shutdown` (5.11); how: SHUT_RD, SHUT_WR, SHUT_RDWR. */
  prepShutdown(i: number, fd: number, how: number): void {
    this.prepRw(i, Op.SHUTDOWN, fd, 0, how, 0);
  }

  /** `io_uring_prep_socket` (5.19): the CQE's res is the new fd. */
  prepSocket(i: number, domain: number, type: number, protocol: number, flags = 0): void {
    this.prepRw(i, Op.SOCKET, domain, 0, protocol, type);
    this.setOpFlags(i, flags);
  }

  /** `io_uring_prep_socket_direct` (5.19): the socket goes to a direct-descriptor slot. */
  prepSocketDirect(i: number, domain: number, type: number, protocol: number, fileIndex: number, flags = 0): void {
    this.prepSocket(i, domain, type, protocol, flags);
    this.setTargetFixedFile(i, fileIndex);
  }

  /** `io_uring_prep_bind` (6.11). */
  prepBind(i: number, fd: number, addr: number, addrlen: number): void {
    this.prepRw(i, Op.BIND, fd, addr, 0, addrlen);
  }

  /** `io_uring_prep_listen` (6.11). */
  prepListen(i: number, fd: number, backlog: number): void {
    this.prepRw(i, Op.LISTEN, fd, 0, backlog, 0);
  }

  /**
   * `io_uring_prep_msg_ring` (5.18): posts a CQE with res = `len` and user_data = `data` halves on
   * the ring whose fd is `fd` (a way to wake or message another thread's ring).
   */
  prepMsgRing(i: number, fd: number, len: number, dataLo: number, dataHi = 0, flags = 0): void {
    this.prepRw(i, Op.MSG_RING, fd, 0, len, 0);
    this.u32[(i << 4) + 2] = dataLo;
    this.u32[(i << 4) + 3] = dataHi;
    this.setOpFlags(i, flags);
  }
}
