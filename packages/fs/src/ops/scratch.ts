import { addressOf, cString } from '@uring/abi';
import { Slab } from './slab.js';

/** Bytes per cell: a `struct statx` (256) and a path of up to 255 bytes with its NUL. */
const CELL = 512;
/** Where a cell's path starts. */
export const PATH_AT = 256;
const PATH_MAX_IN_CELL = CELL - PATH_AT - 1;

/**
 * Per-thread scratch memory for what a path operation hands the kernel: the NUL-terminated path
 * and a `struct statx` to fill, in 256 cells of 512 bytes (128 KiB) — so `stat` allocates no
 * Buffers and makes no N-API call for addresses (both were a fifth of its main-thread time).
 */
const slab = new Slab(256, CELL);

/**
 * A cell holding `path` as a C string (at PATH_AT), or -1 when every cell is in use or the path
 * does not fit (the caller then allocates as before). Release it with `releaseCell` from the
 * operation's onRelease; a statx result in it must be read before (in the op's map()).
 */
export function takeCell(path: string | Buffer): number {
  // UTF-8 takes at most 3 bytes per UTF-16 unit: measure only when a path might not fit.
  const fits = typeof path === 'string' ? path.length * 3 <= PATH_MAX_IN_CELL || Buffer.byteLength(path) <= PATH_MAX_IN_CELL : path.length <= PATH_MAX_IN_CELL;
  if (!fits) return -1;
  const cell = slab.take();
  if (cell < 0) return -1;
  const memory = slab.memory;
  const at = slab.offset(cell) + PATH_AT;
  const n = typeof path === 'string' ? memory.write(path, at, PATH_MAX_IN_CELL, 'utf8') : path.copy(memory, at);
  memory[at + n] = 0;
  return cell;
}

export function releaseCell(cell: number): void {
  slab.release(cell);
}

/** The slab, and where a cell starts in it and in memory. */
export const scratch = (): Buffer => slab.memory;
export const cellOffset = (cell: number): number => slab.offset(cell);
export const cellAddress = (cell: number): number => slab.address(cell);

/** A path for an SQE: its address, what to keep referenced for the kernel, and what to call once it is done. */
export interface CPath {
  readonly address: number;
  readonly keep: Buffer | undefined;
  readonly onRelease: (() => void) | undefined;
}

/** `path` as a C string for an operation: in a scratch cell where one is free and it fits, else in a Buffer of its own. */
export function cPath(path: string | Buffer): CPath {
  const cell = takeCell(path);
  if (cell >= 0) return { address: slab.address(cell) + PATH_AT, keep: undefined, onRelease: () => slab.release(cell) };
  const c = cString(path);
  return { address: addressOf(c), keep: c, onRelease: undefined };
}

/** Cells free now (for tests). */
export function freeCells(): number {
  return slab.available;
}
