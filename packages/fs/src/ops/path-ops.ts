import type { MakeDirectoryOptions, Mode, PathLike } from 'node:fs';
import * as node from 'node:fs/promises';
import { Linux, Op, addressOf, cString } from '@uring/abi';
import { getLoop } from '@uring/loop';
import type { Prep } from '@uring/loop';
import { uringUsable } from '@uring/streams';
import { plainOptions, plainPath, isMode } from '../fast-args.js';

/** The loop, when io_uring serves this thread and the kernel has `op` (probed); else undefined. */
function loopFor(op: number) {
  if (!uringUsable()) return undefined;
  const loop = getLoop();
  return loop.ring.supports(op) ? loop : undefined;
}

/** One path operation on the ring, with Node's error shape (`syscall`, `path`, `dest`). */
function run(syscall: string, paths: Array<string | Buffer>, prep: (addrs: number[]) => Prep): Promise<undefined> {
  const loop = getLoop();
  const cs = paths.map((p) => cString(p));
  const addrs = cs.map((c) => addressOf(c));
  return loop.submit(prep(addrs), {
    syscall,
    path: paths[0]!.toString(),
    dest: paths[1]?.toString(),
    keep: cs,
    map: () => undefined,
  });
}

/** fs.promises.unlink — IORING_OP_UNLINKAT (5.11). */
export function unlink(path: PathLike): Promise<void> {
  const p = plainPath(path);
  if (p === undefined || !loopFor(Op.UNLINKAT)) return node.unlink(path);
  return run('unlink', [p], ([a]) => (s, i) => s.prepUnlinkat(i, Linux.AT_FDCWD, a!, 0));
}

/** fs.promises.rmdir without options — unlinkat with AT_REMOVEDIR; any option goes to Node. */
export function rmdir(path: PathLike, options?: object): Promise<void> {
  const p = plainPath(path);
  if (p === undefined || options !== undefined || !loopFor(Op.UNLINKAT)) return node.rmdir(path, options);
  return run('rmdir', [p], ([a]) => (s, i) => s.prepUnlinkat(i, Linux.AT_FDCWD, a!, Linux.AT_REMOVEDIR));
}


/** fs.promises.mkdir, not recursive — IORING_OP_MKDIRAT (5.15); `recursive` goes to Node. */
export function mkdir(path: PathLike, options?: Mode | MakeDirectoryOptions | null): Promise<string | undefined> {
  const p = plainPath(path);
  const mode = options === undefined || options === null ? 0o777 : isMode(options) ? (options as number) : plainOptions(options, { mode: isMode, recursive: (v) => v === false }) ? ((options as { mode?: number }).mode ?? 0o777) : undefined;
  if (p === undefined || mode === undefined || !loopFor(Op.MKDIRAT)) return node.mkdir(path, options as never);
  return run('mkdir', [p], ([a]) => (s, i) => s.prepMkdirat(i, Linux.AT_FDCWD, a!, mode));
}

/** fs.promises.rename — IORING_OP_RENAMEAT (5.11). */
export function rename(oldPath: PathLike, newPath: PathLike): Promise<void> {
  const [a, b] = [plainPath(oldPath), plainPath(newPath)];
  if (a === undefined || b === undefined || !loopFor(Op.RENAMEAT)) return node.rename(oldPath, newPath);
  return run('rename', [a, b], ([x, y]) => (s, i) => s.prepRenameat(i, Linux.AT_FDCWD, x!, Linux.AT_FDCWD, y!));
}

/** fs.promises.symlink — IORING_OP_SYMLINKAT (5.15); a `type` (meaningful on Windows only) goes to Node. */
export function symlink(target: PathLike, path: PathLike, type?: string | null): Promise<void> {
  const [t, p] = [plainPath(target), plainPath(path)];
  if (t === undefined || p === undefined || (type !== undefined && type !== null) || !loopFor(Op.SYMLINKAT)) return node.symlink(target, path, type);
  return run('symlink', [t, p], ([x, y]) => (s, i) => s.prepSymlinkat(i, x!, Linux.AT_FDCWD, y!));
}

/** fs.promises.link — IORING_OP_LINKAT (5.15). */
export function link(existingPath: PathLike, newPath: PathLike): Promise<void> {
  const [a, b] = [plainPath(existingPath), plainPath(newPath)];
  if (a === undefined || b === undefined || !loopFor(Op.LINKAT)) return node.link(existingPath, newPath);
  return run('link', [a, b], ([x, y]) => (s, i) => s.prepLinkat(i, Linux.AT_FDCWD, x!, Linux.AT_FDCWD, y!));
}
