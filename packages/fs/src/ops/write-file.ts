import * as node from 'node:fs/promises';
import { Errno, Linux, addressOf } from '@uring/abi';
import { AbortError, getLoop, type Loop } from '@uring/loop';
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
 */
async function writeDirect(loop: Loop, path: string | Buffer, plan: Plan, slot: number): Promise<void> {
  const c = cPath(path);
  const { data, flags, mode, signal } = plan;
  const dataAddr = data.length ? addressOf(data) : 0;
  const offset = plan.append ? -1 : 0;
  const [opened, written, closed] = loop.link(
    [
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
      { prep: (s, i) => s.prepCloseDirect(i, slot), syscall: 'close' },
    ],
    { signal },
  );
  const later = [written!, closed!].map((p) => p.catch((e: unknown) => e));
  try {
    await opened;
  } catch (error) {
    await Promise.all(later);
    loop.releaseFileSlot(slot); // nothing was installed in the slot
    throw error;
  }
  const [w, cl] = await Promise.all(later);
  if (typeof w === 'number' && typeof cl === 'number') {
    loop.releaseFileSlot(slot);
    if (w === data.length) return;
  }
  // The chain broke after the open: finish the write, then close, whatever happened.
  let failure: unknown = typeof w === 'number' ? undefined : w;
  let done = typeof w === 'number' ? w : 0;
  try {
    if (failure !== undefined && (failure as { errno?: number }).errno !== -Errno.ECANCELED) throw failure;
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
