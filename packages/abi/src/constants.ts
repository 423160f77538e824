/**
 * io_uring constants from `include/uapi/linux/io_uring.h`, up to Linux 6.12. Each group names the
 * kernel that introduced its newest members where that matters for probing; see the kernel table in
 * the package README.
 */

/** `enum io_uring_op`: the SQE opcodes. Probe with `IoUring.supports(op)` before relying on one. */
export const Op = {
  NOP: 0,
  READV: 1,
  WRITEV: 2,
  FSYNC: 3,
  READ_FIXED: 4,
  WRITE_FIXED: 5,
  POLL_ADD: 6,
  POLL_REMOVE: 7,
  SYNC_FILE_RANGE: 8,
  SENDMSG: 9,
  RECVMSG: 10,
  TIMEOUT: 11,
  TIMEOUT_REMOVE: 12,
  ACCEPT: 13,
  ASYNC_CANCEL: 14,
  LINK_TIMEOUT: 15,
  CONNECT: 16,
  FALLOCATE: 17,
  OPENAT: 18,
  CLOSE: 19,
  FILES_UPDATE: 20,
  STATX: 21,
  READ: 22,
  WRITE: 23,
  FADVISE: 24,
  MADVISE: 25,
  SEND: 26,
  RECV: 27,
  OPENAT2: 28,
  EPOLL_CTL: 29,
  SPLICE: 30,
  PROVIDE_BUFFERS: 31,
  REMOVE_BUFFERS: 32,
  TEE: 33,
  SHUTDOWN: 34,
  RENAMEAT: 35,
  UNLINKAT: 36,
  MKDIRAT: 37,
  SYMLINKAT: 38,
  LINKAT: 39,
  MSG_RING: 40,
  FSETXATTR: 41,
  SETXATTR: 42,
  FGETXATTR: 43,
  GETXATTR: 44,
  SOCKET: 45,
  URING_CMD: 46,
  SEND_ZC: 47,
  SENDMSG_ZC: 48,
  READ_MULTISHOT: 49,
  WAITID: 50,
  FUTEX_WAIT: 51,
  FUTEX_WAKE: 52,
  FUTEX_WAITV: 53,
  FIXED_FD_INSTALL: 54,
  FTRUNCATE: 55,
  BIND: 56,
  LISTEN: 57,
} as const;
/** An IORING_OP_* opcode number. */
export type Op = (typeof Op)[keyof typeof Op];

/** The opcode's name, for messages: `opName(22) === 'READ'`. */
export function opName(op: number): string {
  for (const [name, value] of Object.entries(Op)) if (value === op) return name;
  return `OP_${op}`;
}

/** `IOSQE_*`: per-SQE flags (sqe->flags). */
export const SqeFlag = {
  FIXED_FILE: 1 << 0,
  IO_DRAIN: 1 << 1,
  IO_LINK: 1 << 2,
  IO_HARDLINK: 1 << 3,
  ASYNC: 1 << 4,
  BUFFER_SELECT: 1 << 5,
  /** 5.17 */
  CQE_SKIP_SUCCESS: 1 << 6,
} as const;

/** `IORING_SETUP_*`: io_uring_setup(2) flags. */
export const SetupFlag = {
  IOPOLL: 1 << 0,
  SQPOLL: 1 << 1,
  SQ_AFF: 1 << 2,
  CQSIZE: 1 << 3,
  CLAMP: 1 << 4,
  ATTACH_WQ: 1 << 5,
  R_DISABLED: 1 << 6,
  SUBMIT_ALL: 1 << 7,
  /** 5.19 */
  COOP_TASKRUN: 1 << 8,
  /** 5.19 */
  TASKRUN_FLAG: 1 << 9,
  SQE128: 1 << 10,
  CQE32: 1 << 11,
  /** 6.0 */
  SINGLE_ISSUER: 1 << 12,
  /** 6.1; requires SINGLE_ISSUER */
  DEFER_TASKRUN: 1 << 13,
  NO_MMAP: 1 << 14,
  REGISTERED_FD_ONLY: 1 << 15,
  /** 6.6 */
  NO_SQARRAY: 1 << 16,
} as const;

