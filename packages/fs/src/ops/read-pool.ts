import { addressOf } from '@uring/abi';
import { Slab } from './slab.js';

/** The size of each buffer: readFile's first read, which holds most files whole. */
export const READ_BUFFER_SIZE = 64 * 1024;

/** A buffer a readFile reads into, with its address; `cell` is -1 for one allocated because the slab was all in use. */
export interface ReadBuffer {
  readonly buffer: Buffer;
  readonly address: number;
  readonly cell: number;
}

/** 64 buffers of 64 KiB (4 MiB per thread that reads files): one per readFile in flight up to 64. */
const slab = new Slab(64, READ_BUFFER_SIZE);

/**
 * Takes a 64 KiB buffer for one readFile's first read, from the slab — so reading a small file
 * allocates only the Buffer it returns (a fresh 64 KiB buffer per file, dropped right after, cost
 * readFile a third of its time in allocation and garbage collection) — or, when all 64 are in
 * use, a buffer of its own. Give it back with `releaseReadBuffer` once the kernel is done with it
 * (the read's onRelease) and its data has been copied out.
 */
export function takeReadBuffer(): ReadBuffer {
  const cell = slab.take();
  if (cell >= 0) {
    const at = slab.offset(cell);
    return { buffer: slab.memory.subarray(at, at + READ_BUFFER_SIZE), address: slab.address(cell), cell };
  }
  const buffer = Buffer.allocUnsafeSlow(READ_BUFFER_SIZE);
  return { buffer, address: addressOf(buffer), cell };
}

export function releaseReadBuffer(read: ReadBuffer): void {
  if (read.cell >= 0) slab.release(read.cell);
}

/** How many slab buffers are free now (for tests). */
export function freeReadBuffers(): number {
  return slab.available;
}
