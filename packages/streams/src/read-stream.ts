import { ReadStream as NodeReadStream, createReadStream as nodeCreateReadStream, fstatSync, type PathLike } from 'node:fs';
import { getLoop } from '@uring/loop';
import { uringFsOps } from './fs-ops.js';
import { ReadAhead } from './read-ahead.js';
import { uringUsable } from './usable.js';
import { isOwnStreamsHandle, streamOptions, type FileStreamOptions } from './stream-options.js';

/** fs.createReadStream options (start, highWaterMark, fd, flags, encoding, signal…), plus `end` and how many chunks to read ahead. */
export interface ReadStreamOptions extends FileStreamOptions {
  end?: number;
  /** Reads kept in flight ahead of the consumer (regular files only). Default 4. */
  readAhead?: number;
}

type NodeReadStreamCtor = new (path: PathLike | null, options: object) => NodeReadStream;

/** The fields Node's ReadStream keeps that its typings leave out. */
interface ReadStreamState {
  fd: number | null;
  start: number | undefined;
  end: number;
  pos: number | undefined;
  bytesRead: number;
}

/** Options as Node's getOptions reads them; anything else goes to Node's constructor to reject. */

// Symbols, not #private fields: Node's constructor can call _destroy (an aborted signal) before
// a subclass's private fields exist.
const kUring = Symbol('kUring');
const kDepth = Symbol('kDepth');
const kSetUpDone = Symbol('kSetUpDone');
export const kAhead = Symbol('kAhead');
/** Settles when the stream is set up: opened, and read-ahead decided (after 'ready', which Node emits first). */
export const kSetUp = Symbol('kSetUp');

/**
 * fs.ReadStream on io_uring: Node's own ReadStream (so options, validation, events and their
 * order are Node's) whose file operations go through the ring, and whose reads of a regular file
 * run `readAhead` deep. A caller's own `fs` option, a FileHandle `fd`, a non-regular file (pipe,
 * character device) or an `fd` without `start` (its current position is unknown) keep Node's
 * one-read-at-a-time path — through the ring unless `fs` was given.
 */
export class ReadStream extends (NodeReadStream as unknown as NodeReadStreamCtor) {
  declare [kUring]: boolean;
  declare [kDepth]: number;
  declare [kAhead]: ReadAhead | undefined;
  declare [kSetUp]: Promise<void>;
  declare [kSetUpDone]: () => void;

  constructor(path: PathLike | null, options?: ReadStreamOptions | BufferEncoding) {
    const opts = streamOptions(options);
    const depth = (opts?.readAhead as number | undefined) ?? 4;
    if (opts) delete opts.readAhead;
    const uring = opts !== undefined && opts.fs === undefined && (opts.fd == null || typeof opts.fd === 'number') && uringUsable();
    if (uring) opts.fs = uringFsOps;
    super(path, (opts ?? options) as object);
    this[kUring] = uring;
    this[kDepth] = Math.max(1, Math.floor(depth));
    this[kSetUp] = new Promise<void>((resolve) => (this[kSetUpDone] = resolve));
  }

  #state(): ReadStreamState {
    return this as unknown as ReadStreamState;
  }

  override _construct(callback: (error?: Error | null) => void): void {
    const state = this.#state();
    const ownFd = state.fd === null;
    const done = (error?: Error | null) => {
      this[kSetUpDone]();
      callback(error);
    };
    super._construct!((error?: Error | null) => {
      if (error || !this[kUring] || (!ownFd && state.start === undefined)) return done(error);
      // Read ahead only on regular files: a pipe cannot be read at explicit positions. Asked with
      // fstat(2) on the spot: IORING_OP_STATX always goes to an io-wq worker, and the hand-off
      // cost a small file's stream more than all its other operations together (~150 µs here).
      let regular: boolean;
      try {
        regular = fstatSync(state.fd as number).isFile();
      } catch (statError) {
        return done(statError as Error);
      }
      if (regular) this.#startReadAhead();
      done();
    });
  }

  #startReadAhead(): void {
    const stream = this.#state();
    const fd = stream.fd as number;
    const loop = getLoop();
    this[kAhead] = new ReadAhead(this, { read: (buffer, position, signal) => loop.read(fd, buffer, 0, buffer.length, position, { signal }).then((r) => r.bytesRead) }, {
      chunkSize: this.readableHighWaterMark,
      depth: this[kDepth],
      start: stream.start ?? 0,
      end: stream.end,
      onChunk: (bytes) => {
        stream.bytesRead += bytes;
        if (stream.pos !== undefined) stream.pos += bytes;
      },
    });
  }

  override _read(size: number): void {
    const ahead = this[kAhead];
    if (ahead) ahead.fill();
    else super._read(size);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this[kAhead]?.stop(); // in-flight reads are cancelled; the loop keeps their buffers until the kernel is done
    super._destroy(error, callback);
  }
}

/** `fs.createReadStream` on io_uring; Node's own where io_uring is unavailable. */
export function createReadStream(path: PathLike | null, options?: ReadStreamOptions | BufferEncoding): NodeReadStream {
  const opts = streamOptions(options);
  if (isOwnStreamsHandle(opts?.fd)) {
    const { fd, readAhead: _readAhead, ...rest } = opts;
    return fd.createReadStream(rest);
  }
  if (!uringUsable()) return nodeCreateReadStream(path as PathLike, options as never);
  return new ReadStream(path, options);
}
