import {
  EnterFlag,
  Errno,
  hasErrno,
  Feature,
  RegisterOp,
  RSRC_REGISTER_SPARSE,
  SetupFlag,
  SqRingFlag,
  addressOf,
  close as closeFd,
  enter as rawEnter,
  iovecs,
  layout,
  outOfRange,
  register as rawRegister,
  setU64,
  setup,
  uringError,
  writeTimespec,
  type KernelParams,
  type SetupParams,
} from '@uring/abi';
import { CompletionQueue } from './completion-queue.js';
import type { CqeBatch } from './cqe.js';
import { Probe } from './probe.js';
import type { Sqes } from './sqe.js';
import { SubmissionQueue } from './submission-queue.js';

/** IoUring.init options: io_uring_setup(2)'s parameters (flags, CQ size, SQPOLL thread settings). */
export type IoUringOptions = SetupParams;

/**
 * An io_uring instance driven from TypeScript, modeled on Zig's std `IoUring`
 * (lib/std/os/linux/IoUring.zig) and liburing's queue functions.
 *
 * ```ts
 * const ring = IoUring.init(64);
 * const i = ring.getSqe();
 * ring.sqes.prepRead(i, fd, addressOf(buf), buf.length, 0);
 * ring.sqes.setUserData(i, 1);
 * ring.submitAndWait(1);
 * const cqes = new CqeBatch(16);
 * ring.copyCqes(cqes);
 * ```
 * Errors from the kernel are thrown as Node-shaped errors (`code`, `errno`, `syscall`).
 */
export class IoUring {
  fd: number;
  /** The IORING_SETUP_* flags the ring was created with. */
  readonly flags: number;
  /** The IORING_FEAT_* bits of this kernel. */
  readonly features: number;
  readonly params: KernelParams;
  readonly sq: SubmissionQueue;
  readonly cq: CompletionQueue;
  /** The SQE array and its prep helpers: `ring.sqes.prepRead(ring.getSqe(), ...)`. */
  readonly sqes: Sqes;
  #probe: Probe | undefined;
  /** Buffers the kernel has pinned through registerBuffers: kept alive until unregistered. */
  #registered: unknown[] = [];
  /** Reused EXT_ARG argument and timespec for waits with a timeout. */
  #waitArg: Uint8Array | undefined;
  #waitTs: Uint8Array | undefined;

  private constructor(entries: number, options: IoUringOptions) {
    const memory = setup(entries, options);
    this.fd = memory.fd;
    this.params = memory.params;
    this.flags = memory.params.flags;
    this.features = memory.params.features;
    this.sq = new SubmissionQueue(memory);
    this.cq = new CompletionQueue(memory);
    this.sqes = this.sq.sqes;
  }

  /**
   * `io_uring_queue_init_params`: a ring with `entries` SQEs (1–32768; the kernel rounds up to a
   * power of two, and clamps with SetupFlag.CLAMP). Throws a Node-shaped error with
   * `syscall: 'io_uring_setup'` when the kernel refuses (see `support()` for why it might).
   */
  static init(entries: number, options: IoUringOptions = {}): IoUring {
    if (!Number.isInteger(entries) || entries < 1 || entries > 32768) throw outOfRange('entries', '>= 1 && <= 32768', entries);
    return new IoUring(entries, options);
  }

  /** `io_uring_get_sqe`: index of a free SQE in `sqes`; throws SubmissionQueueFullError if none. */
  getSqe(): number {
    if (this.fd < 0) throw uringError(-Errno.EBADF, 'io_uring_get_sqe');
    return this.sq.getSqe();
  }

  /** SQEs obtained but not yet consumed by the kernel. */
  sqReady(): number {
    return this.sq.ready();
  }

  /** CQEs waiting to be copied. */
  cqReady(): number {
    return this.cq.ready();
  }

  /** Publishes the SQEs obtained so far (one tail store); returns how many the kernel has not consumed. */
  flushSq(): number {
    return this.sq.flush();
  }

  /**
   * io_uring_enter(2), retrying EINTR. Throws on any other error; EBUSY and EAGAIN mean "reap
   * completions first, then try again" (the CQ overflow list is full, or the kernel is short of
   * resources) and nothing was submitted.
   */
  enter(toSubmit: number, minComplete: number, flags: number, arg?: ArrayBufferView): number {
    for (;;) {
      const result = rawEnter(this.fd, toSubmit, minComplete, flags, arg);
      if (result >= 0) return result;
      if (result !== -Errno.EINTR) throw uringError(result, 'io_uring_enter');
    }
  }