/** `IORING_ENTER_*`: io_uring_enter(2) flags. */
export const EnterFlag = {
  GETEVENTS: 1 << 0,
  SQ_WAKEUP: 1 << 1,
  SQ_WAIT: 1 << 2,
  /** 5.11 */
  EXT_ARG: 1 << 3,
  REGISTERED_RING: 1 << 4,
  /** 6.12 */
  ABS_TIMER: 1 << 5,
} as const;

/** `IORING_FEAT_*`: features the kernel reports in params.features. */
export const Feature = {
  SINGLE_MMAP: 1 << 0,
  NODROP: 1 << 1,
  SUBMIT_STABLE: 1 << 2,
  RW_CUR_POS: 1 << 3,
  CUR_PERSONALITY: 1 << 4,
  FAST_POLL: 1 << 5,
  POLL_32BITS: 1 << 6,
  SQPOLL_NONFIXED: 1 << 7,
  EXT_ARG: 1 << 8,
  NATIVE_WORKERS: 1 << 9,
  RSRC_TAGS: 1 << 10,
  CQE_SKIP: 1 << 11,
  LINKED_FILE: 1 << 12,
  REG_REG_RING: 1 << 13,
  RECVSEND_BUNDLE: 1 << 14,
  MIN_TIMEOUT: 1 << 15,
} as const;

/** `IORING_SQ_*`: flags the kernel sets in the SQ ring's flags word. */
export const SqRingFlag = {
  NEED_WAKEUP: 1 << 0,
  CQ_OVERFLOW: 1 << 1,
  TASKRUN: 1 << 2,
} as const;

/** `IORING_CQ_*`: flags in the CQ ring's flags word. */
export const CqRingFlag = {
  EVENTFD_DISABLED: 1 << 0,
} as const;

/** `IORING_CQE_F_*`: per-CQE flags. */
export const CqeFlag = {
  BUFFER: 1 << 0,
  MORE: 1 << 1,
  SOCK_NONEMPTY: 1 << 2,
  NOTIF: 1 << 3,
  /** 6.12: incremental buffer consumption, the buffer has more room */
  BUF_MORE: 1 << 4,
} as const;
/** The buffer id of a CQE with CqeFlag.BUFFER is `flags >>> CQE_BUFFER_SHIFT`. */
export const CQE_BUFFER_SHIFT = 16;

/** `IORING_REGISTER_*`: io_uring_register(2) opcodes. */
export const RegisterOp = {
  REGISTER_BUFFERS: 0,
  UNREGISTER_BUFFERS: 1,
  REGISTER_FILES: 2,
  UNREGISTER_FILES: 3,
  REGISTER_EVENTFD: 4,
  UNREGISTER_EVENTFD: 5,
  REGISTER_FILES_UPDATE: 6,
  REGISTER_EVENTFD_ASYNC: 7,
  REGISTER_PROBE: 8,
  REGISTER_PERSONALITY: 9,
  UNREGISTER_PERSONALITY: 10,
  REGISTER_RESTRICTIONS: 11,
  REGISTER_ENABLE_RINGS: 12,
  REGISTER_FILES2: 13,
  REGISTER_FILES_UPDATE2: 14,
  REGISTER_BUFFERS2: 15,
  REGISTER_BUFFERS_UPDATE: 16,
  REGISTER_IOWQ_AFF: 17,
  UNREGISTER_IOWQ_AFF: 18,
  REGISTER_IOWQ_MAX_WORKERS: 19,
  REGISTER_RING_FDS: 20,
  UNREGISTER_RING_FDS: 21,
  /** 5.19 */
  REGISTER_PBUF_RING: 22,
  UNREGISTER_PBUF_RING: 23,
  REGISTER_SYNC_CANCEL: 24,
  REGISTER_FILE_ALLOC_RANGE: 25,
  REGISTER_PBUF_STATUS: 26,
  REGISTER_NAPI: 27,
  UNREGISTER_NAPI: 28,
  REGISTER_CLOCK: 29,
  REGISTER_CLONE_BUFFERS: 30,
} as const;

