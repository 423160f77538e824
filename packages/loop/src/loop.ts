import {
  CancelFlag,
  CqeFlag,
  EnterFlag,
  Errno,
  FSYNC_DATASYNC,
  Linux,
  SetupFlag,
  addressOf,
  close as closeFd,
  closeOnTeardown,
  cString,
  eventfd,
  EventfdPoller,
  forgetOnTeardown,
  invalidArgType,
  iovecs,
  layout,
  outOfRange,
  support,
  timespec,
  uringError,
  validateInteger,
  FD_MIN,
  FD_MAX,
  type ErrorContext,
  RegisterOp,
  register as registerRaw,
} from '@uring/abi';
import { CqeBatch, IoUring, type Sqes } from '@uring/ring';
import type { CancelSignal } from './cancel.js';
import { AbortError, CredentialsChangedError, LoopClosedError, UringUnavailableError } from './errors.js';
import { Credentials } from './identity.js';
import { Metrics } from './metrics.js';
import { Multishot } from './multishot.js';
import { SideRing } from './side-ring.js';
import { Slots } from './slots.js';
import { rethrow } from './uncaught.js';

/** Writes one SQE (at index `i`) for an operation. The loop sets its user_data afterwards. */
export type Prep = (sqes: Sqes, i: number) => void;

/** Options every operation takes: a timeout, an AbortSignal, and whether it keeps the process alive. */
export interface OpOptions {
  /**
   * Aborting cancels the operation (ASYNC_CANCEL) and rejects it with an AbortError at once. An
   * AbortSignal, or a {@link Cancellation} (cheaper, for operations a library cancels itself).
   */
  signal?: CancelSignal;
  /** Milliseconds before the operation is cancelled through a linked timeout and rejects with ETIMEDOUT; 0 for none. Default: the loop's `timeout`. */
  timeout?: number;
  /** When true the operation does not keep the process alive (like an unref'd libuv handle). */
  unref?: boolean;
  /**
   * When true the operation does not count against `maxInFlight`: one that may wait on another
   * party for ever — a socket's data, its peer's window, a connection — which, bounded, could hold
   * every slot and leave every later operation in the backlog (5,000 idle connections did: a
   * server answered none). It is placed at once, never behind the backlog. Multishot operations
   * are unbounded always.
   */
  unbounded?: boolean;
}

/** Options of `loop.submit`: OpOptions plus what the error should say (syscall, path, net address), what to keep referenced until the CQE, and how to map the result. */
export interface SubmitOptions<T> extends OpOptions {
  /** The syscall named in errors (`'read'`, `'open'`, ...). */
  syscall: string;
  /** Shown in errors as Node's fs errors show them. */
  path?: ErrorContext['path'];
  dest?: ErrorContext['dest'];
  /** A socket operation: errors take node:net's shape (`connect ECONNREFUSED 127.0.0.1:1`). */
  net?: ErrorContext['net'];
  /** Everything the kernel may touch: kept referenced until the operation's final CQE. */
  keep?: unknown;
  /** Turns a successful result into the promise's value. Default: the result itself. */
  map?: (res: number) => T;
  /** A -errno that means success for this operation (resolved as 0), e.g. -ETIME for a timer. */
  success?: number;
  /**
   * Called once the kernel is done with the operation and everything it keeps: when its final CQE
   * is reaped, or when it is dropped before it reached the kernel — also after an abort, whose
   * promise rejects earlier. For memory the caller pools and may reuse only then. Must not throw.
   */
  onRelease?: () => void;
}

/** Options of `loop.submitCallback`: SubmitOptions without `map` and `onRelease` (the callback is the release). */
export type CallbackOptions = Omit<SubmitOptions<number>, 'map' | 'onRelease'>;

/** Node's (error, result) callback of `loop.submitCallback`: the CQE's result (>= 0) on success, 0 with an error. */
export type OpCallback = (error: Error | null, result: number) => void;

/** Options of `loop.multishot`: a signal, ref/unref, and the error's syscall; multishot ops take no timeout. */
export interface MultishotOptions extends Omit<OpOptions, 'timeout'> {
  syscall: string;
  path?: ErrorContext['path'];
  /** Shape the error like node:net's (see SubmitOptions.net). */
  net?: ErrorContext['net'];
  keep?: unknown;
  /** Called with each CQE; without it, iterate the returned handle. */
  onCqe?: (res: number, flags: number) => void;
  /** Whether to re-arm when the kernel ends the operation with this CQE. Default: res > 0 or -ENOBUFS (0 is EOF). */
  rearm?: (res: number, flags: number) => boolean;
  /**
   * For an operation that selects provided buffers (IOSQE_BUFFER_SELECT): gives back the buffer of
   * a CQE no one will see — one the kernel posts after the signal aborted the operation (the
   * handle has ended, onCqe is no longer called), or after an iterating consumer left. A buffer
   * the kernel picked is the application's until it adds it to the ring again (liburing's
   * io_uring_buf_ring_add); a receive aborted with data in flight would otherwise leave the ring
   * short of the buffers its last CQEs carried.
   */
  releaseBuffer?: (bufferId: number) => void;
  /**
   * Called once the operation has ended — from a microtask, with its error (an AbortError when
   * its signal ended it), or undefined when it ended without one — as `done` settles, for a
   * caller that would otherwise only make a reaction to that promise.
   */
  onEnd?: (error: unknown) => void;
}

/** How a Loop sets up its ring: sizes, the in-flight cap, setup flags, SQPOLL, default timeout, io-wq workers. */
export interface LoopOptions {
  /** SQ entries (default 256). Operations beyond it in one tick make the loop flush early. */
  entries?: number;
  /** CQ entries (default: twice `maxInFlight`, at least twice `entries`). */
  cqEntries?: number;
  /** The cap on operations in flight (default 4096); more wait in a FIFO backlog. */
  maxInFlight?: number;
  /**
   * IORING_SETUP_* flags. Default COOP_TASKRUN | TASKRUN_FLAG (5.19): completions are not pushed
   * with an interrupt to a running thread but run when it next enters the kernel, and the loop
   * checks IORING_SQ_TASKRUN when it reaps — on the echo benchmark this costs a quarter less CPU
   * per round trip than no flags. On older kernels (EINVAL) the default falls back to none.
   * SINGLE_ISSUER | DEFER_TASKRUN (6.1) is the other choice measured (the loop adds TASKRUN_FLAG
   * to it: see the constructor); 0 asks for none. DEFER_TASKRUN does not suit sockets, pipes or
   * polls: their readiness becomes deferred task work, and the eventfd signal that wakes the loop
   * for it came an RCU grace period late on 6.18 (~16 ms per wake-up; an echo server did 0.07–0.17x
   * node:net's round trips) — it is for file I/O that completes during submission.
   */
  flags?: number;
  /** Opt-in SQPOLL: a kernel thread polls the SQ, sleeping after this many idle milliseconds. */
  sqpollIdle?: number;
  /** Default per-operation timeout in milliseconds (0: none). */
  timeout?: number;
  /**
   * io-wq workers for bounded work — regular-file reads and writes the kernel cannot finish
   * inline (IORING_REGISTER_IOWQ_MAX_WORKERS, 5.15). The kernel's default is the CPU count, which
   * serializes buffered writes on a small machine; default 32. 0 leaves the limit as it is.
   * Unbounded work (opens of FIFOs, and the like, which may block indefinitely) is not limited.
   * The kernel keeps one io-wq per thread, shared by the thread's rings, so loops on one thread
   * share the limit too.
   */
  boundedWorkers?: number;
}

/** How `loop.close()` drains. */
export interface CloseOptions {
  /** Milliseconds to let in-flight operations finish before cancelling them (default 2000). */
  timeout?: number;
}

const enum Flag {
  Timeout = 1,
  Unref = 2,
  Multishot = 4,
  /** Rejected already (aborted); the slot waits for the kernel's CQE. */
  Abandoned = 8,
  /** Cancelled by the loop (close, cancel()): -ECANCELED is expected, not a timeout. */
  Cancelling = 16,
  Done = 32,
  /** An ASYNC_CANCEL for it is in flight (its CQE clears this). */
  CancelSent = 64,
  /** Settled through a callback (submitCallback): `resolve` holds it, called as (error, result). */
  Callback = 128,
  /** Not counted against maxInFlight (OpOptions.unbounded; every multishot operation). */
  Unbounded = 256,
}

/** The setup flags a loop gets unless told otherwise (see LoopOptions.flags). */
const DEFAULT_FLAGS = SetupFlag.COOP_TASKRUN | SetupFlag.TASKRUN_FLAG;

/** user_data of the loop's own SQEs (high half 0, which no generation uses). */
/**
 * Batch copies (of up to 256 CQEs, each after a GETEVENTS where the kernel holds work back) per
 * wake-up before the loop yields to the event loop: a source of completions faster than their
 * handlers must not keep the thread in one callback for ever.
 */
