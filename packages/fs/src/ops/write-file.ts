import * as node from 'node:fs/promises';
import { Errno, Linux, Op, addressOf, hasErrno } from '@uring/abi';
import { AbortError, getLoop, type LinkStep, type Loop, type Prep } from '@uring/loop';
import { uringUsable } from '@uring/streams';
import { FileHandle, kWriteFile } from '../file-handle.js';
import { fileOptions } from '../handle-io.js';
import { isEncoding, isSignal, plainOptions, plainPath, isMode } from '../fast-args.js';
import { cPath } from './scratch.js';

const FLAGS: Record<string, number> = {
  w: Linux.O_WRONLY | Linux.O_CREAT | Linux.O_TRUNC,
  wx: Linux.O_WRONLY | Linux.O_CREAT | Linux.O_TRUNC | Linux.O_EXCL,
  a: Linux.O_WRONLY | Linux.O_CREAT | Linux.O_APPEND,
  ax: Linux.O_WRONLY | Linux.O_CREAT | Linux.O_APPEND | Linux.O_EXCL,
};

interface Plan {
  data: Buffer;
  flags: number;
  append: boolean;
  mode: number;
  signal: AbortSignal | undefined;
}

/** The write the fast path can do, or undefined to hand the call to Node. */
function plan(data: unknown, options: unknown, defaultFlag: 'w' | 'a'): Plan | undefined {
  let encoding: BufferEncoding = 'utf8';
  let flag: string = defaultFlag;
  let mode = 0o666;
  let signal: AbortSignal | undefined;
  if (typeof options === 'string') {
    if (!isEncoding(options)) return undefined;
    encoding = options as BufferEncoding;
  } else if (options !== undefined && options !== null) {
    if (!plainOptions(options, { encoding: isEncoding, flag: (v) => typeof v === 'string' && v in FLAGS, mode: isMode, signal: isSignal })) return undefined;
    encoding = (options.encoding as BufferEncoding | null | undefined) ?? 'utf8';
    flag = (options.flag as string | undefined) ?? defaultFlag;
    mode = (options.mode as number | undefined) ?? 0o666;
    signal = options.signal as AbortSignal | undefined;
  }
  let bytes: Buffer;
  if (typeof data === 'string') bytes = Buffer.from(data, encoding);
  else if (ArrayBuffer.isView(data)) bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  else return undefined; // iterables, streams and wrong types: Node's
  return { data: bytes, flags: FLAGS[flag]!, append: (FLAGS[flag]! & Linux.O_APPEND) !== 0, mode, signal };
}

/**
 * A whole-file write as one linked chain: openat into a direct descriptor → write → close_direct,
 * so a tick's worth of small files share one kernel entry. A short write (which breaks the chain)
 * is finished, then the descriptor closed, before the promise settles.
 *
 * Replacing a file ('w') opens it without O_TRUNC and cuts it to the new length after the write
 * (IORING_OP_FTRUNCATE, 6.9): the same bytes in the end, at a fraction of the kernel's work on
 * ext4, whose truncate-to-zero frees the file's blocks and marks the file so that its close starts
 * writing the new data to disk at once (`auto_da_alloc`) — ~10x the cost of a 4 KiB rewrite in
 * place here. ftruncate's EINVAL means the file is not a regular file (a FIFO, a device), where
 * O_TRUNC does nothing either. If the write fails or is aborted, the file is still cut to the bytes
 * written, as O_TRUNC would have left it. 'wx' creates the file, so it needs no truncation at all.
 * Racing writeFiles of different lengths on one path were never atomic (Node's can leave one body
 * with another's tail); here one's cut and the other's ftruncate can also leave zeros at the end.
 */