  /** `io_uring_submit`: submits the queued SQEs; returns how many the kernel consumed. */
  submit(): number {
    return this.submitAndWait(0);
  }

  /**
   * `io_uring_submit_and_wait`: submits the queued SQEs and waits until at least `waitNr` CQEs
   * are ready. Skips the syscall when there is nothing to do (SQPOLL with an awake thread).
   */
  submitAndWait(waitNr: number): number {
    const submitted = this.sq.flush();
    let flags = 0;
    if (this.#sqNeedsEnter(submitted) || waitNr > 0) {
      if (waitNr > 0 || this.flags & SetupFlag.IOPOLL || this.cqNeedsFlush()) flags |= EnterFlag.GETEVENTS;
      if (this.flags & SetupFlag.SQPOLL) flags |= this.sq.flags() & SqRingFlag.NEED_WAKEUP ? EnterFlag.SQ_WAKEUP : 0;
      return this.enter(submitted, waitNr, flags);
    }
    return submitted;
  }

  /**
   * `io_uring_submit_and_wait_timeout` (IORING_FEAT_EXT_ARG, 5.11): as submitAndWait, but gives
   * up after `ms` milliseconds. Returns the number submitted; fewer than `waitNr` CQEs may then be
   * ready (a timeout is not an error here).
   */
  submitAndWaitTimeout(waitNr: number, ms: number): number {
    if (!(this.features & Feature.EXT_ARG)) throw uringError(-Errno.EOPNOTSUPP, 'io_uring_enter');
    const submitted = this.sq.flush();
    this.#waitTs ??= new Uint8Array(layout.Timespec.size);
    this.#waitArg ??= new Uint8Array(layout.GeteventsArg.size);
    const ts = new DataView(this.#waitTs.buffer);
    writeTimespec(ts, 0, ms);
    const arg = new DataView(this.#waitArg.buffer);
    setU64(arg, layout.GeteventsArg.ts, addressOf(this.#waitTs));
    let flags = EnterFlag.GETEVENTS | EnterFlag.EXT_ARG;
    if (this.flags & SetupFlag.SQPOLL && this.sq.flags() & SqRingFlag.NEED_WAKEUP) flags |= EnterFlag.SQ_WAKEUP;
    try {
      return this.enter(submitted, waitNr, flags, this.#waitArg);
    } catch (error) {
      if (hasErrno(error, Errno.ETIME)) return 0;
      throw error;
    }
  }

  /**
   * Zig's `copy_cqes`: copies ready CQEs into `out`. When none are ready but the kernel holds
   * some back (overflowed CQEs, pending task work under COOP_TASKRUN/DEFER_TASKRUN), or when
   * `waitNr` > 0, enters the kernel with GETEVENTS first. Returns the number copied.
   */
  copyCqes(out: CqeBatch, waitNr = 0): number {
    const count = this.cq.copy(out);
    if (count > 0) return count;
    if (this.cqNeedsFlush() || waitNr > 0 || this.flags & SetupFlag.DEFER_TASKRUN) {
      this.enter(0, waitNr, EnterFlag.GETEVENTS);
      return this.cq.copy(out);
    }
    return 0;
  }

  /**
   * `io_uring_get_events` (DEFER_TASKRUN, 6.1): runs the ring's deferred task work so its
   * completions are posted. Needed after an eventfd wake-up on a DEFER_TASKRUN ring. One call runs
   * a bounded batch (20 items in 6.x) and the eventfd fires only when the first item is queued:
   * set up such a ring with TASKRUN_FLAG too and call again while `cqNeedsFlush()` says some is left.
   */
  getEvents(): void {
    this.enter(0, 0, EnterFlag.GETEVENTS);
  }

  /**
   * True when CQEs are held back in the kernel's overflow list (IORING_SQ_CQ_OVERFLOW): the CQ was
   * full. With IORING_FEAT_NODROP (5.5) none are lost; copyCqes flushes them.
   */
  cqOverflowed(): boolean {
    return (this.sq.flags() & SqRingFlag.CQ_OVERFLOW) !== 0;
  }

  /**
   * liburing's `cq_ring_needs_flush`: the kernel holds completions back — overflowed CQEs
   * (IORING_SQ_CQ_OVERFLOW) or task work to run (IORING_SQ_TASKRUN, with TASKRUN_FLAG) — and an
   * enter with GETEVENTS will post them.
   */
  cqNeedsFlush(): boolean {
    return (this.sq.flags() & (SqRingFlag.CQ_OVERFLOW | SqRingFlag.TASKRUN)) !== 0;
  }

  #sqNeedsEnter(submitted: number): boolean {
    if (!(this.flags & SetupFlag.SQPOLL)) return submitted > 0 || this.cqNeedsFlush();
    return (this.sq.flags() & SqRingFlag.NEED_WAKEUP) !== 0;
  }

  // ---- registration -----------------------------------------------------------------------------

  /** io_uring_register(2), throwing a Node-shaped error on failure. */
  register(opcode: number, arg: ArrayBufferView | ArrayBuffer | null, nrArgs: number): number {
    const result = rawRegister(this.fd, opcode, arg, nrArgs);
    if (result < 0) throw uringError(result, 'io_uring_register');
    return result;
  }

  /** `io_uring_register_files` (5.1): `fds` become direct descriptors 0..n-1 (-1 leaves a slot empty). */
  registerFiles(fds: ArrayLike<number>): void {
    this.register(RegisterOp.REGISTER_FILES, Int32Array.from(fds), fds.length);
  }

  /** `io_uring_register_files_sparse` (5.19): a table of `count` empty direct-descriptor slots. */
  registerFilesSparse(count: number): void {
    const arg = new Uint8Array(layout.RsrcRegister.size);
    const view = new DataView(arg.buffer);
    view.setUint32(layout.RsrcRegister.nr, count, true);
    view.setUint32(layout.RsrcRegister.flags, RSRC_REGISTER_SPARSE, true);
    this.register(RegisterOp.REGISTER_FILES2, arg, layout.RsrcRegister.size);
  }

  /** `io_uring_register_files_update` (5.5): replaces slots from `offset`; returns how many were updated. */
  registerFilesUpdate(offset: number, fds: ArrayLike<number>): number {
    const table = Int32Array.from(fds);
    const arg = new Uint8Array(layout.RsrcUpdate.size);
    const view = new DataView(arg.buffer);
    view.setUint32(layout.RsrcUpdate.offset, offset, true);
    setU64(view, layout.RsrcUpdate.data, addressOf(table));
    return this.register(RegisterOp.REGISTER_FILES_UPDATE, arg, table.length);
  }

  /** `io_uring_unregister_files`. */
  unregisterFiles(): void {
    this.register(RegisterOp.UNREGISTER_FILES, null, 0);
  }

  /**
   * `io_uring_register_buffers` (5.1): pins `buffers` for read_fixed/write_fixed (buffer index =
   * position). The ring keeps them referenced until unregisterBuffers() or close().
   */
  registerBuffers(buffers: ReadonlyArray<ArrayBufferView>): void {
    const vecs = iovecs(buffers.map((b) => ({ address: addressOf(b), length: b.byteLength })));
    this.register(RegisterOp.REGISTER_BUFFERS, vecs, buffers.length);
    this.#registered = [...buffers];
  }

  /** `io_uring_unregister_buffers`. */
  unregisterBuffers(): void {
    this.register(RegisterOp.UNREGISTER_BUFFERS, null, 0);
    this.#registered = [];
  }

  /** `io_uring_register_eventfd` (5.2): the kernel signals `fd` when it posts CQEs. */
  registerEventfd(fd: number): void {
    this.register(RegisterOp.REGISTER_EVENTFD, Int32Array.of(fd), 1);
  }

  /** `io_uring_register_eventfd_async` (5.6): signal only for completions that did not finish inline. */
  registerEventfdAsync(fd: number): void {
    this.register(RegisterOp.REGISTER_EVENTFD_ASYNC, Int32Array.of(fd), 1);
  }

  /** `io_uring_unregister_eventfd`. */
  unregisterEventfd(): void {
    this.register(RegisterOp.UNREGISTER_EVENTFD, null, 0);
  }

  /** `io_uring_enable_rings` (5.10): starts a ring created with SetupFlag.R_DISABLED. */
  enableRings(): void {
    this.register(RegisterOp.REGISTER_ENABLE_RINGS, null, 0);
  }

  /** `io_uring_register_probe` (5.6): which opcodes this kernel supports. Cached. */
  probe(): Probe {
    return (this.#probe ??= Probe.read(this));
  }

  /** Whether the kernel supports opcode `op` (from the probe). */
  supports(op: number): boolean {
    return this.probe().supports(op);
  }

  /**
   * `io_uring_queue_exit`: closes the ring fd; idempotent. The kernel cancels what is in flight.
   * The mapped memory is released when the last view of it is collected.
   */
  close(): void {
    if (this.fd < 0) return;
    closeFd(this.fd);
    this.fd = -1;
    this.#registered = [];
  }

  get closed(): boolean {
    return this.fd < 0;
  }
}
