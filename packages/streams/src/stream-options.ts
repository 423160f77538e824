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