/** `IORING_RSRC_REGISTER_SPARSE`: register a table of empty slots (io_uring_rsrc_register.flags). */
export const RSRC_REGISTER_SPARSE = 1 << 0;
/** `IORING_FILE_INDEX_ALLOC`: let the kernel pick a free direct-descriptor slot (5.19). */
export const FILE_INDEX_ALLOC = 0xffffffff;
/** `IORING_OFF_*`: mmap offsets of the ring regions. */
export const MmapOffset = { SQ_RING: 0, CQ_RING: 0x8000000, SQES: 0x10000000 } as const;
/** `IO_URING_OP_SUPPORTED`: flag of a probe op entry. */
export const PROBE_OP_SUPPORTED = 1 << 0;
/** `IOU_PBUF_RING_INC`: incremental consumption of provided buffers (6.12). */
export const PBUF_RING_INC = 1 << 1;

/** `IORING_FSYNC_DATASYNC`. */
export const FSYNC_DATASYNC = 1 << 0;

/** `IORING_TIMEOUT_*`: sqe->timeout_flags. */
export const TimeoutFlag = {
  ABS: 1 << 0,
  UPDATE: 1 << 1,
  BOOTTIME: 1 << 2,
  REALTIME: 1 << 3,
  LINK_TIMEOUT_UPDATE: 1 << 4,
  ETIME_SUCCESS: 1 << 5,
  MULTISHOT: 1 << 6,
} as const;

/** `IORING_POLL_*`: sqe->len flags of POLL_ADD / POLL_REMOVE. */
export const PollFlag = {
  ADD_MULTI: 1 << 0,
  UPDATE_EVENTS: 1 << 1,
  UPDATE_USER_DATA: 1 << 2,
  ADD_LEVEL: 1 << 3,
} as const;

/** `IORING_ASYNC_CANCEL_*`: sqe->cancel_flags. */
export const CancelFlag = {
  ALL: 1 << 0,
  FD: 1 << 1,
  ANY: 1 << 2,
  FD_FIXED: 1 << 3,
  USERDATA: 1 << 4,
  OP: 1 << 5,
} as const;

/** `IORING_RECVSEND_*` / `IORING_RECV_MULTISHOT` / `IORING_SEND_ZC_*`: sqe->ioprio of send/recv. */
export const RecvSendFlag = {
  POLL_FIRST: 1 << 0,
  RECV_MULTISHOT: 1 << 1,
  FIXED_BUF: 1 << 2,
  SEND_ZC_REPORT_USAGE: 1 << 3,
  BUNDLE: 1 << 4,
} as const;

/** `IORING_ACCEPT_*`: sqe->ioprio of ACCEPT. */
export const AcceptFlag = {
  MULTISHOT: 1 << 0,
  DONTWAIT: 1 << 1,
  POLL_FIRST: 1 << 2,
} as const;

/** `IORING_MSG_*`: the MSG_RING command (sqe->addr) and its flags (sqe->msg_ring_flags). */
export const MsgRing = {
  DATA: 0,
  SEND_FD: 1,
  CQE_SKIP: 1 << 0,
  FLAGS_PASS: 1 << 1,
} as const;

/**
 * The range of an fd in an SQE (a signed 32-bit field): what the layers check an fd against before
 * it is stored there. A negative one is the kernel's to refuse (EBADF), or AT_FDCWD where meant.
 */
export const FD_MIN = -0x80000000;
export const FD_MAX = 0x7fffffff;

/** `SPLICE_F_FD_IN_FIXED`: splice_fd_in is a direct descriptor. */
export const SPLICE_F_FD_IN_FIXED = 0x80000000;

