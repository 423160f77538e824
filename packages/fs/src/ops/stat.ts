import type { Stats, StatOptions } from 'node:fs';
import * as node from 'node:fs/promises';
import { Linux, addressOf, cString, layout } from '@uring/abi';
import { getLoop } from '@uring/loop';
import { uringUsable } from '@uring/streams';
import { plainOptions, plainPath } from '../fast-args.js';
import { statsFromStatx } from '../stats.js';
import { PATH_AT, cellAddress, cellOffset, releaseCell, scratch, takeCell } from './scratch.js';

const isFalse = (v: unknown) => v === false;
const MASK = Linux.STATX_BASIC_STATS | Linux.STATX_BTIME;

function statx(path: string | Buffer, flags: number, syscall: 'stat' | 'lstat'): Promise<Stats> {
  const cell = takeCell(path);
  if (cell < 0) return statxAllocated(path, flags, syscall);
  const at = cellAddress(cell);
  const out = cellOffset(cell);
  return getLoop().submit((sqes, i) => sqes.prepStatx(i, Linux.AT_FDCWD, at + PATH_AT, flags, MASK, at), {
    syscall,
    path: path.toString(),
    map: () => statsFromStatx(scratch(), out), // read before the cell is released, right after this
    onRelease: () => releaseCell(cell),
  });
}

/** The same with buffers of its own: for long paths, or when every scratch cell is in use. */
function statxAllocated(path: string | Buffer, flags: number, syscall: 'stat' | 'lstat'): Promise<Stats> {
  const c = cString(path);
  const out = Buffer.alloc(layout.Statx.size);
  const [pathAddr, outAddr] = [addressOf(c), addressOf(out)];
  return getLoop().submit((sqes, i) => sqes.prepStatx(i, Linux.AT_FDCWD, pathAddr, flags, MASK, outAddr), {
    syscall,
    path: path.toString(),
    keep: [c, out],
    map: () => statsFromStatx(out),
  });
}

/** fs.promises.stat through IORING_OP_STATX (5.6); `bigint: true` and unusual arguments go to Node. */
export function stat(path: unknown, options?: StatOptions): Promise<Stats> {
  const p = plainPath(path);
  if (p === undefined || (options !== undefined && !plainOptions(options, { bigint: isFalse })) || !uringUsable())
    return node.stat(path as string, options as never) as Promise<Stats>;
  return statx(p, 0, 'stat');
}

/** fs.promises.lstat: statx with AT_SYMLINK_NOFOLLOW. */
export function lstat(path: unknown, options?: StatOptions): Promise<Stats> {
  const p = plainPath(path);
  if (p === undefined || (options !== undefined && !plainOptions(options, { bigint: isFalse })) || !uringUsable())
    return node.lstat(path as string, options as never) as Promise<Stats>;
  return statx(p, Linux.AT_SYMLINK_NOFOLLOW, 'lstat');
}
