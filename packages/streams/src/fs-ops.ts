import { callUncaught, getLoop } from '@uring/loop';
import { parseFileMode, stringToFlags } from './open-flags.js';

type Callback<A extends unknown[] = []> = (error: Error | null, ...args: A) => void;

/**
 * The callback-style operations Node's fs.ReadStream / fs.WriteStream take as their `fs` option
 * (open, read, write, writev, close, fsync), carried out on this thread's io_uring loop. Argument
 * checks that node:fs makes synchronously (flags, mode) throw synchronously here too. Each
 * callback is called as node:fs calls it from libuv: what it throws (a stream's 'open', 'data'
 * or write-callback listener, which Node's stream calls from there) is uncaught, not a rejection.
 */
export const uringFsOps = {
  open(path: string | Buffer, flags: unknown, mode: unknown, callback: Callback<[number]>): void {
    const f = stringToFlags(flags);
    const m = parseFileMode(mode, 'mode', 0o666);
    getLoop().open(path, f, m).then((fd) => callUncaught(callback, null, fd), (error: Error) => callUncaught(callback, error, -1));
  },
  read(fd: number, buffer: Buffer, offset: number, length: number, position: number | null, callback: Callback<[number, Buffer]>): void {
    getLoop()
      .read(fd, buffer, offset, length, position ?? -1)
      .then((r) => callUncaught(callback, null, r.bytesRead, buffer), (error: Error) => callUncaught(callback, error, 0, buffer));
  },
  write(fd: number, buffer: Buffer, offset: number, length: number, position: number | null, callback: Callback<[number, Buffer]>): void {
    getLoop()
      .write(fd, buffer, offset, length, position ?? -1)
      .then((r) => callUncaught(callback, null, r.bytesWritten, buffer), (error: Error) => callUncaught(callback, error, 0, buffer));
  },
  writev(fd: number, buffers: Buffer[], position: number | null, callback: Callback<[number, Buffer[]]>): void {
    getLoop()
      .writev(fd, buffers, position ?? -1)
      .then((n) => callUncaught(callback, null, n, buffers), (error: Error) => callUncaught(callback, error, 0, buffers));
  },
  close(fd: number, callback: Callback): void {
    getLoop().closeFd(fd).then(() => callUncaught(callback, null), (error: Error) => callUncaught(callback, error));
  },
  fsync(fd: number, callback: Callback): void {
    getLoop().fsync(fd).then(() => callUncaught(callback, null), (error: Error) => callUncaught(callback, error));
  },
};
