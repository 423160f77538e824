import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import type { BigIntStats, ReadStream, Stats, WriteStream } from 'node:fs';
import { createInterface, type Interface } from 'node:readline';
import type { ReadableStream } from 'node:stream/web';
import { promisify } from 'node:util';
import { Errno, invalidArgType, outOfRange, uringError, validateInteger } from '@uring/abi';
import { fdIo, type FdIo } from './fd-io.js';
import { parseFileMode, toWebReadable } from '@uring/streams';
import { filePosition, readArgs, validateBufferArray, writeArgs } from './handle-args.js';
import { fileOptions, readAll, writeAll, type FileOptions } from './handle-io.js';

/** Takes a reference: close() then waits for its kUnref (what a stream over the handle holds). */
export const kRef = Symbol('kRef');
/** Drops a reference; the last one closes the descriptor. */
export const kUnref = Symbol('kUnref');
/** Reads the whole file from the current position, without the closed-handle check (fs.readFile(handle) has none). */
export const kReadFile = Symbol('kReadFile');
/** Writes `data` at the current position, without the closed-handle check (fs.writeFile(handle) has none). */
export const kWriteFile = Symbol('kWriteFile');

const MAX_USER_ID = 2 ** 32 - 1;

const nodeFstat = promisify(fs.fstat);
const nodeFchmod = promisify(fs.fchmod);
const nodeFchown = promisify(fs.fchown);
const nodeFutimes = promisify(fs.futimes);

let warnedDeprecation = false;
/**
 * A FileHandle collected while still open has its descriptor closed, with the warnings Node prints
 * for its own FileHandle (src/node_file.cc, DEP0137).
 */
const collected = new FinalizationRegistry<number>((fd) => {
  try {
    fs.closeSync(fd);
  } finally {
    process.emitWarning(`Closing file descriptor ${fd} on garbage collection`);
    if (!warnedDeprecation) {
      warnedDeprecation = true;
      process.emitWarning(
        'Closing a FileHandle object on garbage collection is deprecated. Please close FileHandle objects explicitly using ' +
          'FileHandle.prototype.close(). In the future, an error will be thrown if a file descriptor is closed during garbage collection.',
        'DeprecationWarning',
        'DEP0137',
      );
    }
  }
});

function closedError(syscall: string): Error {
  const error = new Error('file closed') as NodeJS.ErrnoException;
  error.code = 'EBADF';
  error.syscall = syscall;
  return error;
}

function invalidState(message: string): Error {
  const error = new Error(`Invalid state: ${message}`) as Error & { code: string };
  error.code = 'ERR_INVALID_STATE';
  return error;
}

let nextAsyncId = 1;

/**
 * fs/promises' FileHandle on io_uring: reads, writes, vectored I/O, fsync, ftruncate (6.9), statx
 * and close go through the ring (Node's fs where io_uring is unusable — the same class either
 * way); chmod, chown, utimes and `stat({ bigint: true })` through Node's fs on the same descriptor. Behaves as Node's: a method called after close rejects with EBADF
 * ('file closed', `syscall` the method's); `close()` is idempotent and waits for the operations
 * in flight; 'close' is emitted when closing begins; a handle collected while open is closed with
 * Node's warning.
 */
export class FileHandle extends EventEmitter {
  #fd: number;
  #refs = 1;
  #closing: Promise<void> | undefined;
  #closeResolve: (() => void) | undefined;
  #closeReject: ((error: unknown) => void) | undefined;
  #locked = false;
  readonly #asyncId = nextAsyncId++;
  /** The backend that opened the descriptor serves all of its operations. */
  readonly #io: FdIo;

  constructor(fd: number, io: FdIo = fdIo()) {
    super();
    this.#fd = fd;
    this.#io = io;
    collected.register(this, fd, this);
  }

  /** The numeric descriptor; -1 once closed. */
  get fd(): number {
    return this.#fd;
  }

  getAsyncId(): number {
    return this.#asyncId;
  }

