/** The options fs.createReadStream and fs.createWriteStream share. */
export interface FileStreamOptions {
  flags?: string | number;
  encoding?: BufferEncoding | null;
  fd?: number | { fd: number };
  mode?: number;
  autoClose?: boolean;
  emitClose?: boolean;
  start?: number;
  highWaterMark?: number;
  signal?: AbortSignal;
  /** Callback-style open/read/write/close/... to use instead of the ring, as Node's `fs` option. */
  fs?: object;
}

/**
 * The options object as Node's streams read it (getOptions, then copyObject): a string is the
 * encoding, and an object's own and inherited enumerable properties are copied — `{ __proto__:
 * { start: 1 } }` starts at 1, as with fs.createReadStream. Anything else is left to Node's checks.
 */
export function streamOptions(options: unknown): Record<string, unknown> | undefined {
  if (options == null) return {};
  if (typeof options === 'string') return { encoding: options };
  if (typeof options !== 'object') return undefined;
  const copy: Record<string, unknown> = {};
  for (const key in options) copy[key] = (options as Record<string, unknown>)[key];
  return copy;
}

/**
 * What @uring/fs's FileHandle carries (by `Symbol.for`, so this package need not import it): a
 * handle that makes its own streams. Node's ReadStream and WriteStream take only node:fs's
 * FileHandle as `fd`; given ours, the handle's `createReadStream` / `createWriteStream` — Node's
 * FileHandle semantics over its ring I/O — make the stream.
 */
export const kFileHandle = Symbol.for('@uring/fs.FileHandle');

export interface OwnStreamsHandle {
  createReadStream(options?: Record<string, unknown>): import('node:fs').ReadStream;
  createWriteStream(options?: Record<string, unknown>): import('node:fs').WriteStream;
}

export function isOwnStreamsHandle(fd: unknown): fd is OwnStreamsHandle {
  return typeof fd === 'object' && fd !== null && (fd as Record<symbol, unknown>)[kFileHandle] === true;
}
