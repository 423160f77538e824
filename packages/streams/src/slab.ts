import { alignedBuffer } from '@uring/abi';

const PAGE = 4096;

/**
 * Read buffers carved from page-aligned slabs: the kernel copies into a page-aligned buffer
 * several times faster than into one that starts 16 bytes into a page, and one allocation serves
 * many reads. Each region is handed out once and never reused — the chunk pushed to a consumer
 * stays valid for as long as the consumer keeps it — and a slab is freed when its last chunk is.
 */
export class Slab {
  readonly #size: number;
  #slab: Buffer | undefined;
  #offset = 0;
  /** The first slab holds just the first region asked for: a small file's stream reads once. */
  #first = true;

  constructor(size = 1 << 20) {
    this.#size = size;
  }

  /** A fresh `length`-byte region starting on a page boundary. */
  take(length: number): Buffer {
    if (this.#slab === undefined || this.#offset + length > this.#slab.length) {
      const pages = Math.ceil(length / PAGE) * PAGE;
      this.#slab = alignedBuffer(this.#first ? pages : Math.max(this.#size, pages));
      this.#first = false;
      this.#offset = 0;
    }
    const region = this.#slab.subarray(this.#offset, this.#offset + length);
    this.#offset += Math.ceil(length / PAGE) * PAGE;
    return region;
  }
}
