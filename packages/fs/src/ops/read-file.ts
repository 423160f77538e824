import * as node from 'node:fs/promises';
import { Linux, addressOf } from '@uring/abi';
import { AbortError, getLoop, type Loop } from '@uring/loop';
import { uringUsable } from '@uring/streams';
import { isEncoding, isSignal, plainOptions, plainPath } from '../fast-args.js';
import { fileBuffer } from '../file-buffer.js';
import { FileHandle, kReadFile } from '../file-handle.js';
import { MAX_LENGTH, tooLarge } from '../handle-io.js';
import { READ_BUFFER_SIZE, releaseReadBuffer, takeReadBuffer } from './read-pool.js';
import { cPath } from './scratch.js';
import { stat } from './stat.js';

type Options = { encoding?: BufferEncoding | null; flag?: string; signal?: AbortSignal } | BufferEncoding | null | undefined;

function fast(options: unknown): { encoding: BufferEncoding | null; signal: AbortSignal | undefined } | undefined {
  if (options === undefined || options === null) return { encoding: null, signal: undefined };
  if (typeof options === 'string') return isEncoding(options) ? { encoding: options as BufferEncoding, signal: undefined } : undefined;
  if (!plainOptions(options, { encoding: isEncoding, flag: (v) => v === 'r', signal: isSignal })) return undefined;
  return { encoding: (options.encoding as BufferEncoding | null | undefined) ?? null, signal: options.signal as AbortSignal | undefined };
}

/**
 * fs.promises.readFile as one linked chain per file — openat into a direct descriptor, then two
 * reads of it from its position (60 KiB, then 4 KiB) — so reading many small files costs one
 * kernel entry per tick for all of them. A short read is not the end of every file (a /proc file
 * gives a page per read, a pipe what has been written): the second read, hard-linked so it runs
 * after a short first one, says whether there is more, as Node's reads until one returns 0 for a
 * file whose size fstat does not give. A larger file is sized as Node's readFile sizes it (a statx
 * of the path, where Node fstats its descriptor) and read on; the descriptor is closed with
 * close_direct.
 * A FileHandle, a URL, flags other than 'r' and anything unusual go to node:fs/promises.
 */
export function readFile(path: unknown, options?: Options): Promise<Buffer | string> {
  if (path instanceof FileHandle) return path[kReadFile](options);
  const p = plainPath(path);
  const opts = fast(options);
  if (p === undefined || opts === undefined || !uringUsable()) return node.readFile(path as string, options as never);
  const loop = getLoop();
  if (opts.signal?.aborted) return Promise.reject(new AbortError(undefined, { cause: opts.signal.reason }));
  const slot = loop.reserveFileSlot();
  if (slot === undefined) return node.readFile(path as string, options as never); // the file table is full
  return readDirect(loop, p, slot, opts.encoding, opts.signal);
}

/** The size of the regular file at `path` (statx), or -1 where there is none to go by: not a regular file, size 0 (/proc), or the statx failed. */
async function regularSize(path: string | Buffer): Promise<number> {
  try {
    const stats = await stat(path);
    return stats.isFile() && stats.size > 0 ? stats.size : -1;
  } catch {
    return -1;
  }
}

/** The first read of a chain fills this much of the pooled buffer, the second the rest. */
const HEAD = READ_BUFFER_SIZE - 4096;

/**
 * The first `length` bytes of `source` in a Buffer of their own, as Node's readFile returns them
 * (Buffer.allocUnsafeSlow of the file's size): never a view of a shared pool or a larger buffer,
 * so `new Float32Array(data.buffer)` sees exactly the file.
 */
function exactCopy(source: Buffer, length: number): Buffer {
  const data = Buffer.allocUnsafeSlow(length);
  source.copy(data, 0, 0, length);
  return data;
}

