import { SetupFlag, type RingMemory } from '@uring/abi';
import { Sqes } from './sqe.js';
import { SubmissionQueueFullError } from './errors.js';

/**
 * The SQ ring, as Zig's `SubmissionQueue`: `sqeTail` counts SQEs handed out by `getSqe`,
 * `flush` publishes them to the kernel with one tail store per batch. The SQ array (the
 * indirection from ring slot to SQE) is filled with the identity once at init, as liburing 2.x
 * does, so a flush is a single store.
 */
export class SubmissionQueue {
  readonly entries: number;
  readonly mask: number;
  readonly sqes: Sqes;
  /** The ring's words: head, tail and flags are read/stored atomically (the kernel shares them). */
  readonly #ring: Uint32Array;
  readonly #head: number;
  readonly #tail: number;
  readonly #flags: number;
  readonly #dropped: number;
  /** Next SQE to hand out (a u32 counter, wraps like the kernel's). */
  sqeTail = 0;
  /** Last head read from the kernel: a cache so getSqe loads the head only when the SQ looks full. */
  #cachedHead = 0;

  constructor(memory: RingMemory) {
    const off = memory.params.sqOff;
    this.#ring = new Uint32Array(memory.sqRing);
    this.entries = this.#ring[off.ringEntries >> 2]!;
    this.mask = this.#ring[off.ringMask >> 2]!;
    this.#head = off.head >> 2;
    this.#tail = off.tail >> 2;
    this.#flags = off.flags >> 2;
    this.#dropped = off.dropped >> 2;
    this.sqes = new Sqes(memory.sqes);
    // The SQ array maps ring slots to SQEs one to one, as liburing sets it up; a NO_SQARRAY ring
    // (6.6) has none: the kernel then takes SQEs in ring order, and there is nothing to write.
    if (!(memory.params.flags & SetupFlag.NO_SQARRAY)) {
      const array = new Uint32Array(memory.sqRing, off.array, this.entries);
      for (let k = 0; k < this.entries; k++) array[k] = k;
    }
    this.sqeTail = this.#cachedHead = Atomics.load(this.#ring, this.#tail);
  }

  /** `io_uring_get_sqe`: the index of a free SQE; throws SubmissionQueueFullError when none is free. */
  getSqe(): number {
    const tail = this.sqeTail;
    if (((tail - this.#cachedHead) >>> 0) >= this.entries) {
      this.#cachedHead = Atomics.load(this.#ring, this.#head);
      if (((tail - this.#cachedHead) >>> 0) >= this.entries) throw new SubmissionQueueFullError(this.entries);
    }
    this.sqeTail = (tail + 1) >>> 0;
    return tail & this.mask;
  }

  /** Number of free SQEs. */
  spaceLeft(): number {
    return this.entries - (((this.sqeTail - Atomics.load(this.#ring, this.#head)) >>> 0));
  }

  /**
   * `__io_uring_flush_sq`: makes every SQE handed out so far visible to the kernel (one release
   * store of the tail) and returns how many it has not consumed yet.
   */
  flush(): number {
    const tail = this.sqeTail;
    if (Atomics.load(this.#ring, this.#tail) !== tail) Atomics.store(this.#ring, this.#tail, tail);
    return (tail - Atomics.load(this.#ring, this.#head)) >>> 0;
  }

  /**
   * Withdraws the SQEs handed out since the last flush: the kernel never saw them (the tail was
   * not published). Returns their indices, oldest first, so the caller can fail what they were for.
   */
  discardUnflushed(): number[] {
    const published = Atomics.load(this.#ring, this.#tail);
    const indices: number[] = [];
    for (let t = published; t !== this.sqeTail; t = (t + 1) >>> 0) indices.push(t & this.mask);
    this.sqeTail = published;
    return indices;
  }

  /** SQEs handed out and not yet consumed by the kernel (`io_uring_sq_ready`). */
  ready(): number {
    return (this.sqeTail - Atomics.load(this.#ring, this.#head)) >>> 0;
  }

  /** IORING_SQ_* flags the kernel set (NEED_WAKEUP, CQ_OVERFLOW, TASKRUN). */
  flags(): number {
    return Atomics.load(this.#ring, this.#flags);
  }

  /** SQEs the kernel dropped as invalid (a bad index in the SQ array). */
  dropped(): number {
    return Atomics.load(this.#ring, this.#dropped);
  }
}
