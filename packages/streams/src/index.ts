/**
 * @uring/streams — Node and web streams over io_uring files and sockets: fs.ReadStream /
 * fs.WriteStream with their options and events, read-ahead into page-aligned buffers, writev
 * batching, a generic Readable/Writable over any positional source or sink, and byte web streams
 * with BYOB reads straight into the caller's buffer.
 */
import * as fs from 'node:fs';
import { ReadStream as UringReadStream } from './read-stream.js';
export { createReadStream, type ReadStreamOptions } from './read-stream.js';
/**
 * The class of the streams createReadStream makes on io_uring (a subclass of node:fs's). As a
 * type, node:fs's ReadStream — what createReadStream gives on either backend — so code typed
 * against node:fs compiles against this package too.
 */
export const ReadStream = UringReadStream;
export type ReadStream = fs.ReadStream;
export { createWriteStream, isUringWriteStream, type WriteStreamOptions } from './write-stream.js';
/** node:fs's WriteStream, the class of what createWriteStream gives (with its I/O on the ring). */
export const WriteStream = fs.WriteStream;
export type WriteStream = fs.WriteStream;
export type { FileStreamOptions } from './stream-options.js';
export { pipeline } from './pipeline.js';
export { splice, type SpliceOptions } from './splice.js';
export { SourceReadable, type SourceReadableOptions } from './source-readable.js';
export { SinkWritable, type SinkWritableOptions, type PositionalSink } from './sink-writable.js';
export { ReadAhead, type PositionalSource, type ReadAheadOptions } from './read-ahead.js';
export { toWebReadable, toWebWritable, type WebReadableOptions, type WebWritableOptions } from './web.js';
export { fileSource, fileSink } from './file-io.js';
export { uringFsOps } from './fs-ops.js';
export { stringToFlags, parseFileMode } from './open-flags.js';
export { uringUsable } from './usable.js';
export { Slab } from './slab.js';