const REAP_ROUNDS = 16;
/**
 * How many times the submitting microtask may reap completions the kernel posted inline (during
 * its io_uring_enter) between two eventfd wake-ups. Each saves a wake-up — an epoll_wait, an
 * eventfd read and a callback — for work that is already done; the bound makes a chain of
 * operations that complete inline (a socket written as fast as it drains, page-cached reads)
 * go back to the event loop every so often instead of running on in microtasks.
 */
const INLINE_REAPS = 16;
/**
 * The low half of the loop's own user_data (high half 0): a tag in bits 0–1, and for a cancel of
 * one operation its slot above them — so the cancel's CQE finds the operation it was meant for.
 */
const TAG_LINK_TIMEOUT = 1;
const TAG_CANCEL = 2;
const TAG_CANCEL_ALL = 3;
const TAG_BITS = 2;

/**
 * A file registered with the loop's ring (a direct descriptor, IOSQE_FIXED_FILE): operations on
 * it skip the kernel's per-operation file lookup. Pass it where an fd is taken.
 */
export interface FixedFile {
  /** The slot in the ring's file table. */
  readonly index: number;
  /** The ordinary fd it was registered from (still open, still the caller's to close). */
  readonly fd: number;
}

/** Operations the loop preps itself, without a closure: the hot read/write path. */
const enum Kind {
  Custom = 0,
  Read = 1,
  Write = 2,
}

interface Op {
  kind: Kind;
  /** Kind.Read/Write: the SQE's arguments. */
  fd: number;
  addr: number;
  len: number;
  pos: number;
  /** Kind.Read/Write: `fd` is a direct-descriptor slot. */
  fixed: boolean;
  prep: Prep | undefined;
  resolve: (value: any) => void;
  reject: (error: unknown) => void;
  keep: unknown;
  map: ((res: number) => unknown) | undefined;
  syscall: string;
  context: ErrorContext | undefined;
  success: number;
  flags: number;
  timeout: number;
  ts: Buffer | undefined;
  signal: CancelSignal | undefined;
  onAbort: (() => void) | undefined;
  slot: number;
  generation: number;
  multishot: Multishot | undefined;
  rearm: ((res: number, flags: number) => boolean) | undefined;
  /** On the first operation of a linked chain: the whole chain, placed and submitted as one. */
  chain: Op[] | undefined;
  onRelease: (() => void) | undefined;
}

/** One step of a linked chain (`Loop.link`). */
export interface LinkStep {
  prep: Prep;
  /** The syscall named in this step's errors. */
  syscall: string;
  /** What the kernel may touch for this step: kept until its CQE. */
  keep?: unknown;
  path?: ErrorContext['path'];
  /** As SubmitOptions.onRelease: this step's memory is the caller's again. */
  onRelease?: () => void;
}

const prepNop: Prep = (sqes, i) => sqes.prepNop(i);
/**
 * Re-arm when the kernel ended a multishot that still had work: a result > 0 (an accepted fd, a
 * poll mask, bytes received) or -ENOBUFS (the buffer ring ran dry). 0 is EOF for recv: the end.
 */
const defaultRearm = (res: number) => res > 0 || res === -Errno.ENOBUFS;

const ignore = (): void => undefined;

/** What an operation's error names besides its syscall (path, dest, net address), or undefined when nothing. */
function contextOf(options: { path?: ErrorContext['path']; dest?: ErrorContext['dest']; net?: ErrorContext['net'] }): ErrorContext | undefined {
  return options.path === undefined && options.dest === undefined && options.net === undefined ? undefined : { path: options.path, dest: options.dest, net: options.net };
}

/** A new operation record: every Op is made here, so all have one shape. */
function newOp(
  kind: Kind,
  fd: number,
  addr: number,
  len: number,
  pos: number,
  fixed: boolean,
  prep: Prep | undefined,
  resolve: (value: any) => void,
  reject: (error: unknown) => void,
  keep: unknown,
  map: ((res: number) => unknown) | undefined,
  syscall: string,
  context: ErrorContext | undefined,
  success: number,
  timeout: number,
  unref: boolean | undefined,
  signal: CancelSignal | undefined,
  onRelease: (() => void) | undefined,
): Op {
  return {
    kind,
    fd,
    addr,
    len,
    pos,
    fixed,
    prep,
    resolve,
    reject,
    keep,
    map,
    syscall,
    context,
    success,
    flags: (timeout > 0 ? Flag.Timeout : 0) | (unref ? Flag.Unref : 0),
    timeout,
    ts: undefined,
    signal,
    onAbort: undefined,
    slot: -1,
    generation: 0,
    multishot: undefined,
    rearm: undefined,
    chain: undefined,
    onRelease,
  };
}

/**
 * Puts the caller's frames on a rejection's stack: captured in a rejection handler, so V8 lists
 * the async functions awaiting the returned promise. A `.then` costs less than an async wrapper
 * (no extra await and resume): NOPs through promises 1.53M → 1.76M/s, A/B on 2026-12-04.
 */
function withCallerStack<T>(promise: Promise<T>): Promise<T> {
  return promise.then(undefined, callerStack);
}

function callerStack(error: unknown): never {
  if (error instanceof Error) Error.captureStackTrace(error, callerStack);
  throw error;
}

/** Average bytes per buffer under which writev copies its buffers into one write (see #vectored). */
const WRITE_COALESCE = 1024;

const addresses = new WeakMap<ArrayBufferLike, number>();
/**
 * A view's address, looking its ArrayBuffer up once (backing stores do not move): for layers that
 * put caller buffers in SQEs on a hot path, instead of one N-API call per operation.
 */
export function addressOfView(view: ArrayBufferView): number {
  let base = addresses.get(view.buffer);
  if (base === undefined) {
    base = addressOf(view.buffer as ArrayBuffer);
    addresses.set(view.buffer, base);
  }
  return base + view.byteOffset;
}

/** readv/writev's arguments: an array of views, an fd, a position; the error, or undefined. */
function vectorError(fd: number, buffers: readonly ArrayBufferView[], position: number): Error | undefined {
  if (!Array.isArray(buffers) || !buffers.every(isView)) return invalidArgType('buffers', 'an ArrayBufferView[]', buffers);
  return integerError(fd, 'fd', FD_MIN, FD_MAX) ?? integerError(position, 'position', -1);
}

/** What is left of `views` once their first `n` bytes are done: the rest of a view cut short as bytes (a Uint8Array over it), and those after it. */
export function viewsAfter(views: readonly ArrayBufferView[], n: number): readonly ArrayBufferView[] {
  for (let k = 0; k < views.length; k++) {
    const v = views[k]!;
    if (n < v.byteLength) return [n > 0 ? new Uint8Array(v.buffer, v.byteOffset + n, v.byteLength - n) : v, ...views.slice(k + 1)];
    n -= v.byteLength;
  }
  return NONE_LEFT; // (all done: the common case of a send, which allocates nothing then)
}
const NONE_LEFT: readonly ArrayBufferView[] = Object.freeze([]);

/**
 * Node's validateInteger as a value instead of a throw, for the promise-returning methods: an
 * fd, a position, a mask that is not an integer would reach the SQE as another number
 * (undefined and NaN as 0 — stdin — and 1.5 as 1), so it is refused before anything is submitted.
 */
function integerError(value: unknown, name: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): Error | undefined {
  // The common case without a try block: this runs four times per read and write.
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return undefined;
  try {
    validateInteger(value, name, min, max);
    return undefined;
  } catch (error) {
    return error as Error;
  }
}

/**
 * What is wrong with a read's or write's arguments, if anything: the kernel reads or writes
 * `length` bytes at the buffer's address + `offset` whatever the buffer's size, so a range past
 * its end would corrupt memory (or crash Node) instead of failing.
 */
function readWriteArgsError(fd: unknown, size: number, offset: unknown, length: unknown, position: unknown): Error | undefined {
  if (typeof fd === 'object' && fd !== null) {
    if (typeof (fd as FixedFile).index !== 'number') return invalidArgType('fd', 'of type number or a FixedFile', fd);
  } else {
    const error = integerError(fd, 'fd', FD_MIN, FD_MAX);
    if (error) return error;
  }
  return integerError(offset, 'offset', 0, size) ?? integerError(length, 'length', 0, size - (offset as number)) ?? integerError(position, 'position', -1);
}

function isView(value: unknown): value is ArrayBufferView {
  return ArrayBuffer.isView(value) && !(value.buffer instanceof SharedArrayBuffer);
}

/**
 * The scheduler that turns an io_uring into promises inside Node's event loop.
 *
 * - Operations started in one tick are written as SQEs at once and submitted together by one
 *   io_uring_enter in a microtask; a full SQ is flushed early; EBUSY/EAGAIN reap first and retry.
 * - Completions wake the loop through an eventfd registered with the ring and polled by libuv;
 *   what the kernel completes inline, during the submitting io_uring_enter, is reaped by the
 *   submitting microtask at once — at most INLINE_REAPS times between two wake-ups, so a chain
 *   of awaited operations still lets the event loop turn.
 * - Each operation holds a slot until its final CQE, and the slot holds everything the kernel may
 *   touch (buffers, paths, iovecs, timespecs) — also after a timeout, an abort or close().
 * - At most `maxInFlight` operations are in the kernel; the rest wait in a FIFO backlog. Not
 *   counted: multishot operations and those submitted `unbounded` (waits on another party, which
 *   could otherwise hold every slot); they are placed at once.
 *   Liveness caveat: an in-flight operation that waits for one still in the backlog (a read on a
 *   pipe whose writer is queued behind it) can only be freed by its timeout: give such operations
 *   a `timeout`, or a cap that leaves room.
 */
