import * as fs from 'node:fs';
import type { Stats } from 'node:fs';
import { promisify } from 'node:util';
import { Errno, Linux, Op, layout, uringError } from '@uring/abi';
import { getLoop } from '@uring/loop';
import { uringUsable } from '@uring/streams';
import { statsFromStatx } from './stats.js';

/**
 * The descriptor operations a FileHandle is made of, in two implementations: io_uring, and
 * Node's own fs (thread pool) where io_uring cannot be used. Positions: -1 is the file position.
 * Errors are Node-shaped in both, with Node's syscall names.
 */
export interface FdIo {
  open(path: string | Buffer, flags: number, mode: number): Promise<number>;
  read(fd: number, buffer: ArrayBufferView, offset: number, length: number, position: number, signal?: AbortSignal): Promise<{ bytesRead: number }>;
  write(fd: number, buffer: ArrayBufferView, offset: number, length: number, position: number, signal?: AbortSignal): Promise<{ bytesWritten: number }>;
  readv(fd: number, buffers: ArrayBufferView[], position: number): Promise<number>;
  writev(fd: number, buffers: ArrayBufferView[], position: number): Promise<number>;
  fsync(fd: number, datasync: boolean): Promise<void>;
  fstat(fd: number): Promise<Stats>;
  ftruncate(fd: number, length: number): Promise<void>;
  close(fd: number): Promise<void>;
}

const STAT_MASK = Linux.STATX_BASIC_STATS | Linux.STATX_BTIME;
const nullPosition = (position: number) => (position < 0 ? null : position);

type View = NodeJS.ArrayBufferView;
const node = {
  open: promisify(fs.open),
  read: promisify(fs.read),
  write: promisify(fs.write),
  readv: promisify(fs.readv),
  writev: promisify(fs.writev),
  fsync: promisify(fs.fsync),
  fdatasync: promisify(fs.fdatasync),
  fstat: promisify(fs.fstat),
  ftruncate: promisify(fs.ftruncate),
  close: promisify(fs.close),
};

/** A closed handle's -1: EBADF from the syscall, as Node's promise API reports it (its callback API throws a RangeError). */
const badFd = (syscall: string) => Promise.reject(uringError(-Errno.EBADF, syscall));

/** Node's fs on the thread pool. */
const nodeIo: FdIo = {
  open: (path, flags, mode) => node.open(path, flags, mode),
  read: (fd, buffer, offset, length, position) => fd < 0 ? badFd('read') : node.read(fd, buffer as View, offset, length, nullPosition(position)),
  write: (fd, buffer, offset, length, position) => fd < 0 ? badFd('write') : node.write(fd, buffer as View, offset, length, nullPosition(position)),
  readv: (fd, buffers, position) => node.readv(fd, buffers as View[], nullPosition(position) ?? undefined).then((r) => r.bytesRead),
  writev: (fd, buffers, position) => node.writev(fd, buffers as View[], nullPosition(position) ?? undefined).then((r) => r.bytesWritten),
  fsync: (fd, datasync) => (datasync ? node.fdatasync(fd) : node.fsync(fd)),
  fstat: (fd) => node.fstat(fd) as Promise<Stats>,
  ftruncate: (fd, length) => node.ftruncate(fd, length),
  close: (fd) => node.close(fd),
};

/** statx's error, named as Node names an fstat failure. */
function asFstat(error: NodeJS.ErrnoException): never {
  error.syscall = 'fstat';
  error.message = error.message.replace(/, statx$/, ', fstat');
  throw error;
}

/** io_uring: every operation one SQE on this thread's loop; ftruncate falls back to Node before 6.9. */
const ringIo: FdIo = {
  open: (path, flags, mode) => getLoop().open(path, flags, mode),
  read: (fd, buffer, offset, length, position, signal) => getLoop().read(fd, buffer, offset, length, position, signal && { signal }),
  write: (fd, buffer, offset, length, position, signal) => getLoop().write(fd, buffer, offset, length, position, signal && { signal }),
  readv: (fd, buffers, position) => getLoop().readv(fd, buffers, position),
  writev: (fd, buffers, position) => getLoop().writev(fd, buffers, position),
  fsync: (fd, datasync) => getLoop().fsync(fd, { datasync }).then(() => undefined),
  fstat: (fd) => getLoop().statx('', Linux.AT_EMPTY_PATH, STAT_MASK, fd).then(statsFromStatx, asFstat),
  ftruncate: (fd, length) => {
    const loop = getLoop();
    if (!loop.ring.supports(Op.FTRUNCATE)) return node.ftruncate(fd, length);
    return loop.submit((s, i) => s.prepFtruncate(i, fd, length), { syscall: 'ftruncate', map: () => undefined });
  },
  close: (fd) => getLoop().closeFd(fd).then(() => undefined),
};

/** The implementation this thread uses. */
export function fdIo(): FdIo {
  return uringUsable() ? ringIo : nodeIo;
}

/** [is a regular file, size] — what readFile needs from fstat. */
export async function fileSize(fd: number): Promise<[boolean, number]> {
  if (!uringUsable()) {
    const s = await node.fstat(fd);
    return [s.isFile(), s.size];
  }
  const stx = await getLoop().statx('', Linux.AT_EMPTY_PATH, Linux.STATX_TYPE | Linux.STATX_SIZE, fd).catch(asFstat);
  return [(stx.readUInt16LE(layout.Statx.mode) & fs.constants.S_IFMT) === fs.constants.S_IFREG, Number(stx.readBigUInt64LE(layout.Statx.size_))];
}
