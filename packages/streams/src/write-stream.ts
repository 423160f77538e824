import { WriteStream as NodeWriteStream, createWriteStream as nodeCreateWriteStream, type PathLike } from 'node:fs';
import { uringFsOps } from './fs-ops.js';
import { uringUsable } from './usable.js';
import { isOwnStreamsHandle, streamOptions, type FileStreamOptions } from './stream-options.js';

/** fs.createWriteStream options (flags, mode, start, fd, encoding, signal…) and `flush`. */
export interface WriteStreamOptions extends FileStreamOptions {
  /** fsync before closing. */
  flush?: boolean;
}

/**
 * `fs.createWriteStream` on io_uring: Node's own WriteStream — its options, validation, events,
 * `bytesWritten`, `pending`, `path` — with open, write, writev (one writev per batch of queued
 * chunks, through `_writev`), fsync (`flush`) and close going through the ring. A caller's own
 * `fs` option or a FileHandle `fd` is used as given; Node's own stream where io_uring is unavailable.
 */
export function createWriteStream(path: PathLike | null, options?: WriteStreamOptions | BufferEncoding): NodeWriteStream {
  const given = streamOptions(options);
  if (isOwnStreamsHandle(given?.fd)) {
    const { fd, ...rest } = given;
    return fd.createWriteStream(rest);
  }
  // Options Node refuses (a number, a boolean): its own stream throws its own error.
  if (given === undefined || !uringUsable()) return nodeCreateWriteStream(path as PathLike, options as never);
  const opts = given;
  const uring = opts.fs === undefined && (opts.fd == null || typeof opts.fd === 'number');
  if (uring) opts.fs = uringFsOps;
  const stream = new (NodeWriteStream as unknown as new (path: PathLike | null, options: object) => NodeWriteStream)(path, opts);
  if (uring) uringWriteStreams.add(stream);
  return stream;
}

const uringWriteStreams = new WeakSet<object>();

/** Whether `stream` is a file WriteStream this package made, writing through the ring. */
export function isUringWriteStream(stream: unknown): stream is NodeWriteStream {
  return typeof stream === 'object' && stream !== null && uringWriteStreams.has(stream);
}
