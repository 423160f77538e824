import { addressOf, alignedBuffer } from '@uring/abi';

/** The size of each buffer: readFile's first read, which holds most files whole. */
export const READ_BUFFER_SIZE = 64 * 1024;
/** Buffers in the slab: one per readFile in flight up to this many; more get a buffer of their own. */
const COUNT = 64;

/** A buffer a readFile reads into, with its address (taken from the slab's, never looked up per file). */
export interface ReadBuffer {
  readonly buffer: Buffer;
  readonly address: number;
  /** Index in the slab, or -1 for a buffer allocated because the slab was all in use. */
  readonly index: number;
}

let slab: Buffer | undefined;
let free: ReadBuffer[] = [];

/**
 * Takes a 64 KiB buffer for one readFile's first read. The buffers are carved from one page-aligned
 * slab (4 MiB per thread, made on first use) whose address is looked up once, so reading a small
 * file allocates only the Buffer it returns: a fresh 64 KiB buffer per file, dropped right after,
 * cost readFile a third of its time in allocation and garbage collection.
 *
 * Give it back with `release` only once the kernel is done with it — after the read's CQE. A read
 * that was aborted or cancelled may still be written by the kernel: drop its buffer instead (the
 * loop keeps it referenced until the CQE, and then the collector takes it).
 */
export function takeReadBuffer(): ReadBuffer {
  if (slab === undefined) {
    slab = alignedBuffer(COUNT * READ_BUFFER_SIZE);
    const base = addressOf(slab);
    free = Array.from({ length: COUNT }, (_, k) => {
      const index = COUNT - 1 - k; // popped from the end: the lowest index first
      return { buffer: slab!.subarray(index * READ_BUFFER_SIZE, (index + 1) * READ_BUFFER_SIZE), address: base + index * READ_BUFFER_SIZE, index };
    });
  }
  const pooled = free.pop();
  if (pooled !== undefined) return pooled;
  const buffer = Buffer.allocUnsafeSlow(READ_BUFFER_SIZE);
  return { buffer, address: addressOf(buffer), index: -1 };
}

/** Gives a buffer from `takeReadBuffer` back, once no read of it can be in flight. */
export function releaseReadBuffer(read: ReadBuffer): void {
  if (read.index >= 0) free.push(read);
}

/** How many slab buffers are free now (for tests). */
export function freeReadBuffers(): number {
  return slab === undefined ? COUNT : free.length;
}