async function writeDirect(loop: Loop, path: string | Buffer, plan: Plan, slot: number): Promise<void> {
  const c = cPath(path);
  const { data, mode, signal } = plan;
  const exclusive = (plan.flags & Linux.O_EXCL) !== 0;
  const truncate = (plan.flags & Linux.O_TRUNC) !== 0 && !exclusive && loop.ring.supports(Op.FTRUNCATE);
  const flags = truncate || exclusive ? plan.flags & ~Linux.O_TRUNC : plan.flags;
  const dataAddr = data.length ? addressOf(data) : 0;
  const offset = plan.append ? -1 : 0;
  const cut = (length: number): Prep => (s, i) => {
    s.prepFtruncate(i, slot, length);
    s.fixedFile(i);
  };
  const steps: LinkStep[] = [
    {
      prep: (s, i) => s.prepOpenatDirect(i, Linux.AT_FDCWD, c.address, flags, mode, slot),
      syscall: 'open',
      keep: c.keep,
      path: path.toString(),
      onRelease: c.onRelease,
    },
    {
      prep: (s, i) => {
        s.prepWrite(i, slot, dataAddr, data.length, offset);
        s.fixedFile(i);
      },
      syscall: 'write',
      keep: data,
    },
  ];
  // Hard-linked, so the close runs even when ftruncate fails. Its errors are the ones Node's
  // open(O_TRUNC) would have reported: named for open, with the path.
  if (truncate) steps.push({ prep: (s, i) => (cut(data.length)(s, i), s.hardlink(i)), syscall: 'open', path: path.toString() });
  // The chain's last CQE: after it the kernel is done with the slot (an aborted step rejects
  // before its CQE comes, and the steps after it may still run).
  let chainEnded!: () => void;
  const ended = new Promise<void>((resolve) => (chainEnded = resolve));
  steps.push({ prep: (s, i) => s.prepCloseDirect(i, slot), syscall: 'close', onRelease: () => chainEnded() });
  const [opened, ...rest] = loop.link(steps, { signal });
  const later = rest.map((p) => p.catch((e: unknown) => e));
  try {
    await opened;
  } catch (error) {
    await Promise.all([...later, ended]);
    loop.releaseFileSlot(slot); // nothing was installed in the slot
    throw error;
  }
  const settled = await Promise.all(later);
  const w = settled[0];
  const t = truncate ? settled[1] : 0;
  const cl = settled[settled.length - 1];
  const wrote = typeof w === 'number' && w === data.length;
  if (wrote && typeof cl === 'number') {
    loop.releaseFileSlot(slot);
    if (typeof t === 'number' || hasErrno(t, Errno.EINVAL)) return;
    throw t;
  }
  // The chain broke after the open: finish the write, cut the file to what was written, then
  // close, whatever happened.
  let failure: unknown = typeof w === 'number' ? undefined : w;
  let done = typeof w === 'number' ? w : 0;
  try {
    if (failure !== undefined && !hasErrno(failure, Errno.ECANCELED)) throw failure;
    while (done < data.length) {
      const at = done;
      const n = await loop.submit(
        (s, i) => {
          s.prepWrite(i, slot, dataAddr + at, data.length - at, plan.append ? -1 : at);
          s.fixedFile(i);
        },
        { syscall: 'write', keep: data, signal },
      );
      done += n;
    }
  } catch (error) {
    failure = error;
  } finally {
    await ended;
    if (truncate && typeof cl !== 'number' && typeof t !== 'number') {
      await loop.submit(cut(done), { syscall: 'open', path: path.toString() }).catch((e) => {
        if (!hasErrno(e, Errno.EINVAL)) failure ??= e;
      });
    }
    if (typeof cl !== 'number') {
      await loop.submit((s, i) => s.prepCloseDirect(i, slot), { syscall: 'close' }).catch((e) => (failure ??= e));
      loop.releaseFileSlot(slot);
    }
  }
  if (failure !== undefined) throw failure;
}

function write(defaultFlag: 'w' | 'a', file: unknown, data: unknown, options: unknown): Promise<void> {
  if (file instanceof FileHandle) return (async () => file[kWriteFile](data, fileOptions(options, defaultFlag)))();
  const path = plainPath(file);
  const p = plan(data, options, defaultFlag);
  const fallback = () => (defaultFlag === 'w' ? node.writeFile(file as string, data as string, options as never) : node.appendFile(file as string, data as string, options as never));
  if (path === undefined || p === undefined || !uringUsable()) return fallback();
  if (p.signal?.aborted) return Promise.reject(new AbortError(undefined, { cause: p.signal.reason }));
  const loop = getLoop();
  const slot = loop.reserveFileSlot();
  if (slot === undefined) return fallback();
  return writeDirect(loop, path, p, slot);
}

/** fs.promises.writeFile on the ring for paths and string/Buffer data; URLs, iterables and other flags go to Node. */
export function writeFile(file: unknown, data: unknown, options?: unknown): Promise<void> {
  return write('w', file, data, options);
}

/** fs.promises.appendFile on the ring: writeFile with flag 'a'. */
export function appendFile(file: unknown, data: unknown, options?: unknown): Promise<void> {
  return write('a', file, data, options);
}