export class Loop {
  readonly ring: IoUring;
  readonly metrics: Metrics;
  readonly maxInFlight: number;
  readonly #slots: Slots<Op>;
  /** Operations in flight that count against maxInFlight (all but the unbounded ones). */
  #bounded = 0;
  readonly #batch = new CqeBatch(256);
  readonly #efd: number;
  readonly #poller: EventfdPoller;
  readonly #credentials: Credentials;
  readonly #defaultTimeout: number;
  readonly #deferTaskrun: boolean;
  #backlog: (Op | undefined)[] = [];
  #backlogHead = 0;
  #refs = 0;
  #flushQueued = false;
  #reapQueued = false;
  /** A batch is being settled (see #reapBatch): its CQEs, the one being settled, how many. */
  #reaping = false;
  #batchAt = 0;
  #batchEnd = 0;
  /** The submitting microtask is reaping what completed inline (see #flushTask). */
  #reapingInline = false;
  /** Operations reaped inline and their results, settled from the next tick (see #settleInline). */
  #inlineSettled: (Op | number)[] = [];
  /** Inline reaps left until the eventfd next wakes the loop (see INLINE_REAPS). */
  #inlineReaps = INLINE_REAPS;
  #state: 'open' | 'closing' | 'closed' = 'open';
  #poisoned: Error | undefined;
  #closed: Promise<void> | undefined;
  #closeResolve: (() => void) | undefined;
  #closeTimer: NodeJS.Timeout | undefined;
  /** The ring of runNow(), made on its first use. */
  #side: SideRing | undefined;