  /**
   * Runs `op` holding a reference, so close() waits for it (Node's fsCall). Whatever `op` throws
   * becomes a rejection. Not an async function: this is every read's and write's path.
   */
  static #call<T>(handle: FileHandle, syscall: string, op: (fd: number) => Promise<T>): Promise<T> {
    if (!(#fd in handle)) return notAHandle();
    if (handle.#fd === -1) return Promise.reject(closedError(syscall));
    handle.#refs++;
    let promise: Promise<T>;
    try {
      promise = op(handle.#fd);
    } catch (error) {
      handle[kUnref]();
      return Promise.reject(error);
    }
    return promise.then(
      (value) => {
        handle[kUnref]();
        return value;
      },
      (error: unknown) => {
        handle[kUnref]();
        throw error;
      },
    );
  }

  [kRef](): void {
    this.#refs++;
  }

  [kUnref](): void {
    if (--this.#refs === 0) {
      const fd = this.#release();
      this.#io.close(fd).then(this.#closeResolve, this.#closeReject);
    }
  }

  #release(): number {
    const fd = this.#fd;
    this.#fd = -1;
    collected.unregister(this);
    return fd;
  }

  /**
   * Closes the descriptor once no operation of this handle is in flight; idempotent. Like Node's,
   * a property, so `const { close } = handle` works, and as Node's (lib/internal/fs/promises.js), a
   * call made once the descriptor is being closed (fd -1) resolves at once rather than with that
   * close: a stream over the handle that a close() ended emits its 'close' before the close()
   * resolves.
   */
  close = (): Promise<void> => {
    if (this.#fd === -1) return Promise.resolve();
    if (this.#closing) return this.#closing;
    let closing: Promise<void>;
    if (--this.#refs === 0) {
      closing = this.#io.close(this.#release());
    } else {
      closing = new Promise<void>((resolve, reject) => {
        this.#closeResolve = resolve;
        this.#closeReject = reject;
      });
    }
    this.#closing = closing.finally(() => {
      this.#closing = undefined;
      this.#closeResolve = this.#closeReject = undefined;
    });
    this.emit('close');
    return this.#closing;
  };

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  read(buffer?: unknown, offset?: unknown, length?: unknown, position?: unknown): Promise<{ bytesRead: number; buffer: any }> {
    // #call's work, inlined: this is the hot path, one promise hop over the loop's.
    if (!(#fd in this)) return notAHandle();
    const fd = this.#fd;
    if (fd === -1) return Promise.reject(closedError('read'));
    let args: ReturnType<typeof readArgs>;
    try {
      args = readArgs(buffer, offset, length, position);
    } catch (error) {
      return Promise.reject(error);
    }
    if (!('position' in args)) return Promise.resolve({ __proto__: null, ...args } as { bytesRead: number; buffer: any });
    this.#refs++;
    const view = args.buffer;
    return this.#io.read(fd, view, args.offset, args.length, args.position).then(
      (r) => {
        this[kUnref]();
        return { __proto__: null, bytesRead: r.bytesRead, buffer: view } as { bytesRead: number; buffer: any };
      },
      (error: unknown) => {
        this[kUnref]();
        throw error;
      },
    );
  }

  readv(buffers: unknown, position?: unknown): Promise<{ bytesRead: number; buffers: any }> {
    return FileHandle.#call(this, 'readv', async (fd) => {
      validateBufferArray(buffers);
      // An empty list: what libuv's read of zero buffers gets from the kernel.
      if (buffers.length === 0) throw uringError(-Errno.EINVAL, 'read');
      const bytesRead = await this.#io.readv(fd, buffers, filePosition(position));
      return { __proto__: null, bytesRead, buffers } as { bytesRead: number; buffers: any };
    });
  }

  write(data: unknown, offset?: unknown, length?: unknown, position?: unknown): Promise<{ bytesWritten: number; buffer: any }> {
    return FileHandle.#call(this, 'write', (fd) => {
      const args = writeArgs(data, offset, length, position);
      if (!('position' in args)) return Promise.resolve({ __proto__: null, ...args } as { bytesWritten: number; buffer: any });
      const buffer = typeof data === 'string' ? data : args.buffer;
      return this.#io.write(fd, args.buffer, args.offset, args.length, args.position).then((r) => ({ __proto__: null, bytesWritten: r.bytesWritten, buffer }) as { bytesWritten: number; buffer: any });
    });
  }

  writev(buffers: unknown, position?: unknown): Promise<{ bytesWritten: number; buffers: any }> {
    return FileHandle.#call(this, 'writev', async (fd) => {
      validateBufferArray(buffers);
      if (buffers.length === 0) return { __proto__: null, bytesWritten: 0, buffers } as { bytesWritten: number; buffers: any };
      const bytesWritten = await this.#io.writev(fd, buffers, filePosition(position));
      return { __proto__: null, bytesWritten, buffers } as { bytesWritten: number; buffers: any };
    });
  }

  readFile(options?: unknown): Promise<any> {
    return FileHandle.#call(this, 'readFile', () => this[kReadFile](options));
  }

  async [kReadFile](options?: unknown): Promise<Buffer | string> {
    const opts = fileOptions(options, 'r');
    // fs.readFile(handle) after close: Node's native fstat refuses fd -1 before any syscall.
    if (this.#fd === -1) throw outOfRange('fd', '>= 0 && <= 2147483647', -1);
    return readAll(this.#fd, opts);
  }

  writeFile(data: unknown, options?: unknown): Promise<void> {
    return FileHandle.#call(this, 'writeFile', () => this[kWriteFile](data, fileOptions(options, 'w')));
  }

  appendFile(data: unknown, options?: unknown): Promise<void> {
    return FileHandle.#call(this, 'writeFile', () => this[kWriteFile](data, fileOptions(options, 'a')));
  }

  [kWriteFile](data: unknown, options: FileOptions): Promise<void> {
    return writeAll(this.#fd, data, options);
  }

  stat(options: { bigint?: boolean } = { bigint: false }): Promise<any> {
    // (`options.bigint` read as Node's fstat reads it: `stat(null)` rejects with its TypeError.)
    return FileHandle.#call(this, 'fstat', (fd): Promise<Stats | BigIntStats> => (options.bigint ? nodeFstat(fd, { bigint: true }) : this.#io.fstat(fd)));
  }

  truncate(len: unknown = 0): Promise<void> {
    return FileHandle.#call(this, 'ftruncate', async (fd) => {
      validateInteger(len, 'len');
      return this.#io.ftruncate(fd, Math.max(0, len));
    });
  }

  sync(): Promise<void> {
    return FileHandle.#call(this, 'fsync', async (fd) => {
      await this.#io.fsync(fd, false);
    });
  }

  datasync(): Promise<void> {
    return FileHandle.#call(this, 'fdatasync', async (fd) => {
      await this.#io.fsync(fd, true);
    });
  }

  chmod(mode: unknown): Promise<void> {
    return FileHandle.#call(this, 'fchmod', (fd) => nodeFchmod(fd, parseFileMode(mode, 'mode')));
  }

  chown(uid: unknown, gid: unknown): Promise<void> {
    return FileHandle.#call(this, 'fchown', (fd) => {
      validateInteger(uid, 'uid', -1, MAX_USER_ID);
      validateInteger(gid, 'gid', -1, MAX_USER_ID);
      return nodeFchown(fd, uid, gid);
    });
  }

  utimes(atime: unknown, mtime: unknown): Promise<void> {
    return FileHandle.#call(this, 'futimes', (fd) => nodeFutimes(fd, atime as fs.TimeLike, mtime as fs.TimeLike));
  }

  /**
   * fs.ReadStream over this handle: reads through the ring at the stream's positions, the handle
   * referenced while the stream lives, and closed with it when `autoClose` (the default).
   */
  createReadStream(options?: Record<string, unknown>): ReadStream {
    return this.#stream(fs.ReadStream, options) as ReadStream;
  }

  /** fs.WriteStream over this handle, the same way. */
  createWriteStream(options?: Record<string, unknown>): WriteStream {
    return this.#stream(fs.WriteStream, options) as WriteStream;
  }

  #stream(Stream: typeof fs.ReadStream | typeof fs.WriteStream, options?: Record<string, unknown>): ReadStream | WriteStream {
    if (options?.fs !== undefined) {
      const error = new Error('The FileHandle with fs method is not implemented') as Error & { code: string };
      error.code = 'ERR_METHOD_NOT_IMPLEMENTED';
      throw error;
    }
    const ops = this.#streamOps();
    const Ctor = Stream as unknown as new (path: null, options: object) => ReadStream | WriteStream;
    const stream = new Ctor(null, { ...options, fd: this.#fd, fs: ops });
    this[kRef]();
    this.on('close', () => stream.close());
    return stream;
  }

  /** The callback-style operations Node's streams take as `fs`, done by this handle (Node's FileHandleOperations). */
  #streamOps() {
    type Cb<A extends unknown[] = []> = (error: Error | null, ...args: A) => void;
    return {
      open: () => {
        const error = new Error('The open() method is not implemented') as Error & { code: string };
        error.code = 'ERR_METHOD_NOT_IMPLEMENTED';
        throw error;
      },
      read: (_fd: number, buffer: Buffer, offset: number, length: number, position: number | null, cb: Cb<[number, Buffer]>) => {
        this.read(buffer, offset, length, position).then((r) => cb(null, r.bytesRead, buffer), (e: Error) => cb(e, 0, buffer));
      },
      write: (_fd: number, buffer: Buffer, offset: number, length: number, position: number | null, cb: Cb<[number, Buffer]>) => {
        this.write(buffer, offset, length, position).then((r) => cb(null, r.bytesWritten, buffer), (e: Error) => cb(e, 0, buffer));
      },
      writev: (_fd: number, buffers: Buffer[], position: number | null, cb: Cb<[number, Buffer[]]>) => {
        this.writev(buffers, position).then((r) => cb(null, r.bytesWritten, buffers), (e: Error) => cb(e, 0, buffers));
      },
      close: (_fd: number, cb: Cb) => {
        this[kUnref]();
        this.close().then(() => cb(null), (e: Error) => cb(e));
      },
      fsync: (_fd: number, cb: Cb) => {
        this.sync().then(() => cb(null), (e: Error) => cb(e));
      },
    };
  }

  /** readline over `createReadStream(options)`, every line break recognised (crlfDelay: Infinity), as Node's. */
  readLines(options?: Record<string, unknown>): Interface {
    return createInterface({ input: this.createReadStream(options), crlfDelay: Infinity });
  }

  /**
   * A byte ReadableStream of the file from its current position; BYOB reads land in the caller's
   * buffer straight from the kernel. One per handle, as in Node.
   */
  readableWebStream(options: { type?: 'bytes' } = {}): ReadableStream<Uint8Array> {
    if (this.#fd === -1) throw invalidState('The FileHandle is closed');
    if (this.#closing) throw invalidState('The FileHandle is closing');
    if (this.#locked) throw invalidState('The FileHandle is locked');
    if (typeof options !== 'object' || options === null) throw invalidArgType('options', 'of type object', options);
    this.#locked = true;
    this[kRef]();
    let done = false;
    const readable = toWebReadable(
      {
        read: (buffer, _position, signal) => this.#io.read(this.#fd, buffer, 0, buffer.byteLength, -1, signal).then((r) => r.bytesRead),
      },
      {
        chunkSize: 16_384,
        close: async () => {
          if (done) return;
          done = true;
          this[kUnref]();
        },
      },
    );
    this.once('close', () => {
      if (!readable.locked) readable.cancel().catch(() => undefined);
    });
    return readable;
  }
}

// Named as Node's class is (util.inspect, "Received an instance of FileHandle" in Node's errors): the
// bundler renames a class that refers to itself, as this one's static #call does, to _FileHandle.
Object.defineProperty(FileHandle, 'name', { value: 'FileHandle' });

// The mark @uring/streams looks for (by Symbol.for, without importing this package): given one of
// ours as `fd`, its createReadStream/createWriteStream make the stream from the handle's own
// (node:fs's streams accept only node's FileHandle there).
Object.defineProperty(FileHandle.prototype, Symbol.for('@uring/fs.FileHandle'), { value: true });



/** Whether `value` is a FileHandle of this package. */
export function isFileHandle(value: unknown): value is FileHandle {
  return value instanceof FileHandle;
}

/** What a FileHandle method called on something else (`handle.stat.call({})`) rejects with, as Node's fsCall does. */
function notAHandle(): Promise<never> {
  return Promise.reject(Object.assign(new Error('handle must be an instance of FileHandle'), { code: 'ERR_INTERNAL_ASSERTION' }));
}
