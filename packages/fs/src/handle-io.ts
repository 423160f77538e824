import { invalidArgType, invalidArgValue } from '@uring/abi';
import { AbortError } from '@uring/loop';
import { fdIo, fileSize } from './fd-io.js';
import { fileBuffer } from './file-buffer.js';

/** Node's kIoMaxLength: readFile refuses files larger than 2 GiB. */
export const MAX_LENGTH = 2 ** 31 - 1;
/** Node's kReadFileUnknownBufferLength: the chunk size for files whose size stat cannot tell. */
const UNKNOWN_SIZE_CHUNK = 64 * 1024;
/** Node's kWriteFileMaxChunkSize: writeFile on a handle writes at most this much per write, checking its signal between. */
const WRITE_CHUNK = 512 * 1024;

/** readFile/writeFile options after Node's getOptions: encoding, flag, mode, signal. */
export interface FileOptions {
  encoding?: BufferEncoding | 'buffer' | null;
  flag?: string;
  mode?: number | string;
  signal?: AbortSignal;
}

/** Node's ERR_FS_FILE_TOO_LARGE. */
export function tooLarge(size: number): RangeError {
  const error = new RangeError(`File size (${size}) is greater than 2 GiB`) as RangeError & { code: string };
  error.code = 'ERR_FS_FILE_TOO_LARGE';
  return error;
}

/** Node's validateAbortSignal. */
export function validateAbortSignal(signal: unknown, name: string): void {
  if (signal !== undefined && (signal === null || typeof signal !== 'object' || !('aborted' in signal)))
    throw invalidArgType(name, 'an instance of AbortSignal', signal);
}

/**
 * Node's getOptions for readFile/writeFile/appendFile (lib/internal/fs/utils.js): a string is the
 * encoding; an object's encoding and signal are checked; anything else is refused.
 */
export function fileOptions(options: unknown, flag: 'r' | 'w' | 'a'): FileOptions {
  const defaults: FileOptions = flag === 'r' ? { flag } : { encoding: 'utf8', mode: 0o666, flag };
  if (options == null || typeof options === 'function') return defaults;
  let result: FileOptions;
  if (typeof options === 'string') result = { ...defaults, encoding: options as BufferEncoding };
  else if (typeof options !== 'object') throw invalidArgType('options', 'one of type string or object', options);
  else result = flag === 'a' ? { ...(options as FileOptions) } : (options as FileOptions);
  const encoding = result.encoding;
  if (encoding !== 'buffer' && encoding && !Buffer.isEncoding(encoding)) throw invalidArgValue('encoding', encoding, 'is invalid encoding');
  validateAbortSignal(result.signal, 'options.signal');
  if (flag === 'a') result.flag ||= 'a';
  return result;
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
}

/**
 * The rest of the file from its current position (Node's readFileHandle): a regular file in one
 * read of its size, anything else (pipes, /proc) in 64 KiB chunks until EOF.
 */
export async function readAll(fd: number, options: FileOptions): Promise<Buffer | string> {
  const { signal } = options;
  const encoding = options.encoding === 'buffer' ? null : options.encoding;
  checkAborted(signal);
  const [regular, statSize] = await fileSize(fd);
  checkAborted(signal);
  const size = regular ? statSize : 0;
  if (size > MAX_LENGTH) throw tooLarge(size);
  const io = fdIo();
  let data: Buffer;
  if (size > 0) {
    const buffer = fileBuffer(size);
    let total = 0;
    while (total < size) {
      checkAborted(signal);
      const { bytesRead } = await io.read(fd, buffer, total, size - total, -1, signal);
      if (bytesRead === 0) break;
      total += bytesRead;
    }
    data = total === size ? buffer : buffer.subarray(0, total);
  } else {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      checkAborted(signal);
      const chunk = Buffer.allocUnsafeSlow(UNKNOWN_SIZE_CHUNK);
      const { bytesRead } = await io.read(fd, chunk, 0, chunk.length, -1, signal);
      if (bytesRead === 0) break;
      chunks.push(bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > MAX_LENGTH) throw tooLarge(total);
    }
    data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  }
  return encoding ? data.toString(encoding) : data;
}

function isCustomIterable(value: unknown): value is Iterable<unknown> | AsyncIterable<unknown> {
  if (value == null || typeof value === 'string' || ArrayBuffer.isView(value)) return false;
  const v = value as Record<symbol, unknown>;
  return typeof v[Symbol.iterator] === 'function' || typeof v[Symbol.asyncIterator] === 'function';
}

/** `data` (string, ArrayBufferView, or a sync/async iterable of either) as Node's writeFile checks it. */
export function writeData(data: unknown, encoding: FileOptions['encoding']): ArrayBufferView | Iterable<unknown> | AsyncIterable<unknown> {
  if (ArrayBuffer.isView(data) || isCustomIterable(data)) return data;
  if (typeof data !== 'string') throw invalidArgType('data', 'of type string or an instance of Buffer, TypedArray, or DataView', data);
  return Buffer.from(data, (encoding || 'utf8') as BufferEncoding);
}

/**
 * Writes all of `bytes` at the current position in writes of at most 512 KiB, as Node's
 * writeFileHandle: an abort is seen between two of them also where the write itself cannot be
 * cancelled (the fallback's thread pool).
 */
async function writeBytes(fd: number, bytes: ArrayBufferView, signal: AbortSignal | undefined): Promise<void> {
  const io = fdIo();
  let done = 0;
  while (done < bytes.byteLength) {
    checkAborted(signal);
    const { bytesWritten } = await io.write(fd, bytes, done, Math.min(WRITE_CHUNK, bytes.byteLength - done), -1, signal);
    done += bytesWritten;
  }
}

/** Writes `data` at the file's current position (Node's writeFileHandle), finishing short writes. */
export async function writeAll(fd: number, data: unknown, options: FileOptions): Promise<void> {
  const bytes = writeData(data, options.encoding); // options were checked by fileOptions, signal included
  const { signal } = options;
  checkAborted(signal);
  if (!isCustomIterable(bytes)) return writeBytes(fd, bytes, signal);
  for await (const chunk of bytes as AsyncIterable<unknown>) {
    checkAborted(signal);
    const view = ArrayBuffer.isView(chunk) ? chunk : Buffer.from(chunk as string, (options.encoding || 'utf8') as BufferEncoding);
    await writeBytes(fd, view, signal);
  }
}