  /** Creates a loop with its own ring. Throws UringUnavailableError (with the reason from `support()`) where io_uring cannot be used. */
  constructor(options: LoopOptions = {}) {
    const entries = options.entries ?? 256;
    const maxInFlight = options.maxInFlight ?? 4096;
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1 || maxInFlight > 0x10000)
      throw outOfRange('maxInFlight', '>= 1 && <= 65536', maxInFlight);
    const timeout = options.timeout ?? 0;
    if (!(timeout >= 0)) throw outOfRange('timeout', '>= 0', timeout);
    const report = support();
    if (!report.supported) throw new UringUnavailableError(report);
    let flags = options.flags ?? DEFAULT_FLAGS;
    if (options.sqpollIdle !== undefined) flags |= SetupFlag.SQPOLL;
    // DEFER_TASKRUN defers completions as task work that one GETEVENTS runs only a batch of (20 in
    // 6.x), and signals the eventfd only when the first item is queued: TASKRUN_FLAG is how the
    // kernel says some is left (IORING_SQ_TASKRUN), so #reap goes on. Without it the rest can wait
    // for ever (measured: writeFile stalled within seconds).
    if (flags & SetupFlag.DEFER_TASKRUN) flags |= SetupFlag.TASKRUN_FLAG;
    const init = (setupFlags: number) =>
      IoUring.init(entries, {
        flags: setupFlags,
        cqEntries: options.cqEntries ?? Math.max(2 * maxInFlight, 2 * entries),
        sqThreadIdle: options.sqpollIdle,
      });
    try {
      try {
        this.ring = init(flags);
      } catch (error) {
        // A kernel before 5.19 rejects the default flags, not the caller's: retry without them.
        if (options.flags !== undefined || (error as { code?: string }).code !== 'EINVAL') throw error;
        this.ring = init(flags & ~DEFAULT_FLAGS);
      }
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'EINVAL' || code === 'ERR_OUT_OF_RANGE') throw error; // the options are wrong, not the machine
      const reason = code === 'ENOMEM' ? 'enomem' : code === 'EPERM' ? 'eperm' : 'other';
      throw new UringUnavailableError({ ...report, supported: false, reason, code, message: (error as Error).message }, error);
    }
    this.maxInFlight = maxInFlight;
    this.#defaultTimeout = timeout;
    this.#deferTaskrun = (this.ring.flags & SetupFlag.DEFER_TASKRUN) !== 0;
    this.#slots = new Slots<Op>(Math.min(maxInFlight, 1024)); // grows past it for unbounded operations
    this.metrics = new Metrics({ inFlight: () => this.#slots.used, backlog: () => this.#backlogLength() });
    let efd = -1;
    try {
      efd = eventfd(0, Linux.EFD_NONBLOCK | Linux.EFD_CLOEXEC);
      this.ring.registerEventfd(efd);
      this.#poller = new EventfdPoller(efd, () => {
        this.metrics.wakeups++;
        if (this.ring.cqReady() === 0 && !this.#deferTaskrun) this.metrics.idleWakeups++;
        this.#inlineReaps = INLINE_REAPS;
        this.#reap();
      })
        .start()
        .unref();
    } catch (error) {
      // EMFILE and the like: give back what was made, and say why as Node would.
      if (efd >= 0) closeFd(efd);
      this.ring.close();
      throw error;
    }
    this.#efd = efd;
    // Ring and eventfd belong to the process: a terminated worker must not leave them behind.
    closeOnTeardown(this.ring.fd);
    closeOnTeardown(this.#efd);
    const bounded = options.boundedWorkers ?? 32;
    if (bounded > 0) {
      // Best effort: kernels before 5.15 lack the call and keep their default.
      registerRaw(this.ring.fd, RegisterOp.REGISTER_IOWQ_MAX_WORKERS, Uint32Array.of(bounded, 0), 2);
    }
    this.#credentials = Credentials.current();
  }

  /** The io-wq worker limits in force: [bounded, unbounded] (IORING_REGISTER_IOWQ_MAX_WORKERS with zeros reads them). */
  ioWorkers(): [number, number] {
    const limits = Uint32Array.of(0, 0);
    this.ring.register(RegisterOp.REGISTER_IOWQ_MAX_WORKERS, limits, 2);
    return [limits[0]!, limits[1]!];
  }

  /** False once the loop is closing, closed, or refuses work after a credentials change. */
  get usable(): boolean {
    return this.#state === 'open';
  }

  /**
   * Retired by a credentials change (CredentialsChangedError): it refused what it had not
   * submitted (with that error) and cancelled its multishot operations, so a layer may start those
   * again on getLoop()'s new loop — nothing more of them was done.
   */
  get credentialsChanged(): boolean {
    return this.#poisoned instanceof CredentialsChangedError;
  }

  // ---- submitting --------------------------------------------------------------------------------

  /**
   * Runs one operation: `prep` writes its SQE; the promise settles with its CQE. The generic
   * entry point the typed methods and the layers above use.
   */
  submit<T = number>(prep: Prep, options: SubmitOptions<T>): Promise<T> {
    return withCallerStack(this.#start<T>(prep, options.syscall, options.keep, options.map, options, contextOf(options), options.success ?? 1));
  }

  /**
   * Submits an operation whose result nobody awaits — the close that ends a composite call —
   * without a promise: `onRelease` runs once its CQE is reaped (or at once when the loop refuses
   * the operation), and a failure goes unreported, as with a close whose promise is ignored. The
   * loop still drains it on close() and it keeps the process alive (unless `unref`). It saves
   * what a promise costs on top of the SQE: the promise, the caller-stack wrapper, the reactions.
   */
  post(prep: Prep, options: { syscall: string; keep?: unknown; onRelease?: () => void; unref?: boolean }): void {
    if (this.#state !== 'open') {
      options.onRelease?.();
      return;
    }
    this.#enqueue(newOp(Kind.Custom, 0, 0, 0, 0, false, prep, ignore, ignore, options.keep, undefined, options.syscall, undefined, 1, 0, options.unref, undefined, options.onRelease));
  }

  /**
   * As submit(), with Node's (error, result) callback instead of a promise — for a layer's hot
   * path (a socket's sends), where the promise, its caller-stack wrapper and the reactions that
   * carry the result on cost more than the operation's own JavaScript. The callback runs when the
   * CQE is reaped, from the reap, as a libuv callback runs from the event loop (never during this
   * call) — but one the kernel completed inline, reaped by the microtask that submitted it, runs
   * from the next tick, after what the submitting tick queued with nextTick, as libuv's callers
   * defer a request it completed at once (node:net's afterWriteTick). A refused operation (closed
   * loop, aborted signal, bad timeout) calls back on the next tick. Errors have the same shape as
   * submit()'s, without the caller's stack. An exception the callback throws is uncaught, as from
   * any Node callback, and the rest of the batch is settled.
   */
  submitCallback(prep: Prep, options: CallbackOptions, callback: OpCallback): void {
    const refused = this.#refusal(options);
    if (refused) {
      process.nextTick(callback, refused, 0);
      return;
    }
    const op = newOp(Kind.Custom, 0, 0, 0, 0, false, prep, callback as (value: unknown) => void, ignore, options.keep, undefined, options.syscall, contextOf(options), options.success ?? 1, options.timeout ?? this.#defaultTimeout, options.unref, options.signal, undefined);
    op.flags |= Flag.Callback | (options.unbounded ? Flag.Unbounded : 0);
    this.#enqueue(op);
  }

  /**
   * Runs one operation to completion before returning and returns its CQE's result — >= 0, or
   * -errno, which the caller turns into its error. For what must be done when a call returns, as
   * node:net's listen() has its socket bound and listening (IORING_OP_SOCKET, 5.19; BIND and
   * LISTEN, 6.11, complete inline): on a small side ring of the loop's (made on first use), whose
   * io_uring_submit_and_wait sees that one CQE — the loop's own ring would hand back other
   * operations' completions in the middle of the call. The identity guard applies as to every
   * submission; a closed (or poisoned) loop throws, as a refused submit() rejects. `keep` — what
   * the SQE points to — is held until the CQE has come, as submit()'s is.
   */
  runNow(prep: Prep, keep?: unknown): number {
    if (this.#state === 'open') {
      const changed = this.#credentials.changed();
      if (changed !== undefined) this.#poison(new CredentialsChangedError(changed));
    }
    if (this.#state !== 'open') throw this.#poisoned ?? new LoopClosedError();
    this.#side ??= new SideRing();
    return this.#side.run(prep, keep);
  }

  /** Why an operation with these options is refused before it starts (closed loop, aborted signal, bad timeout), or undefined. */
  #refusal(options: OpOptions): Error | undefined {
    const timeout = options.timeout ?? this.#defaultTimeout;
    if (this.#state === 'open' && !options.signal?.aborted && timeout >= 0) return undefined;
    if (this.#state !== 'open') return this.#poisoned ?? new LoopClosedError();
    if (options.signal?.aborted) return new AbortError(undefined, { cause: options.signal.reason });
    return outOfRange('timeout', '>= 0', timeout);
  }

  /** The typed methods' entry: positional, so the hot path allocates no options object. */
  #start<T>(
    prep: Prep | undefined,
    syscall: string,
    keep: unknown,
    map: ((res: number) => T) | undefined,
    options: OpOptions,
    context: ErrorContext | undefined = undefined,
    success = 1,
    kind = Kind.Custom,
    fd = 0,
    addr = 0,
    len = 0,
    pos = 0,
    fixed = false,
    chained?: Op[],
  ): Promise<T> {
    const refused = this.#refusal(options);
    if (refused) {
      // Refused before it started: the kernel never sees it.
      (options as SubmitOptions<T>).onRelease?.();
      return Promise.reject(refused);
    }
    const signal = options.signal;
    const timeout = options.timeout ?? this.#defaultTimeout;
    let op!: Op;
    const promise = new Promise<T>((resolve, reject) => {
      op = newOp(kind, fd, addr, len, pos, fixed, prep, resolve, reject, keep, map, syscall, context, success, timeout, options.unref, signal, (options as SubmitOptions<T>).onRelease);
    });
    if (options.unbounded) op.flags |= Flag.Unbounded;
    if (!chained) this.#enqueue(op);
    else chained.push(op);
    return promise;
  }

  /**
   * Runs `steps` as one linked chain (IOSQE_IO_LINK): each starts only after the one before it
   * succeeded, and a failure (or a short read/write/splice) cancels the rest with ECANCELED — unless
   * that step's prep made its link a hard one (`sqes.hardlink(i)`, IOSQE_IO_HARDLINK, 5.5): then the
   * next runs whatever it gave.
   * The chain is placed and submitted as a unit — never split across two io_uring_enter calls
   * or around the backlog — so it may be at most the SQ's size. Returns one promise per step.
   */
  link(steps: readonly LinkStep[], options: Omit<OpOptions, 'timeout'> = {}): Promise<number>[] {
    const most = Math.min(this.ring.sq.entries, this.maxInFlight);
    if (steps.length > most) {
      const error = outOfRange('steps.length', `<= ${most} (the SQ size and maxInFlight)`, steps.length);
      for (const step of steps) step.onRelease?.();
      return steps.map(() => Promise.reject(error));
    }
    const ops: Op[] = [];
    // One options object for every step (no copy per step): the chain takes no timeout.
    const shared: OpOptions = { signal: options.signal, unref: options.unref, timeout: 0, unbounded: options.unbounded };
    const promises: Promise<number>[] = [];
    for (const step of steps) {
      promises.push(withCallerStack(this.#start<number>(step.prep, step.syscall, step.keep, undefined, shared, contextOf(step), 1, Kind.Custom, 0, 0, 0, 0, false, ops)));
    }
    if (ops.length !== steps.length) {
      // Refused before it started (a closed loop, an aborted signal): the kernel never sees it.
      for (const step of steps) step.onRelease?.();
    } else if (ops.length > 0) {
      for (let k = 0; k < ops.length; k++) ops[k]!.onRelease = steps[k]!.onRelease;
      ops[0]!.chain = ops;
      for (const op of ops) this.#track(op);
      if (ops[0]!.flags & Flag.Unbounded) this.#place(ops[0]!);
      else if (this.#backlogLength() > 0 || !this.#place(ops[0]!)) this.#backlog.push(ops[0]!);
    }
    return promises;
  }

  /**
   * Starts a multishot operation: one SQE, many CQEs, each handed to `options.onCqe` or queued for
   * iteration. Re-armed when the kernel ends it (no IORING_CQE_F_MORE) and `rearm` agrees.
   */
  multishot(prep: Prep, options: MultishotOptions): Multishot {
    let op: Op | undefined;
    const handle = new Multishot(
      {
        cancel: () => op && this.#cancel(op),
        pendingInReap: () => op !== undefined && this.#laterInReap(op),
        ref: () => {
          if (op && op.flags & Flag.Unref && !(op.flags & Flag.Done)) {
            op.flags &= ~Flag.Unref;
            this.#ref();
          }
        },
        unref: () => {
          if (op && !(op.flags & (Flag.Unref | Flag.Done))) {
            op.flags |= Flag.Unref;
            this.#unref();
          }
        },
      },
      options.onCqe,
      options.releaseBuffer,
      options.onEnd,
    );
    if (this.#state !== 'open') {
      handle.end(this.#poisoned ?? new LoopClosedError());
      return handle;
    }
    if (options.signal?.aborted) {
      handle.end(new AbortError(undefined, { cause: options.signal.reason }));
      return handle;
    }
    op = newOp(Kind.Custom, 0, 0, 0, 0, false, prep, ignore, ignore, options.keep, undefined, options.syscall, contextOf(options), 1, 0, options.unref, options.signal, undefined);
    op.flags |= Flag.Multishot | Flag.Unbounded;
    op.multishot = handle;
    op.rearm = options.rearm ?? defaultRearm;
    this.#enqueue(op);
    return handle;
  }

  #enqueue(op: Op): void {
    this.#track(op);
    if (op.flags & Flag.Unbounded) this.#place(op);
    else if (this.#backlogLength() > 0 || !this.#place(op)) this.#backlog.push(op);
  }

  /** The operation now counts for process lifetime and listens to its signal. */
  #track(op: Op): void {
    if (!(op.flags & Flag.Unref)) this.#ref();
    if (op.signal) {
      op.onAbort = () => this.#abort(op);
      op.signal.addEventListener('abort', op.onAbort, { once: true });
    }
  }

  /** Gives `op` a slot and writes its SQE(s); false when `maxInFlight` bounded operations are in flight and it is one. */
  #place(op: Op): boolean {
    if (op.chain) return this.#placeChain(op.chain);
    if (!(op.flags & Flag.Unbounded)) {
      if (this.#bounded >= this.maxInFlight) return false;
      this.#bounded++;
    }
    const slot = this.#slots.acquire(op);
    op.slot = slot;
    op.generation = this.#slots.generation[slot]!;
    if (this.#slots.used > this.metrics.maxInFlight) this.metrics.maxInFlight = this.#slots.used;
    this.#issue(op);
    return true;
  }

  /** Gives every operation of a chain a slot and writes its SQEs back to back, linked. */
  #placeChain(ops: Op[]): boolean {
    const counted = !(ops[0]!.flags & Flag.Unbounded) ? ops.length : 0; // (the steps share link()'s options)
    if (this.maxInFlight - this.#bounded < counted) return false;
    if (ops.some((op) => op.flags & Flag.Abandoned)) return true; // aborted together while queued
    this.#bounded += counted;
    for (const op of ops) {
      op.slot = this.#slots.acquire(op);
      op.generation = this.#slots.generation[op.slot]!;
    }
    if (this.#slots.used > this.metrics.maxInFlight) this.metrics.maxInFlight = this.#slots.used;
    this.#reserve(ops.length);
    if (this.#poisoned) {
      for (const op of ops) this.#fail(op, this.#poisoned);
      return true;
    }
    const { sqes } = this.ring;
    ops.forEach((op, k) => {
      const i = this.ring.getSqe();
      op.prep!(sqes, i);
      sqes.setUserData(i, op.slot, op.generation);
      if (k < ops.length - 1) sqes.link(i);
    });
    this.metrics.submitted += ops.length;
    this.#scheduleFlush();
    return true;
  }

  /** Writes `op`'s SQE, and its linked timeout, and schedules the flush. */
  #issue(op: Op): void {
    const linked = (op.flags & Flag.Timeout) !== 0;
    this.#reserve(linked ? 2 : 1);
    if (this.#poisoned) {
      // The early flush in #reserve found the credentials changed: this one must not run either.
      this.#fail(op, this.#poisoned);
      return;
    }
    const ring = this.ring;
    const sqes = ring.sqes;
    const i = ring.getSqe();
    if (op.kind === Kind.Read) sqes.prepRead(i, op.fd, op.addr, op.len, op.pos);
    else if (op.kind === Kind.Write) sqes.prepWrite(i, op.fd, op.addr, op.len, op.pos);
    else op.prep!(sqes, i);
    if (op.fixed) sqes.fixedFile(i);
    sqes.setUserData(i, op.slot, op.generation);
    if (linked) {
      sqes.link(i);
      const t = ring.getSqe();
      op.ts ??= timespec(op.timeout); // read by the kernel when the chain is prepped; kept with the op
      sqes.prepLinkTimeout(t, addressOf(op.ts));
      sqes.setUserData(t, TAG_LINK_TIMEOUT, 0);
    }
    this.metrics.submitted++;
    this.#scheduleFlush();
  }

  /** Makes room for `count` SQEs, flushing early when the SQ is full. */
  #reserve(count: number): void {
    for (let tries = 0; this.ring.sq.spaceLeft() < count; tries++) {
      this.#flush();
      // With SQPOLL the kernel thread consumes asynchronously: wait for room (IORING_ENTER_SQ_WAIT, 5.10).
      if (this.ring.sq.spaceLeft() < count && this.ring.flags & SetupFlag.SQPOLL) this.ring.enter(0, 0, EnterFlag.SQ_WAIT);
      if (tries > 1000) throw new Error('io_uring submission queue did not drain');
    }
  }

  /**
   * Submits what is queued now (one io_uring_enter), not at the end of this microtask run — for a
   * caller about to hand a descriptor to something outside the ring (a child process's stdio),
   * which must find the operations queued before it in the kernel: a send with room in the
   * socket completes during the call. Nothing queued: no system call.
   */
  submitPending(): void {
    this.#flush();
  }

  #scheduleFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(this.#flushTask);
  }

  /**
   * The microtask that submits what this tick queued. What the kernel completed inline (a send
   * to a socket with room, a page-cached read, a NOP) has its CQE by the time io_uring_enter
   * returns: one batch of those is reaped at once rather than after the eventfd's wake-up — at
   * most INLINE_REAPS times between two wake-ups.
   *
   * While it submits and reaps so, the eventfd is turned off (IORING_CQ_EVENTFD_DISABLED, 5.8, as
   * liburing's io_uring_cq_eventfd_toggle): completions this microtask reaps itself would
   * otherwise each wake the loop later for nothing — an epoll wake-up, an eventfd read and a
   * callback (measured on an echo server: a fifth of all wake-ups found no CQE). Turned on again,
   * the CQ is looked at once more: a CQE posted while it was off and not reaped here — or held in
   * the kernel's overflow list — is reaped from setImmediate, and one posted after signals as
   * usual: no completion waits unseen. Not on a DEFER_TASKRUN ring, where the kernel signals only
   * when it first queues deferred work, which the CQ does not show until GETEVENTS runs it.
   */
  readonly #flushTask = (): void => {
    this.#flushQueued = false;
    const quiet = this.#inlineReaps > 0 && !this.#deferTaskrun && !this.ring.closed;
    if (quiet) this.ring.cq.setEventfdDisabled(true);
    try {
      if (!this.#flush() || this.#inlineReaps === 0 || this.ring.closed || this.ring.cqReady() === 0) return;
      this.#inlineReaps--;
      this.metrics.inlineReaps++;
      this.#reapingInline = true;
      this.#reapBatch();
      this.#afterReap();
    } finally {
      this.#reapingInline = false;
      if (quiet && !this.ring.closed) {
        this.ring.cq.setEventfdDisabled(false);
        // Posted while the eventfd was off, so signalled to nobody: CQEs in the CQ, and CQEs the
        // kernel holds back (an overflowed CQ, task work) that only an enter of ours would bring.
        if (this.ring.cqReady() > 0 || this.ring.cqNeedsFlush()) this.#reapLater();
      }
    }
  };

  /** One io_uring_enter for everything queued; checks the identity guard first. Returns whether it entered the kernel. */
  #flush(): boolean {
    if (this.ring.closed || this.ring.sqReady() === 0) return false;
    if (this.#poisoned) {
      this.#withdrawUnflushed(this.#poisoned);
      return false;
    }
    const changed = this.#credentials.changed();
    if (changed !== undefined) {
      this.#poison(new CredentialsChangedError(changed));
      return false;
    }
    for (let tries = 0; ; tries++) {
      try {
        this.ring.submit();
        this.metrics.enters++;
        return true;
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code !== 'EBUSY' && code !== 'EAGAIN') {
          this.#poison(error as Error);
          return false;
        }
        // The kernel is short of room for completions: reap, then try again; later if need be.
        this.metrics.busyRetries++;
        this.#reap();
        if (tries >= 3) {
          setImmediate(() => this.#flush());
          return false;
        }
      }
    }
  }

  // ---- completing --------------------------------------------------------------------------------

  /**
   * Copies CQEs in batches and settles their operations; then admits backlogged operations.
   * On a DEFER_TASKRUN ring completions are posted only when the ring's task runs its deferred
   * work, and the kernel signals the eventfd only when such work is first queued: so every wake
   * enters with GETEVENTS (`io_uring_get_events`), and reaping goes on while the kernel still
   * holds completions back (task work with TASKRUN_FLAG, or an overflowed CQ) — for at most
   * REAP_ROUNDS batches, then again from setImmediate, so the event loop keeps turning.
   */
  #reap(): void {
    const ring = this.ring;
    if (ring.closed || this.#reaping) return; // (see #reapBatch)
    if (ring.cqOverflowed()) this.metrics.cqOverflows++;
    if (this.#deferTaskrun) ring.getEvents();
    for (let round = 1; ; round++) {
      const full = this.#reapBatch();
      if (ring.closed || (!full && !ring.cqNeedsFlush())) break;
      if (round >= REAP_ROUNDS) {
        // Completions keep coming (a multishot timer, a flood of receives): let the event loop —
        // and the microtask that submits, say, a cancel — run before reaping on.
        this.#reapLater();
        break;
      }
      if (!full) ring.getEvents();
    }
    this.#afterReap();
  }

  /** What settled operations free up: backlogged operations get their slots; a closing loop may be done. */
  #afterReap(): void {
    this.#pump();
    if (this.#state === 'closing') this.#maybeFinishClose();
  }

  /**
   * Copies one batch of CQEs and settles their operations; returns whether the batch was full.
   * Not re-entered: a multishot handler of this batch that starts an operation can get to a
   * flush that finds the kernel busy and reaps — into the batch being read. That inner reap is
   * skipped (the flush retries later); the outer one goes on.
   */
  #reapBatch(): boolean {
    if (this.#reaping) return false;
    this.#reaping = true;
    try {
      const batch = this.#batch;
      const n = this.ring.cq.copy(batch);
      this.#batchEnd = n;
      for (let k = 0; k < n; k++) {
        this.#batchAt = k;
        this.#complete(batch.userDataLo(k), batch.userDataHi(k), batch.res(k), batch.flags(k));
      }
      return n === batch.capacity;
    } finally {
      this.#reaping = false;
      this.#batchEnd = 0;
    }
  }

  /**
   * Whether a CQE of `op` is still to be settled in the reap going on: later in the batch being
   * settled, or in the CQ ring for the batches after it (or possibly, the kernel holding
   * completions back from a full CQ, among those). False outside a reap.
   */
  #laterInReap(op: Op): boolean {
    if (!this.#reaping) return false;
    const batch = this.#batch;
    for (let k = this.#batchAt + 1; k < this.#batchEnd; k++) {
      if (batch.userDataLo(k) === op.slot && batch.userDataHi(k) === op.generation) return true;
    }
    return this.ring.cq.holds(op.slot, op.generation) || this.ring.cqNeedsFlush();
  }

  /** Reaps again in the check phase of this event-loop turn: after I/O callbacks and microtasks. */
  #reapLater(): void {
    if (this.#reapQueued) return;
    this.#reapQueued = true;
    setImmediate(() => {
      this.#reapQueued = false;
      this.#reap();
    });
  }

  #complete(slot: number, generation: number, res: number, flags: number): void {
    if (generation === 0) {
      this.metrics.internalCqes++;
      if ((slot & ((1 << TAG_BITS) - 1)) === TAG_CANCEL) {
        const op = this.#slots.records[slot >>> TAG_BITS];
        if (op) op.flags &= ~Flag.CancelSent;
      }
      return;
    }
    const op = this.#slots.lookup(slot, generation);
    if (op === undefined) {
      this.metrics.staleCqes++;
      return;
    }
    if (op.flags & Flag.Multishot) {
      this.#completeMultishot(op, res, flags);
      return;
    }
    this.#finish(op);
    if (this.#reapingInline && !(op.flags & Flag.Abandoned)) {
      if (this.#inlineSettled.length === 0) process.nextTick(this.#settleInline);
      this.#inlineSettled.push(op, res);
      return;
    }
    if (!(op.flags & Flag.Abandoned)) this.#settle(op, res);
    // Last: a map() may still read what the operation kept.
    op.onRelease?.();
  }

  /**
   * Settles, from the next tick and in CQE order, what the submitting microtask reaped inline:
   * Node's callers of libuv defer a request it completed at once in the same way (node:net's
   * afterWriteTick), and its thread pool answers an event-loop turn later at the earliest — so what
   * the caller queued with process.nextTick before the operation still runs before it settles. An
   * abort queued so (a nextTick abort before an fs call made inside a promise callback) rejects the
   * operation with an AbortError, as Node's would; what the kernel did stays done, as when Node's
   * readFile/writeFile see an abort between two chunks.
   */
  readonly #settleInline = (): void => {
    const settled = this.#inlineSettled;
    this.#inlineSettled = [];
    for (let k = 0; k < settled.length; k += 2) {
      const op = settled[k] as Op;
      if (op.signal?.aborted) this.#rejectOp(op, new AbortError(undefined, { cause: op.signal.reason }));
      else this.#settle(op, settled[k + 1] as number);
      op.onRelease?.();
    }
    if (this.#state === 'closing') this.#maybeFinishClose();
  };

  #settle(op: Op, res: number): void {
    if (op.flags & Flag.Callback) {
      this.#callBack(op, res < 0 && res !== op.success ? this.#error(op, res) : null, res < 0 ? 0 : res);
      return;
    }
    if (res < 0 && res !== op.success) op.reject(this.#error(op, res));
    else {
      const value = res < 0 ? 0 : res;
      if (op.kind === Kind.Read) op.resolve({ bytesRead: value, buffer: op.keep });
      else if (op.kind === Kind.Write) op.resolve({ bytesWritten: value, buffer: op.keep });
      else if (!op.map) op.resolve(value);
      else {
        try {
          op.resolve(op.map(value));
        } catch (error) {
          op.reject(error); // a caller's map that throws fails its own operation, nothing else
        }
      }
    }
  }

  #completeMultishot(op: Op, res: number, flags: number): void {
    const handle = op.multishot!;
    if (flags & CqeFlag.MORE) {
      if (!(op.flags & Flag.Abandoned)) handle.deliver(res, flags);
      else handle.drop(flags);
      // Still running after its cancel completed: the cancel missed it. A multishot timeout is
      // off the kernel's timeout list between firing and re-arming, and ASYNC_CANCEL then fails
      // with -ENOENT (6.4+) — so cancel again until the operation's final CQE comes.
      if (op.flags & (Flag.Abandoned | Flag.Cancelling) && !(op.flags & Flag.CancelSent)) this.#cancelInKernel(op);
      return;
    }
    const stopping = (op.flags & (Flag.Abandoned | Flag.Cancelling)) !== 0 || this.#state !== 'open';
    // An end that `rearm` takes for a normal one (a counted timeout's last firing, a drained
    // buffer ring): armed again, or — cancelled meanwhile — the operation ends without an error.
    let normalEnd: boolean;
    try {
      normalEnd = op.rearm!(res, flags);
    } catch (error) {
      // The caller's rearm threw: the operation ends with that error, the rest of the batch is settled.
      this.#finish(op);
      handle.drop(flags); // not delivered: its buffer goes back
      if (!(op.flags & Flag.Abandoned)) handle.end(error);
      return;
    }
    if (!stopping && normalEnd) {
      handle.deliver(res, flags);
      this.metrics.rearms++;
      this.#issue(op); // same slot and generation: the same operation, armed again
      return;
    }
    this.#finish(op);
    if (op.flags & Flag.Abandoned) return handle.drop(flags);
    if (res >= 0 || normalEnd) {
      handle.deliver(res, flags);
      handle.end();
    } else if (res === -Errno.ECANCELED && op.flags & Flag.Cancelling) handle.end();
    else handle.end(this.#error(op, res));
  }

  /** Fails an operation: its promise rejects, or its callback gets the error. */
  #rejectOp(op: Op, error: unknown): void {
    if (op.flags & Flag.Callback) this.#callBack(op, error as Error, 0);
    else op.reject(error);
  }

  /**
   * A submitCallback operation's callback; what it throws is uncaught (next tick), and the caller's
   * reap goes on. From the next tick when reaped inline (see submitCallback).
   */
  #callBack(op: Op, error: Error | null, result: number): void {
    if (this.#reapingInline) {
      process.nextTick(op.resolve as OpCallback, error, result);
      return;
    }
    try {
      (op.resolve as OpCallback)(error, result);
    } catch (thrown) {
      process.nextTick(rethrow, thrown);
    }
  }

  /** Frees `op`'s slot and what it held; the operation is over for the kernel. */
  #finish(op: Op): void {
    op.flags |= Flag.Done;
    if (!(op.flags & Flag.Unbounded)) this.#bounded--;
    this.#slots.release(op.slot);
    this.metrics.completed++;
    if (!(op.flags & Flag.Unref)) this.#unref();
    if (op.onAbort) op.signal!.removeEventListener('abort', op.onAbort);
  }

  #error(op: Op, res: number): Error {
    if (op.flags & Flag.Timeout && !(op.flags & Flag.Cancelling) && (res === -Errno.ECANCELED || res === -Errno.EINTR)) {
      return uringError(-Errno.ETIMEDOUT, op.syscall, op.context);
    }
    return uringError(res, op.syscall, op.context);
  }

  #backlogLength(): number {
    return this.#backlog.length - this.#backlogHead;
  }

  /** Admits backlogged operations, oldest first, while slots are free. */
  #pump(): void {
    while (this.#backlogHead < this.#backlog.length) {
      const op = this.#backlog[this.#backlogHead]!;
      if (!(op.flags & Flag.Abandoned) && !this.#place(op)) return;
      this.#backlog[this.#backlogHead++] = undefined;
    }
    this.#backlog = [];
    this.#backlogHead = 0;
  }

  // ---- cancelling ----------------------------------------------------------------------------------

  /** The signal fired: reject now; the slot (and what it keeps) waits for the kernel's CQE. */
  #abort(op: Op): void {
    if (op.flags & (Flag.Abandoned | Flag.Done)) return;
    op.flags |= Flag.Abandoned;
    const error = new AbortError(undefined, { cause: op.signal!.reason });
    if (op.multishot) op.multishot.end(error);
    else this.#rejectOp(op, error);
    if (op.slot < 0) {
      // Still in the backlog: it never reaches the kernel.
      op.flags |= Flag.Done;
      if (!(op.flags & Flag.Unref)) this.#unref();
      op.onRelease?.();
      return;
    }
    this.#cancelInKernel(op);
  }

  /** cancel() of a multishot handle. */
  #cancel(op: Op): void {
    if (op.flags & (Flag.Done | Flag.Cancelling)) return;
    op.flags |= Flag.Cancelling;
    if (op.slot < 0) {
      op.flags |= Flag.Done | Flag.Abandoned;
      if (!(op.flags & Flag.Unref)) this.#unref();
      op.multishot?.end();
      return;
    }
    this.#cancelInKernel(op);
  }

  #cancelInKernel(op: Op): void {
    if (this.ring.closed) return;
    this.#reserve(1);
    this.#writeCancel(op);
    this.#scheduleFlush();
  }

  /** Writes the ASYNC_CANCEL SQE for `op` (its CQE clears CancelSent); the caller has made room. */
  #writeCancel(op: Op): void {
    op.flags |= Flag.CancelSent;
    const i = this.ring.getSqe();
    this.ring.sqes.prepCancel(i, op.slot, op.generation);
    this.ring.sqes.setUserData(i, TAG_CANCEL | (op.slot << TAG_BITS), 0);
  }

  // ---- process lifetime ----------------------------------------------------------------------------

  #ref(): void {
    if (this.#refs++ === 0) this.#poller.ref();
  }

  #unref(): void {
    if (--this.#refs === 0) this.#poller.unref();
  }

  // ---- closing -------------------------------------------------------------------------------------

  /**
   * Stops accepting work, lets in-flight and backlogged operations finish, cancels what remains
   * after `timeout` ms (they reject with ECANCELED), then releases the ring. Multishot operations,
   * which never finish by themselves, are cancelled at once. Idempotent.
   */
  close(options: CloseOptions = {}): Promise<void> {
    if (this.#closed) return this.#closed;
    const timeout = options.timeout ?? 2000;
    this.#state = 'closing';
    this.#closed = new Promise<void>((resolve) => (this.#closeResolve = resolve));
    for (const op of this.#slots.records) if (op && op.flags & Flag.Multishot) this.#cancel(op);
    if (Number.isFinite(timeout)) {
      this.#closeTimer = setTimeout(() => this.#cancelAll(), timeout);
      this.#closeTimer.unref();
    }
    this.#maybeFinishClose();
    return this.#closed;
  }

  #cancelAll(): void {
    this.#dropBacklog((op) => (op.multishot ? undefined : uringError(-Errno.ECANCELED, op.syscall, op.context)));
    let any = false;
    for (const op of this.#slots.records) {
      if (op) {
        op.flags |= Flag.Cancelling;
        any = true;
      }
    }
    if (any && !this.ring.closed) {
      this.#reserve(1);
      const i = this.ring.getSqe();
      this.ring.sqes.prepCancelAny(i, CancelFlag.ALL);
      this.ring.sqes.setUserData(i, TAG_CANCEL_ALL, 0);
      this.#flush();
    }
    this.#maybeFinishClose();
  }

  #maybeFinishClose(): void {
    if (this.#state !== 'closing' || this.#slots.used > 0 || this.#backlogLength() > 0 || this.#inlineSettled.length > 0) return;
    this.#state = 'closed';
    if (this.#closeTimer) clearTimeout(this.#closeTimer);
    this.#poller.close();
    forgetOnTeardown(this.ring.fd);
    forgetOnTeardown(this.#efd);
    this.ring.close();
    closeFd(this.#efd);
    this.#side?.close();
    this.#closeResolve?.();
  }

  /**
   * The identity guard fired (or the ring failed): withdraw what was queued but never submitted,
   * reject it and everything after, and close once what the kernel already has is done.
   */
  #poison(error: Error): void {
    if (this.#poisoned) return;
    this.#poisoned = error;
    this.#state = 'closing';
    this.#closed ??= new Promise<void>((resolve) => (this.#closeResolve = resolve));
    this.#withdrawUnflushed(error);
    this.#dropBacklog(() => error);
    this.#cancelInFlight();
    this.#maybeFinishClose();
  }

  /**
   * The multishot operations a poisoned loop still has in the kernel — a server's accept, a
   * socket's receive — would go on for ever under the old credentials: each is cancelled now (its
   * ASYNC_CANCEL submitted past the guard: a cancel opens, reads and writes nothing), ending
   * without error, so its owner can start it again on getLoop()'s new loop and the old ring
   * closes once drained. One-shot operations submitted before the change finish as they would have.
   */
  #cancelInFlight(): void {
    if (this.ring.closed) return;
    let any = false;
    for (const op of this.#slots.records) {
      if (!op || !(op.flags & Flag.Multishot) || op.flags & (Flag.Done | Flag.Cancelling) || op.slot < 0) continue;
      if (this.ring.sq.spaceLeft() === 0) break; // the rest end when the ring closes
      op.flags |= Flag.Cancelling;
      this.#writeCancel(op);
      any = true;
    }
    if (!any) return;
    try {
      this.ring.submit();
    } catch {
      // The ring itself failed: closing it (once drained) ends what it holds.
    }
  }

  /**
   * Ends every backlogged operation (they never reached the kernel) with `errorFor(op)`; a
   * multishot given undefined ends without error.
   */
  #dropBacklog(errorFor: (op: Op) => Error | undefined): void {
    for (let k = this.#backlogHead; k < this.#backlog.length; k++) {
      const head = this.#backlog[k];
      for (const op of head?.chain ?? (head ? [head] : [])) {
        if (op.flags & Flag.Abandoned) continue;
        op.flags |= Flag.Abandoned | Flag.Done;
        if (!(op.flags & Flag.Unref)) this.#unref();
        op.onRelease?.();
        const error = errorFor(op);
        if (op.multishot) op.multishot.end(error);
        else this.#rejectOp(op, error);
      }
    }
    this.#backlog = [];
    this.#backlogHead = 0;
  }

  /** Fails the operations whose SQEs were written but never published to the kernel. */
  #withdrawUnflushed(error: Error): void {
    const sqes = this.ring.sqes;
    for (const i of this.ring.sq.discardUnflushed()) {
      const op = this.#slots.lookup(sqes.u32[(i << 4) + 8]!, sqes.u32[(i << 4) + 9]!);
      if (op && !(op.flags & Flag.Done)) this.#fail(op, error);
    }
  }

  /** Ends an operation that holds a slot but that the kernel never saw. */
  #fail(op: Op, error: Error): void {
    this.#finish(op);
    op.onRelease?.();
    if (op.flags & Flag.Abandoned) return;
    if (op.multishot) op.multishot.end(error);
    else this.#rejectOp(op, error);
  }

  // ---- registered files ----------------------------------------------------------------------------

  #fileTable: Int32Array | undefined;
  #freeFiles: number[] = [];

  /**
   * Registers `fd` in the ring's file table (a sparse table of `tableSize` slots, made on first
   * use; IORING_REGISTER_FILES_UPDATE, 5.5): reads and writes through the returned FixedFile skip
   * the kernel's per-operation fd lookup. The fd stays open and yours; unregister before closing
   * it so the table does not keep the file alive. Throws a Node-shaped error when the table is full.
   */
  registerFile(fd: number, tableSize = 1024): FixedFile {
    const index = this.reserveFileSlot(tableSize);
    if (index === undefined) throw uringError(-Errno.ENFILE, 'io_uring_register');
    try {
      this.ring.registerFilesUpdate(index, [fd]);
    } catch (error) {
      this.releaseFileSlot(index);
      throw error;
    }
    this.#fileTable![index] = fd;
    return { index, fd };
  }

  /**
   * Reserves an empty slot of the ring's file table (made on first use with `tableSize` slots),
   * for an operation that creates a direct descriptor in it (openat_direct, accept_direct,
   * socket_direct); undefined when every slot is taken. Give it back with releaseFileSlot once
   * the descriptor in it is closed (close_direct).
   */
  reserveFileSlot(tableSize = 1024): number | undefined {
    if (this.#state !== 'open') throw this.#poisoned ?? new LoopClosedError();
    if (this.#fileTable === undefined) this.#fileTable = this.#makeFileTable(tableSize);
    return this.#freeFiles.pop();
  }

  /**
   * The ring's sparse file table (IORING_RSRC_REGISTER_SPARSE, 5.19), of `size` slots or fewer:
   * the kernel refuses a table larger than the process's RLIMIT_NOFILE with EMFILE (a `ulimit -n`
   * of 512 refused the 1,024 slots, and every readFile failed), so the size halves until it takes
   * one. Where none can be made (other errors), a table of no slots: every reservation is
   * undefined, and the callers do without.
   */
  #makeFileTable(size: number): Int32Array {
    for (let n = size; n >= 1; n = Math.floor(n / 2)) {
      try {
        this.ring.registerFilesSparse(n);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).errno === -Errno.EMFILE) continue;
        return new Int32Array(0);
      }
      for (let k = n - 1; k >= 0; k--) this.#freeFiles.push(k);
      return new Int32Array(n).fill(-1);
    }
    return new Int32Array(0);
  }

  /** Returns a slot from reserveFileSlot to the free list. */
  releaseFileSlot(index: number): void {
    if (this.#fileTable === undefined || index < 0 || index >= this.#fileTable.length) return;
    this.#fileTable[index] = -1;
    this.#freeFiles.push(index);
  }

  /** Empties `file`'s slot; operations already submitted on it finish normally. Idempotent. */
  unregisterFile(file: FixedFile): void {
    if (this.#fileTable?.[file.index] !== file.fd || this.ring.closed) return;
    this.ring.registerFilesUpdate(file.index, [-1]);
    this.#fileTable[file.index] = -1;
    this.#freeFiles.push(file.index);
  }

  // ---- typed operations ----------------------------------------------------------------------------
  // Each goes to #start positionally, never through submit() with `{ ...options, syscall }`: a
  // spread with properties added takes V8's generic copy (~0.5 µs alone, scratch, Node 20), and
  // code reading the copy ran slower too.

  /** IORING_OP_NOP: a round trip through the kernel. */
  nop(options: OpOptions = {}): Promise<number> {
    return withCallerStack(this.#start(prepNop, 'nop', undefined, undefined, options));
  }

  /**
   * pread into `buffer[offset, offset+length)` at `position` (-1: the file position). Resolves
   * like FileHandle.read: `{ bytesRead, buffer }`.
   */
  read<B extends ArrayBufferView>(
    fd: number | FixedFile,
    buffer: B,
    offset = 0,
    length = buffer.byteLength - offset,
    position = -1,
    options: OpOptions = {},
  ): Promise<{ bytesRead: number; buffer: B }> {
    return this.#readWrite(Kind.Read, 'read', fd, buffer, offset, length, position, options);
  }

  /** pwrite of `buffer[offset, offset+length)` at `position` (-1: the file position): `{ bytesWritten, buffer }`. */
  write<B extends ArrayBufferView>(
    fd: number | FixedFile,
    buffer: B,
    offset = 0,
    length = buffer.byteLength - offset,
    position = -1,
    options: OpOptions = {},
  ): Promise<{ bytesWritten: number; buffer: B }> {
    return this.#readWrite(Kind.Write, 'write', fd, buffer, offset, length, position, options);
  }

  #readWrite<R>(kind: Kind, syscall: string, fd: number | FixedFile, buffer: ArrayBufferView, offset: number, length: number, position: number, options: OpOptions): Promise<R> {
    if (!isView(buffer)) return Promise.reject(invalidArgType('buffer', 'an instance of Buffer, TypedArray, or DataView', buffer));
    const invalid = readWriteArgsError(fd, buffer.byteLength, offset, length, position);
    if (invalid) return Promise.reject(invalid);
    const addr = addressOfView(buffer) + offset;
    const fixed = typeof fd === 'object';
    const target = fixed ? fd.index : fd;
    return withCallerStack(this.#start<R>(undefined, syscall, buffer, undefined, options, undefined, 1, kind, target, addr, length, position, fixed));
  }

  /**
   * preadv into `buffers` at `position`: the byte count. Into the first Linux.IOV_MAX (1024) of
   * them at most — more is EINVAL for the kernel — as libuv's uv__fs_read reads for node:fs.
   */
  readv(fd: number, buffers: readonly ArrayBufferView[], position = -1, options: OpOptions = {}): Promise<number> {
    const invalid = vectorError(fd, buffers, position);
    if (invalid) return Promise.reject(invalid);
    return this.#vectored('readv', fd, buffers.length > Linux.IOV_MAX ? buffers.slice(0, Linux.IOV_MAX) : buffers, position, options);
  }

  /**
   * pwritev of `buffers` at `position`: the byte count. More than Linux.IOV_MAX (1024) buffers are
   * written as libuv's uv__fs_write_all writes them for node:fs — IOV_MAX per pwritev, each after
   * the one before, on from where a short write stopped (and from `position` on by what was
   * written, when one is given) — and an error after some bytes ends it with those bytes.
   */
  writev(fd: number, buffers: readonly ArrayBufferView[], position = -1, options: OpOptions = {}): Promise<number> {
    const invalid = vectorError(fd, buffers, position);
    if (invalid) return Promise.reject(invalid);
    if (buffers.length <= Linux.IOV_MAX) return this.#vectored('writev', fd, buffers, position, options);
    return this.#writevAll(fd, buffers, position, options);
  }

  async #writevAll(fd: number, buffers: readonly ArrayBufferView[], position: number, options: OpOptions): Promise<number> {
    let rest = buffers;
    let total = 0;
    while (rest.length > 0) {
      let n: number;
      try {
        n = await this.#vectored('writev', fd, rest.slice(0, Linux.IOV_MAX), position, options);
      } catch (error) {
        if (total === 0) throw error;
        break;
      }
      if (n <= 0) break;
      total += n;
      if (position >= 0) position += n;
      rest = viewsAfter(rest, n);
    }
    return total;
  }

  /**
   * One preadv/pwritev of `buffers` (checked by the caller, at most IOV_MAX). Small buffers to
   * write — under WRITE_COALESCE bytes on average, as a stream's many short writes gathered by its
   * _writev — are copied into one and written by one pwrite, the same bytes in the same order:
   * copying them costs less than describing each to the kernel (its address looked up, its iovec
   * written; writev of 100,000 16-byte chunks through a write stream took 0.65x node:fs's speed).
   */
  #vectored(syscall: 'readv' | 'writev', fd: number, buffers: readonly ArrayBufferView[], position: number, options: OpOptions): Promise<number> {
    const n = buffers.length;
    if (syscall === 'writev' && n > 1) {
      let total = 0;
      for (let k = 0; k < n; k++) total += buffers[k]!.byteLength;
      if (total < n * WRITE_COALESCE) {
        const one = Buffer.allocUnsafe(total);
        for (let k = 0, at = 0; k < n; k++) {
          const b = buffers[k]!;
          one.set(b instanceof Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength), at);
          at += b.byteLength;
        }
        const at = addressOfView(one);
        return withCallerStack(this.#start((sqes, i) => sqes.prepWrite(i, fd, at, total, position), 'write', one, undefined, options));
      }
    }
    const vecs = iovecs(buffers.map((b) => ({ address: addressOfView(b), length: b.byteLength })));
    const addr = addressOf(vecs);
    return withCallerStack(
      this.#start(
        syscall === 'readv' ? (sqes, i) => sqes.prepReadv(i, fd, addr, n, position) : (sqes, i) => sqes.prepWritev(i, fd, addr, n, position),
        // Named as libuv names vectored I/O in Node's errors: 'read' / 'write'.
        syscall === 'readv' ? 'read' : 'write',
        [buffers, vecs],
        undefined,
        options,
      ),
    );
  }

  /** fsync, or fdatasync with `datasync`. */
  fsync(fd: number, options: OpOptions & { datasync?: boolean } = {}): Promise<number> {
    const flags = options.datasync ? FSYNC_DATASYNC : 0;
    const invalid = integerError(fd, 'fd', FD_MIN, FD_MAX);
    if (invalid) return Promise.reject(invalid);
    return withCallerStack(this.#start((sqes, i) => sqes.prepFsync(i, fd, flags), options.datasync ? 'fdatasync' : 'fsync', undefined, undefined, options));
  }

  /** openat(AT_FDCWD, path, flags, mode): the new fd. Errors carry `path` like node:fs's. */
  open(path: string | Buffer, flags: number, mode = 0o666, options: OpOptions = {}): Promise<number> {
    const c = cString(path);
    const addr = addressOf(c);
    const context = { path: typeof path === 'string' ? path : path.toString(), dest: undefined, net: undefined };
    return withCallerStack(this.#start((sqes, i) => sqes.prepOpenat(i, Linux.AT_FDCWD, addr, flags | Linux.O_CLOEXEC, mode), 'open', c, undefined, options, context));
  }

  /** close(fd) through the ring. */
  closeFd(fd: number, options: OpOptions = {}): Promise<number> {
    const invalid = integerError(fd, 'fd', FD_MIN, FD_MAX);
    if (invalid) return Promise.reject(invalid);
    return withCallerStack(this.#start((sqes, i) => sqes.prepClose(i, fd), 'close', undefined, undefined, options));
  }

  /** statx of `path` (relative to the cwd; with AT_EMPTY_PATH and '' it stats `dirfd`): the raw `struct statx`. */
  statx(path: string | Buffer, flags = 0, mask: number = Linux.STATX_BASIC_STATS | Linux.STATX_BTIME, dirfd: number = Linux.AT_FDCWD, options: OpOptions = {}): Promise<Buffer> {
    const invalid = integerError(flags, 'flags', 0, 0xffffffff) ?? integerError(mask, 'mask', 0, 0xffffffff) ?? integerError(dirfd, 'dirfd', FD_MIN, FD_MAX);
    if (invalid) return Promise.reject(invalid);
    const c = cString(path);
    const out = Buffer.alloc(layout.Statx.size);
    const [pathAddr, outAddr] = [addressOf(c), addressOf(out)];
    const context = path.length ? { path: path.toString(), dest: undefined, net: undefined } : undefined;
    return withCallerStack(this.#start((sqes, i) => sqes.prepStatx(i, dirfd, pathAddr, flags, mask, outAddr), 'statx', [c, out], () => out, options, context));
  }

  /** poll(fd, mask) once: the ready events. */
  poll(fd: number, mask: number, options: OpOptions = {}): Promise<number> {
    const invalid = integerError(fd, 'fd', FD_MIN, FD_MAX) ?? integerError(mask, 'mask', 0, 0xffffffff);
    if (invalid) return Promise.reject(invalid);
    return withCallerStack(this.#start((sqes, i) => sqes.prepPollAdd(i, fd, mask), 'poll', undefined, undefined, options));
  }

  /** A timer in the kernel (IORING_OP_TIMEOUT): resolves after `ms` milliseconds. */
  sleep(ms: number, options: Omit<OpOptions, 'timeout'> = {}): Promise<void> {
    if (!(ms >= 0) || !Number.isFinite(ms)) return Promise.reject(outOfRange('ms', 'a finite number >= 0', ms));
    const ts = timespec(ms);
    const addr = addressOf(ts);
    const untimed: OpOptions = { signal: options.signal, timeout: 0, unref: options.unref };
    return withCallerStack(this.#start((sqes, i) => sqes.prepTimeout(i, addr), 'timeout', ts, () => undefined, untimed, undefined, -Errno.ETIME));
  }
}
