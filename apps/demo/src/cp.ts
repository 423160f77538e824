import { basename, join } from 'node:path';
import fs from '@uring/fs';
import { splice, uringUsable } from '@uring/streams';

/** Bytes per splice call: big enough to keep several pipe lanes busy, small enough for a live progress bar. */
const CHUNK = 16 << 20;

export interface CopyResult {
  /** Where the copy went (`dst`, or `dst/<name of src>` when `dst` is a directory). */
  to: string;
  bytes: number;
  seconds: number;
}

/**
 * Copies the regular file `src` to `dst` (into it, if it is a directory) with IORING_OP_SPLICE
 * through pipes — the bytes never enter JavaScript — telling `onProgress` after every chunk
 * (16 MiB; 1 MiB read and written through a buffer where io_uring is unusable).
 * The copy gets the source's permission bits. Errors are Node's (`ENOENT`, `EISDIR`, `EACCES`…);
 * copying a file onto itself fails with `EINVAL` before anything is truncated.
 */
export async function copy(src: string, dst: string, onProgress?: (done: number, total: number) => void): Promise<CopyResult> {
  const started = performance.now();
  const from = await fs.stat(src);
  if (from.isDirectory()) throw Object.assign(new Error(`EISDIR: illegal operation on a directory, copy '${src}' (cp copies one file)`), { code: 'EISDIR', syscall: 'copy', path: src });
  const target = await fs.stat(dst).catch(() => undefined);
  const to = target?.isDirectory() ? join(dst, basename(src)) : dst;
  const existing = to === dst ? target : await fs.stat(to).catch(() => undefined);
  if (existing && existing.dev === from.dev && existing.ino === from.ino) {
    throw Object.assign(new Error(`EINVAL: '${src}' and '${to}' are the same file, copy`), { code: 'EINVAL', syscall: 'copy', path: src, dest: to });
  }
  const input = await fs.open(src, 'r');
  try {
    const output = await fs.open(to, 'w', from.mode & 0o7777);
    try {
      let done = 0;
      onProgress?.(0, from.size);
      // Without io_uring (the fallback), the same chunks go through a buffer with Node's fs.
      const buffer = uringUsable() ? undefined : Buffer.allocUnsafe(1 << 20);
      for (;;) {
        let moved: number;
        if (buffer) {
          moved = (await input.read(buffer, 0, buffer.length, done)).bytesRead;
          for (let written = 0; written < moved; ) written += (await output.write(buffer, written, moved - written, done + written)).bytesWritten;
        } else moved = await splice(input.fd, done, output.fd, done, CHUNK, { lanes: 4 });
        if (moved === 0) break;
        done += moved;
        onProgress?.(done, Math.max(done, from.size));
      }
      return { to, bytes: done, seconds: (performance.now() - started) / 1000 };
    } finally {
      await output.close();
    }
  } finally {
    await input.close();
  }
}
