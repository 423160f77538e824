import { addressOf } from '@uring/abi';

const PAGE = 4096;
/** Reads this large or larger get page-aligned buffers (at most 1/8 of the buffer wasted on alignment). */
const ALIGN_FROM = 8 * PAGE;

/**
 * Read buffers that start on a page boundary: the kernel copies into a page-aligned buffer several
 * times faster than into one that starts 16 bytes into a page. Each is carved from a malloc'd
 * block (Buffer.allocUnsafeSlow) a page longer than asked — memory the allocator hands out warm
 * and takes back when the chunk is collected, as Node's ReadStream allocates one per read. (Slabs
 * of fresh anonymous mmap, 1 MiB at a time, cost a stream its page faults and the GC's
 * finalizing: 3–6x node:fs's time for a stream of a 200 KiB–1 MiB file.) Each region is handed out
 * once and never reused, so a chunk pushed to a consumer stays valid for as long as it is kept,
 * and keeps only its own block alive.
 */
export class Slab {
  /** (`size` was the size of the mmap'd slabs regions were carved from; it is no longer used.) */
  constructor(size?: number) {
    void size;
  }

  /**
   * A fresh `length`-byte buffer: page-aligned from ALIGN_FROM bytes on, where the copy's speed
   * pays for the page it may waste; a smaller one exactly its size, as Node allocates it — a
   * `highWaterMark: 1` stream would otherwise hold a page per byte its consumer keeps.
   */
  take(length: number): Buffer {
    if (length < ALIGN_FROM) return Buffer.allocUnsafeSlow(length);
    const block = Buffer.allocUnsafeSlow(length + PAGE);
    const skew = addressOf(block) % PAGE;
    const start = skew === 0 ? 0 : PAGE - skew;
    return block.subarray(start, start + length);
  }
}