async function readDirect(loop: Loop, path: string | Buffer, slot: number, encoding: BufferEncoding | null, signal: AbortSignal | undefined): Promise<Buffer | string> {
  const c = cPath(path);
  // The first read goes into a pooled buffer. Two hold it: the kernel until the read's CQE (also
  // when an abort rejected the read earlier: onRelease) and this function until it has copied the
  // data out. The pool has it back when both let go.
  const first = takeReadBuffer();
  let holders = 3;
  const letGo = () => {
    if (--holders === 0) releaseReadBuffer(first);
  };
  const [opened, read, more] = loop.link(
    [
      // No O_CLOEXEC: a direct descriptor is no fd, and the kernel refuses the flag (EINVAL).
      {
        prep: (s, i) => s.prepOpenatDirect(i, Linux.AT_FDCWD, c.address, Linux.O_RDONLY, 0, slot),
        syscall: 'open',
        keep: c.keep,
        path: path.toString(),
        onRelease: c.onRelease,
      },
      {
        // Hard-linked (5.5): a short read, which ends a plain link, goes on to the next one.
        prep: (s, i) => {
          s.prepRead(i, slot, first.address, HEAD, -1);
          s.fixedFile(i);
          s.hardlink(i);
        },
        syscall: 'read',
        keep: first.buffer,
        onRelease: letGo,
      },
      {
        prep: (s, i) => {
          s.prepRead(i, slot, first.address + HEAD, READ_BUFFER_SIZE - HEAD, -1);
          s.fixedFile(i);
        },
        syscall: 'read',
        keep: first.buffer,
        onRelease: letGo,
      },
    ],
    { signal },
  );
  // When the open fails, the reads are cancelled: the open's error is the one; when the first read
  // fails, so does the second: the first's error is the one.
  read!.catch(() => {});
  more!.catch(() => {});
  try {
    await opened;
  } catch (error) {
    loop.releaseFileSlot(slot); // nothing was installed in the slot
    letGo();
    throw error;
  }
  try {
    let total: number;
    let buffer: Buffer;
    let size = -1;
    try {
      const head = await read!;
      const tail = await more!;
      if (tail === 0) {
        // The second read found the end: the whole file is the first's. Decode it, or copy it out
        // of the pooled buffer.
        return encoding ? first.buffer.toString(encoding, 0, head) : exactCopy(first.buffer, head);
      }
      total = head + tail;
      // Not at the end yet. Node sizes its buffer from fstat; so does this, from a statx of the
      // path (the ring's statx takes no direct descriptor): a regular file over 2 GiB is refused
      // before it is read, one of known size read on into a buffer of exactly that size; one fstat
      // gives no size (a pipe, a /proc file) into a buffer that grows. The second read's bytes go
      // after the first's.
      size = await regularSize(path);
      if (size > MAX_LENGTH) throw tooLarge(size);
      buffer = size > total ? fileBuffer(size) : Buffer.allocUnsafe(READ_BUFFER_SIZE * 4);
      first.buffer.copy(buffer, 0, 0, head);
      first.buffer.copy(buffer, head, HEAD, HEAD + tail);
    } finally {
      letGo();
    }
    // Read on until the end, or (as Node's) until the size fstat gave.
    while (total !== size) {
      if (total === buffer.length) {
        if (buffer.length >= MAX_LENGTH) throw tooLarge(buffer.length);
        const bigger = Buffer.allocUnsafe(Math.min(buffer.length * 4, MAX_LENGTH));
        buffer.copy(bigger, 0, 0, total);
        buffer = bigger;
      }
      const at = addressOf(buffer) + total;
      const want = buffer.length - total;
      const keep = buffer;
      const n = await loop.submit(
        (s, i) => {
          s.prepRead(i, slot, at, want, total);
          s.fixedFile(i);
        },
        { syscall: 'read', keep, signal },
      );
      if (n === 0) break;
      total += n;
    }
    const data = total === buffer.length ? buffer : exactCopy(buffer, total);
    return encoding ? data.toString(encoding) : data;
  } finally {
    // Close the direct descriptor; the slot is free again once the kernel has closed it.
    loop.post((s, i) => s.prepCloseDirect(i, slot), { syscall: 'close', onRelease: () => loop.releaseFileSlot(slot) });
  }
}
