import { native } from './binding.js';
import { Feature, MmapOffset, SetupFlag } from './constants.js';
import { check, invalidArgValue } from './errors.js';
import { CqRingOffsets, Cqe, Params, Sqe, SqRingOffsets } from './layout.js';

/** io_uring_setup(2) parameters (`struct io_uring_params` fields the caller sets). */
export interface SetupParams {
  /** IORING_SETUP_* flags. */
  flags?: number;
  /** CQ size; sets IORING_SETUP_CQSIZE. Default: twice the SQ size. */
  cqEntries?: number;
  /** With SQPOLL + SQ_AFF: the CPU the SQ thread is bound to. */
  sqThreadCpu?: number;
  /** With SQPOLL: milliseconds the SQ thread spins before it sleeps. */
  sqThreadIdle?: number;
  /** With ATTACH_WQ: the ring whose io-wq backend to share. */
  wqFd?: number;
}

/** Where the SQ ring's fields are inside its mapping (`struct io_sqring_offsets`), as the kernel reports them. */
export interface SqOffsets {
  head: number;
  tail: number;
  ringMask: number;
  ringEntries: number;
  flags: number;
  dropped: number;
  array: number;
}

/** Where the CQ ring's fields are inside its mapping (`struct io_cqring_offsets`), as the kernel reports them. */
export interface CqOffsets {
  head: number;
  tail: number;
  ringMask: number;
  ringEntries: number;
  overflow: number;
  cqes: number;
  flags: number;
}

/** What io_uring_setup(2) filled into `struct io_uring_params`. */
export interface KernelParams {
  sqEntries: number;
  cqEntries: number;
  flags: number;
  sqThreadCpu: number;
  sqThreadIdle: number;
  features: number;
  wqFd: number;
  sqOff: SqOffsets;
  cqOff: CqOffsets;
}

/** A ring as the kernel set it up: its fd, the params it filled, and the three mapped regions. */
export interface RingMemory {
  fd: number;
  params: KernelParams;
  /** The SQ ring (head, tail, mask, flags, array). */
  sqRing: ArrayBuffer;
  /** The CQ ring; the same ArrayBuffer as `sqRing` when the kernel has IORING_FEAT_SINGLE_MMAP (5.4). */
  cqRing: ArrayBuffer;
  /** The SQE array, `params.sqEntries` × 64 bytes. */
  sqes: ArrayBuffer;
}

/**
 * Setup flags this package's views cannot serve: SQE128 and CQE32 (5.19) double the SQE and CQE
 * sizes the layouts assume; NO_MMAP (6.5) and REGISTERED_FD_ONLY (6.5) want ring memory the
 * caller allocates, or no fd to map it through. Refused before the kernel is asked.
 */
const UNSUPPORTED_FLAGS = SetupFlag.SQE128 | SetupFlag.CQE32 | SetupFlag.NO_MMAP | SetupFlag.REGISTERED_FD_ONLY;

function encodeParams(p: SetupParams): Uint8Array {
  if ((p.flags ?? 0) & UNSUPPORTED_FLAGS) {
    throw invalidArgValue('params.flags', p.flags, 'asks for SQE128, CQE32, NO_MMAP or REGISTERED_FD_ONLY, which @uring/abi does not support (64-byte SQEs, 16-byte CQEs, rings the kernel allocates)');
  }
  const bytes = new Uint8Array(Params.size);
  const view = new DataView(bytes.buffer);
  let flags = p.flags ?? 0;
  if (p.cqEntries !== undefined) {
    flags |= SetupFlag.CQSIZE;
    view.setUint32(Params.cqEntries, p.cqEntries, true);
  }
  view.setUint32(Params.flags, flags, true);
  view.setUint32(Params.sqThreadCpu, p.sqThreadCpu ?? 0, true);
  view.setUint32(Params.sqThreadIdle, p.sqThreadIdle ?? 0, true);
  view.setUint32(Params.wqFd, p.wqFd ?? 0, true);
  return bytes;
}

function decodeParams(bytes: Uint8Array): KernelParams {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (offset: number) => v.getUint32(offset, true);
  const s = Params.sqOff;
  const c = Params.cqOff;
  return {
    sqEntries: u32(Params.sqEntries),
    cqEntries: u32(Params.cqEntries),
    flags: u32(Params.flags),
    sqThreadCpu: u32(Params.sqThreadCpu),
    sqThreadIdle: u32(Params.sqThreadIdle),
    features: u32(Params.features),
    wqFd: u32(Params.wqFd),
    sqOff: {
      head: u32(s + SqRingOffsets.head),
      tail: u32(s + SqRingOffsets.tail),
      ringMask: u32(s + SqRingOffsets.ringMask),
      ringEntries: u32(s + SqRingOffsets.ringEntries),
      flags: u32(s + SqRingOffsets.flags),
      dropped: u32(s + SqRingOffsets.dropped),
      array: u32(s + SqRingOffsets.array),
    },
    cqOff: {
      head: u32(c + CqRingOffsets.head),
      tail: u32(c + CqRingOffsets.tail),
      ringMask: u32(c + CqRingOffsets.ringMask),
      ringEntries: u32(c + CqRingOffsets.ringEntries),
      overflow: u32(c + CqRingOffsets.overflow),
      cqes: u32(c + CqRingOffsets.cqes),
      flags: u32(c + CqRingOffsets.flags),
    },
  };
}

function map(fd: number, offset: number, length: number): ArrayBuffer {
  const result = native().mmap(fd, offset, length);
  if (typeof result === 'number') {
    native().close(fd);
    check(result, 'mmap');
  }
  return result as ArrayBuffer;
}

/**
 * io_uring_setup(2) and the mmaps of liburing's `io_uring_queue_mmap`: creates a ring of
 * `entries` SQEs and maps its memory. With IORING_FEAT_SINGLE_MMAP (5.4) the SQ and CQ rings share
 * one mapping. The mappings are unmapped when their ArrayBuffers are collected; closing the fd
 * first is fine (the kernel frees the ring when the last of both goes).
 * Throws a Node-shaped error (`syscall: 'io_uring_setup'`) on failure.
 */
export function setup(entries: number, params: SetupParams = {}): RingMemory {
  const bytes = encodeParams(params);
  const fd = check(native().setup(entries, bytes), 'io_uring_setup');
  const p = decodeParams(bytes);
  // With NO_SQARRAY (6.6) there is no SQ array (its offset reads 0): the SQ fields end the mapping's need.
  let sqSize = p.flags & SetupFlag.NO_SQARRAY ? p.sqOff.dropped + 4 : p.sqOff.array + p.sqEntries * 4;
  let cqSize = p.cqOff.cqes + p.cqEntries * Cqe.size;
  const single = (p.features & Feature.SINGLE_MMAP) !== 0;
  if (single) sqSize = cqSize = Math.max(sqSize, cqSize);
  const sqRing = map(fd, MmapOffset.SQ_RING, sqSize);
  const cqRing = single ? sqRing : map(fd, MmapOffset.CQ_RING, cqSize);
  const sqes = map(fd, MmapOffset.SQES, p.sqEntries * Sqe.size);
  return { fd, params: p, sqRing, cqRing, sqes };
}
