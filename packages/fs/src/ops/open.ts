import type { Mode, OpenMode, PathLike } from 'node:fs';
import * as node from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseFileMode, stringToFlags } from '@uring/streams';
import { fdIo } from '../fd-io.js';
import { plainPath } from '../fast-args.js';
import { FileHandle } from '../file-handle.js';
import { linkNodeFileHandle } from '../node-file-handle.js';

/** A `file:` URL as Node's toPathIfFileURL recognises one (any object with href and protocol). */
function isURL(value: unknown): value is URL {
  const v = value as { href?: unknown; protocol?: unknown; auth?: unknown; path?: unknown } | null;
  return v != null && Boolean(v.href) && Boolean(v.protocol) && v.auth === undefined && v.path === undefined;
}

/**
 * fs.promises.open: openat through the ring (O_CLOEXEC, as libuv opens), resolving to a
 * FileHandle whose I/O goes through the ring too (Node's fs for both where io_uring is unusable). Flags and mode are checked as Node checks them;
 * a path Node would refuse (wrong type, NUL byte, empty) is handed to Node for its own error.
 * The first call also makes Node's fs accept our handles where it takes its own (node-file-handle.ts).
 */
export async function open(path: PathLike, flags?: OpenMode, mode?: Mode): Promise<FileHandle | node.FileHandle> {
  const resolved = isURL(path) ? fileURLToPath(path) : path;
  const p = plainPath(resolved instanceof Uint8Array && !Buffer.isBuffer(resolved) ? Buffer.from(resolved) : resolved);
  if (p === undefined) return node.open(path, flags, mode);
  const f = stringToFlags(flags);
  const m = parseFileMode(mode, 'mode', 0o666);
  const io = fdIo();
  const linking = linkNodeFileHandle();
  if (linking === undefined) return new FileHandle(await io.open(p, f, m), io);
  const [fd] = await Promise.all([io.open(p, f, m), linking]);
  return new FileHandle(fd, io);
}
