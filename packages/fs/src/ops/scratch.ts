import { addressOf, alignedBuffer } from '@uring/abi';

/** Bytes per cell: a `struct statx` (256) and a path of up to 255 bytes with its NUL. */
export const CELL = 512;
/** Where a cell's path starts, and the longest path (in bytes) a cell holds. */
export const PATH_AT = 256;
const PATH_MAX_IN_CELL = CELL - PATH_AT - 1;
const COUNT = 256;

let slab: Buffer | undefined;
let base = 0;
const free: number[] = [];

/**
 * Per-thread scratch memory for what a path operation hands the kernel: the NUL-terminated path
 * and a `struct statx` to fill. One 128 KiB slab, made on first use and looked up once, cut into
 * 512-byte cells — so `stat` allocates no Buffers and makes no N-API call for addresses (both were
 * a fifth of its main-thread time). A cell goes back with `releaseCell` from the operation's
 * onRelease, when the kernel is done with it; the statx result must be read before that.
 *
 * Returns the cell's index, or -1 when every cell is in use or the path does not fit (the caller
 * then allocates as before).
 */
export function takeCell(path: string | Buffer): number {
  if (slab === undefined) {
    slab = alignedBuffer(COUNT * CELL);
    base = addressOf(slab);
    for (let k = COUNT - 1; k >= 0; k--) free.push(k);
  }
  // UTF-8 takes at most 3 bytes per UTF-16 unit: measure only when a path might not fit.
  const fits = typeof path === 'string' ? path.length * 3 <= PATH_MAX_IN_CELL || Buffer.byteLength(path) <= PATH_MAX_IN_CELL : path.length <= PATH_MAX_IN_CELL;
  if (!fits || free.length === 0) return -1;
  const cell = free.pop()!;
  const at = cell * CELL + PATH_AT;
  const n = typeof path === 'string' ? slab.write(path, at, PATH_MAX_IN_CELL, 'utf8') : path.copy(slab, at);
  slab[at + n] = 0;
  return cell;
}

/** The slab (valid once a cell was taken). */
export function scratch(): Buffer {
  return slab!;
}

/** A cell's first byte, in the slab and in memory. */
export function cellOffset(cell: number): number {
  return cell * CELL;
}
export function cellAddress(cell: number): number {
  return base + cell * CELL;
}

export function releaseCell(cell: number): void {
  free.push(cell);
}

/** Cells free now (for tests). */
export function freeCells(): number {
  return slab === undefined ? COUNT : free.length;
}
