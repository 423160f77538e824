import type { RingMemory } from '@uring/abi';
import type { CqeBatch } from './cqe.js';

/**
 * The CQ ring, as Zig's `CompletionQueue`. The head is ours: kept locally and stored once per
 * copied batch; the tail is the kernel's and read with an acquiring load.
 */
export class CompletionQueue {
  readonly entries: number;
  readonly mask: number;
  readonly #ring: Uint32Array;
  readonly #headIdx: number;
  readonly #tailIdx: number;
  readonly #overflowIdx: number;
  readonly #flagsIdx: number;
  /** First word of the CQE array within `#ring`. */
  readonly #cqes: number;
  #head: number;

  constructor(memory: RingMemory) {
    const off = memory.params.cqOff;
    this.#ring = new Uint32Array(memory.cqRing);
    this.entries = this.#ring[off.ringEntries >> 2]!;
    this.mask = this.#ring[off.ringMask >> 2]!;
    this.#headIdx = off.head >> 2;
    this.#tailIdx = off.tail >> 2;
    this.#overflowIdx = off.overflow >> 2;
    this.#flagsIdx = off.flags >> 2;
    this.#cqes = off.cqes >> 2;
    this.#head = Atomics.load(this.#ring, this.#headIdx);
  }

  /** `io_uring_cq_ready`: CQEs waiting to be copied. */
  ready(): number {
    return (Atomics.load(this.#ring, this.#tailIdx) - this.#head) >>> 0;
  }

  /**
   * Copies up to `out.capacity` ready CQEs into `out` and advances the head past them with one
   * store (`io_uring_cq_advance`). Returns (and sets `out.count` to) the number copied.
   */
  copy(out: CqeBatch): number {
    const head = this.#head;
    const ready = (Atomics.load(this.#ring, this.#tailIdx) - head) >>> 0;
    const count = ready < out.capacity ? ready : out.capacity;
    const src = this.#ring;
    const dst = out.u32;
    const mask = this.mask;
    const base = this.#cqes;
    for (let k = 0; k < count; k++) {
      const s = base + (((head + k) & mask) << 2);
      const d = k << 2;
      dst[d] = src[s]!;
      dst[d + 1] = src[s + 1]!;
      dst[d + 2] = src[s + 2]!;
      dst[d + 3] = src[s + 3]!;
    }
    if (count > 0) {
      this.#head = (head + count) >>> 0;
      Atomics.store(this.#ring, this.#headIdx, this.#head);
    }
    out.count = count;
    return count;
  }

  /**
   * Whether a CQE waiting to be copied carries this user_data: a look at the ring between head and
   * tail, as liburing's `io_uring_for_each_cqe` walks it; the head stays where it is.
   */
  holds(userDataLo: number, userDataHi: number): boolean {
    const ring = this.#ring;
    const tail = Atomics.load(ring, this.#tailIdx);
    for (let h = this.#head; h !== tail; h = (h + 1) >>> 0) {
      const s = this.#cqes + ((h & this.mask) << 2);
      if (ring[s] === userDataLo && ring[s + 1] === userDataHi) return true;
    }
    return false;
  }

  /** CQEs the kernel dropped because the CQ was full (only on kernels without IORING_FEAT_NODROP, 5.5). */
  overflow(): number {
    return Atomics.load(this.#ring, this.#overflowIdx);
  }

  /** IORING_CQ_* flags (EVENTFD_DISABLED). */
  flags(): number {
    return Atomics.load(this.#ring, this.#flagsIdx);
  }

  /** Sets or clears IORING_CQ_EVENTFD_DISABLED (`io_uring_cq_eventfd_toggle`, 5.8). */
  setEventfdDisabled(disabled: boolean): void {
    const flags = Atomics.load(this.#ring, this.#flagsIdx);
    Atomics.store(this.#ring, this.#flagsIdx, disabled ? flags | 1 : flags & ~1);
  }
}