/** Linux file and socket constants the prep helpers and tests need, x86_64/aarch64 values. */
export const Linux = {
  /** UIO_MAXIOV: the most buffers one readv/writev/sendmsg takes (more is EINVAL); libuv's uv__getiovmax on Linux. */
  IOV_MAX: 1024,
  AT_FDCWD: -100,
  AT_REMOVEDIR: 0x200,
  AT_SYMLINK_NOFOLLOW: 0x100,
  AT_SYMLINK_FOLLOW: 0x400,
  AT_EMPTY_PATH: 0x1000,
  AT_STATX_SYNC_AS_STAT: 0,
  STATX_TYPE: 0x1,
  STATX_MODE: 0x2,
  STATX_SIZE: 0x200,
  STATX_BASIC_STATS: 0x7ff,
  STATX_BTIME: 0x800,
  O_RDONLY: 0,
  O_WRONLY: 1,
  O_RDWR: 2,
  O_CREAT: 0o100,
  O_EXCL: 0o200,
  O_TRUNC: 0o1000,
  O_APPEND: 0o2000,
  O_NONBLOCK: 0o4000,
  O_DIRECTORY: 0o200000,
  O_CLOEXEC: 0o2000000,
  EFD_NONBLOCK: 0o4000,
  EFD_CLOEXEC: 0o2000000,
  AF_UNIX: 1,
  AF_INET: 2,
  AF_INET6: 10,
  SOCK_STREAM: 1,
  SOCK_DGRAM: 2,
  SOCK_NONBLOCK: 0o4000,
  SOCK_CLOEXEC: 0o2000000,
  SHUT_RD: 0,
  SHUT_WR: 1,
  SHUT_RDWR: 2,
  /** ioctl: bytes waiting to be read (SIOCINQ on a socket, the same number). */
  FIONREAD: 0x541b,
  POLLIN: 0x001,
  POLLOUT: 0x004,
  POLLERR: 0x008,
  POLLHUP: 0x010,
  MSG_NOSIGNAL: 0x4000,
  MSG_WAITALL: 0x100,
  FALLOC_FL_KEEP_SIZE: 1,
  POSIX_FADV_SEQUENTIAL: 2,
  POSIX_FADV_DONTNEED: 4,
  RENAME_NOREPLACE: 1,
  F_GETFL: 3,
  F_SETFL: 4,
  F_DUPFD_CLOEXEC: 1030,
  F_GETFD: 1,
  FD_CLOEXEC: 1,
  F_SETPIPE_SZ: 1031,
  F_GETPIPE_SZ: 1032,
  SPLICE_F_MOVE: 1,
  SPLICE_F_NONBLOCK: 2,
  SOL_SOCKET: 1,
  SO_REUSEADDR: 2,
  SO_TYPE: 3,
  SO_ERROR: 4,
  SO_KEEPALIVE: 9,
  SO_LINGER: 13,
  SO_REUSEPORT: 15,
  IPPROTO_TCP: 6,
  IPPROTO_IPV6: 41,
  TCP_NODELAY: 1,
  TCP_KEEPIDLE: 4,
  TCP_KEEPINTVL: 5,
  TCP_KEEPCNT: 6,
  /** getsockopt: struct tcp_info, whose first byte is the connection's state (`TCP_CLOSE`, …). */
  TCP_INFO: 11,
  /** tcp_info's state of a connection that is over: closed, or reset by its peer (include/net/tcp_states.h). */
  TCP_CLOSE: 7,
  IPV6_V6ONLY: 26,
} as const;

/** Linux errno values used by the layers above (positive; native calls return them negated). */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  EIO: 5,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ENOSPC: 28,
  EPIPE: 32,
  ENOSYS: 38,
  ETIME: 62,
  ENOTSOCK: 88,
  EOPNOTSUPP: 95,
  EADDRINUSE: 98,
  ECONNABORTED: 103,
  ENOBUFS: 105,
  EISCONN: 106,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EALREADY: 114,
  ECANCELED: 125,
  ECONNRESET: 104,
  ENOTCONN: 107,
} as const;
