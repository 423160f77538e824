/**
 * Byte layouts of the kernel structs io_uring reads and writes (x86_64 and aarch64 are the same:
 * all fields are naturally aligned). Offsets are in bytes; `size` is the struct's size. Tests pin
 * every size against the uapi header.
 */

/** `struct io_uring_sqe` (64 bytes). Unions are named by their most common member. */
export const Sqe = {
  size: 64,
  opcode: 0, // u8
  flags: 1, // u8
  ioprio: 2, // u16
  fd: 4, // s32
  off: 8, // u64: off | addr2 | cmd_op
  addr: 16, // u64: addr | splice_off_in | level/optname
  len: 24, // u32
  opFlags: 28, // u32: rw_flags | fsync_flags | poll32_events | timeout_flags | open_flags | ...
  userData: 32, // u64
  bufIndex: 40, // u16: buf_index | buf_group
  personality: 42, // u16
  spliceFdIn: 44, // s32: splice_fd_in | file_index | optlen | addr_len (u16)
  addr3: 48, // u64
  pad2: 56, // u64
} as const;

/** `struct io_uring_cqe` (16 bytes, without CQE32). */
export const Cqe = { size: 16, userData: 0, res: 8, flags: 12 } as const;

/** `struct io_sqring_offsets` (40 bytes), inside io_uring_params at 40. */
export const SqRingOffsets = {
  size: 40,
  head: 0,
  tail: 4,
  ringMask: 8,
  ringEntries: 12,
  flags: 16,
  dropped: 20,
  array: 24,
  resv1: 28,
  userAddr: 32,
} as const;

/** `struct io_cqring_offsets` (40 bytes), inside io_uring_params at 80. */
export const CqRingOffsets = {
  size: 40,
  head: 0,
  tail: 4,
  ringMask: 8,
  ringEntries: 12,
  overflow: 16,
  cqes: 20,
  flags: 24,
  resv1: 28,
  userAddr: 32,
} as const;

/** `struct io_uring_params` (120 bytes). */
export const Params = {
  size: 120,
  sqEntries: 0,
  cqEntries: 4,
  flags: 8,
  sqThreadCpu: 12,
  sqThreadIdle: 16,
  features: 20,
  wqFd: 24,
  resv: 28, // u32[3]
  sqOff: 40,
  cqOff: 80,
} as const;

/** `struct io_uring_probe` header (16 bytes) followed by `struct io_uring_probe_op` entries (8 bytes). */
export const Probe = { size: 16, lastOp: 0, opsLen: 1, ops: 16, opSize: 8, opOp: 0, opFlags: 2 } as const;

/** `struct io_uring_rsrc_register` (32 bytes), for REGISTER_FILES2 / REGISTER_BUFFERS2. */
export const RsrcRegister = { size: 32, nr: 0, flags: 4, resv2: 8, data: 16, tags: 24 } as const;

/** `struct io_uring_files_update` / `io_uring_rsrc_update` (16 bytes). */
export const RsrcUpdate = { size: 16, offset: 0, resv: 4, data: 8 } as const;

/** `struct io_uring_buf_reg` (40 bytes), for REGISTER_PBUF_RING. */
export const BufReg = { size: 40, ringAddr: 0, ringEntries: 8, bgid: 12, flags: 14, resv: 16 } as const;

/** `struct io_uring_buf_status` (40 bytes), for REGISTER_PBUF_STATUS (6.8): the kernel's head of a buffer ring. */
export const BufStatus = { size: 40, bufGroup: 0, head: 4 } as const;

/**
 * `struct io_uring_buf` (16 bytes), the entries of a provided-buffer ring. The ring's tail is the
 * `resv` field of entry 0 (offset 14, u16), as `struct io_uring_buf_ring` overlays it.
 */
export const Buf = { size: 16, addr: 0, len: 8, bid: 12, resv: 14, ringTail: 14 } as const;

/** `struct io_uring_getevents_arg` (24 bytes), the IORING_ENTER_EXT_ARG argument. */
export const GeteventsArg = { size: 24, sigmask: 0, sigmaskSz: 8, minWaitUsec: 12, ts: 16 } as const;

/** `struct __kernel_timespec` (16 bytes). */
export const Timespec = { size: 16, sec: 0, nsec: 8 } as const;

/** `struct iovec` (16 bytes). */
export const Iovec = { size: 16, base: 0, len: 8 } as const;

/** `struct open_how` (24 bytes), for openat2. */
export const OpenHow = { size: 24, flags: 0, mode: 8, resolve: 16 } as const;

/** `struct msghdr` (56 bytes). */
export const Msghdr = {
  size: 56,
  name: 0,
  namelen: 8,
  iov: 16,
  iovlen: 24,
  control: 32,
  controllen: 40,
  flags: 48,
} as const;

/** `struct statx_timestamp` (16 bytes). */
export const StatxTimestamp = { size: 16, sec: 0, nsec: 8 } as const;

/** `struct statx` (256 bytes). */
export const Statx = {
  size: 256,
  mask: 0, // u32
  blksize: 4, // u32
  attributes: 8, // u64
  nlink: 16, // u32
  uid: 20, // u32
  gid: 24, // u32
  mode: 28, // u16
  ino: 32, // u64
  size_: 40, // u64 (stx_size)
  blocks: 48, // u64
  attributesMask: 56, // u64
  atime: 64,
  btime: 80,
  ctime: 96,
  mtime: 112,
  rdevMajor: 128,
  rdevMinor: 132,
  devMajor: 136,
  devMinor: 140,
  mntId: 144, // u64
  dioMemAlign: 152,
  dioOffsetAlign: 156,
} as const;

/** `struct sockaddr_in` (16 bytes); port and address in network byte order. */
export const SockaddrIn = { size: 16, family: 0, port: 2, addr: 4 } as const;
/** `struct sockaddr_in6` (28 bytes). */
export const SockaddrIn6 = { size: 28, family: 0, port: 2, flowinfo: 4, addr: 8, scopeId: 24 } as const;
/** `struct sockaddr_un` (110 bytes). */
export const SockaddrUn = { size: 110, family: 0, path: 2, pathMax: 108 } as const;
/** `struct sockaddr_storage` (128 bytes): room for any address, for accept/recvmsg. */
export const SockaddrStorage = { size: 128 } as const;

const TWO_32 = 0x1_0000_0000;

/**
 * Stores a u64 given as a Number into two u32 halves of `view` at byte `offset`. -1 stands for
 * all ones (the kernel's "current position" offset); other values must be in [0, 2^53).
 */
export function setU64(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, value >>> 0, true);
  view.setUint32(offset + 4, Math.floor(value / TWO_32) >>> 0, true);
}

/** Reads a u64 as a Number (exact below 2^53). */
export function getU64(view: DataView, offset: number): number {
  return view.getUint32(offset + 4, true) * TWO_32 + view.getUint32(offset, true);
}
