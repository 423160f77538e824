import { invalidArgType, invalidArgValue, outOfRange, validateInteger } from '@uring/abi';

/**
 * FileHandle argument handling in the order Node 20's lib/internal/fs/promises.js checks it, so
 * the same bad call fails with the same error. Where Node 20 aborts the process (a `length` that
 * is not an int32 reaches its native read), these reject with ERR_INVALID_ARG_TYPE /
 * ERR_OUT_OF_RANGE instead.
 */

/** Node's default read buffer when `read()` is given no buffer. */
const DEFAULT_READ_BUFFER = 16_384;
const INT32_MAX = 2 ** 31 - 1;

const isView = ArrayBuffer.isView;

/**
 * A file position as Node passes it on: a non-negative safe integer reads or writes there; any
 * other value (null, undefined, a negative, fractional or non-number value) means the current file
 * position, which io_uring spells -1 (IORING_FEAT_RW_CUR_POS, 5.6).
 */
export function filePosition(position: unknown): number {
  return typeof position === 'number' && Number.isSafeInteger(position) && position >= 0 ? position : -1;
}

/** A FileHandle.read call, its arguments resolved as Node 20 resolves them. */
export interface ReadArgs {
  buffer: ArrayBufferView;
  offset: number;
  length: number;
  position: number;
}

function validateOptionsObject(value: unknown, name: string): void {
  if (value !== null && (typeof value !== 'object' || Array.isArray(value))) throw invalidArgType(name, 'of type object', value);
}

/** lib/internal/fs/utils.js validateOffsetLengthRead. */
function validateOffsetLengthRead(offset: number, length: number, bufferLength: number): void {
  if (offset < 0) throw outOfRange('offset', '>= 0', offset);
  if (length < 0) throw outOfRange('length', '>= 0', length);
  if (offset + length > bufferLength) throw outOfRange('length', `<= ${bufferLength - offset}`, length);
}

/**
 * `filehandle.read(buffer, offset, length, position)`, `read(buffer, options)` and
 * `read(options)`: the normalized arguments, or a finished result (a zero-length read).
 */
export function readArgs(first: unknown, second: unknown, third: unknown, fourth: unknown): ReadArgs | { bytesRead: 0; buffer: ArrayBufferView } {
  let buffer = first as ArrayBufferView;
  let offset = second as unknown;
  let length = third as unknown;
  let position = fourth as unknown;
  if (!isView(first)) {
    if (first !== undefined) validateOptionsObject(first, 'options');
    const o = (first ?? {}) as Record<string, unknown>;
    buffer = (o.buffer === undefined ? Buffer.alloc(DEFAULT_READ_BUFFER) : o.buffer) as ArrayBufferView;
    offset = o.offset === undefined ? 0 : o.offset;
    length = o.length === undefined ? (buffer?.byteLength as number) - (offset as number) : o.length;
    position = o.position === undefined ? null : o.position;
    if (!isView(buffer)) throw invalidArgType('buffer', 'an instance of Buffer, TypedArray, or DataView', buffer);
  }
  if (offset !== null && typeof offset === 'object') {
    const o = offset as Record<string, unknown>;
    offset = o.offset === undefined ? 0 : o.offset;
    length = o.length === undefined ? buffer.byteLength - (offset as number) : o.length;
    position = o.position === undefined ? null : o.position;
  }
  if (offset == null) offset = 0;
  else validateInteger(offset, 'offset', 0);
  length ??= buffer.byteLength - (offset as number);
  if (length === 0) return { bytesRead: 0, buffer };
  if (buffer.byteLength === 0) throw invalidArgValue('buffer', buffer, 'is empty and cannot be written');
  validateOffsetLengthRead(offset as number, length as number, buffer.byteLength);
  validateInteger(length, 'length', 0, INT32_MAX);
  return { buffer, offset: offset as number, length, position: filePosition(position) };
}

/** A FileHandle.write call, its arguments resolved as Node 20 resolves them. */
export interface WriteArgs {
  buffer: ArrayBufferView;
  offset: number;
  length: number;
  position: number;
}

/** lib/internal/fs/utils.js validateOffsetLengthWrite (with its validateInt32 of `length`). */
function validateOffsetLengthWrite(offset: number, length: unknown, byteLength: number): void {
  if (offset > byteLength) throw outOfRange('offset', `<= ${byteLength}`, offset);
  if ((length as number) > byteLength - offset) throw outOfRange('length', `<= ${byteLength - offset}`, length);
  if ((length as number) < 0) throw outOfRange('length', '>= 0', length);
  validateInteger(length, 'length', 0, INT32_MAX);
}

/**
 * `filehandle.write(buffer, offset, length, position)`, `write(buffer, options)` and
 * `write(string, position, encoding)`: the bytes to write and where, or a finished result (an
 * empty buffer).
 */
export function writeArgs(data: unknown, second: unknown, third: unknown, fourth: unknown): WriteArgs | { bytesWritten: 0; buffer: unknown } {
  if ((data as { byteLength?: unknown } | null | undefined)?.byteLength === 0) return { bytesWritten: 0, buffer: data };
  if (isView(data)) {
    let offset = second;
    let length = third;
    let position = fourth;
    if (typeof offset === 'object') {
      const o = (offset ?? {}) as Record<string, unknown>;
      offset = o.offset === undefined ? 0 : o.offset;
      length = o.length === undefined ? data.byteLength - (offset as number) : o.length;
      position = o.position === undefined ? null : o.position;
    }
    if (offset == null) offset = 0;
    else validateInteger(offset, 'offset', 0);
    if (typeof length !== 'number') length = data.byteLength - (offset as number);
    validateOffsetLengthWrite(offset as number, length, data.byteLength);
    return { buffer: data, offset: offset as number, length: length as number, position: filePosition(position) };
  }
  if (typeof data !== 'string') throw invalidArgType('buffer', 'of type string or an instance of Buffer, TypedArray, or DataView', data);
  const encoding = validateEncoding(data, third);
  const bytes = Buffer.from(data, encoding);
  return { buffer: bytes, offset: 0, length: bytes.length, position: filePosition(second) };
}

/**
 * Node's validateEncoding (odd-length hex is refused); an unknown encoding name falls back to
 * UTF-8 as Node's native writeString does.
 */
export function validateEncoding(data: string, encoding: unknown): BufferEncoding {
  const known = typeof encoding === 'string' && Buffer.isEncoding(encoding) ? (encoding.toLowerCase() as BufferEncoding) : 'utf8';
  if (known === 'hex' && data.length % 2 !== 0) throw invalidArgValue('encoding', encoding, `is invalid for data of length ${data.length}`);
  return known;
}

/** lib/internal/fs/utils.js validateBufferArray. */
export function validateBufferArray(buffers: unknown): asserts buffers is ArrayBufferView[] {
  if (!Array.isArray(buffers) || !buffers.every((b) => isView(b))) throw invalidArgType('buffers', 'an ArrayBufferView[]', buffers);
}
