import type { Readable } from 'node:stream';
import { callUncaught } from '@uring/loop';
import { Slab } from './slab.js';

/** Something to read from at explicit positions: a file (pread through the ring). */
export interface PositionalSource {
  /** Reads up to `buffer.length` bytes at `position` into `buffer`; resolves the count, 0 at EOF. */
  read(buffer: Buffer, position: number, signal: AbortSignal): Promise<number>;
}

/** How far ahead ReadAhead reads: chunk size, chunks in flight, and the range. */
export interface ReadAheadOptions {
  /** Bytes per read: the stream's highWaterMark, as Node's fs.ReadStream reads. */
  chunkSize: number;
  /** Reads in flight at most. */
  depth: number;
  /** First byte to read. */
  start: number;
  /** Last byte to read (inclusive); Infinity for all. */
  end: number;
  /** Called with each chunk's size just before it is pushed. */
  onChunk?: (bytes: number) => void;
}

interface Pending {
  buffer: Buffer;
  position: number;
  length: number;
  bytes: number;
  error: unknown;
  done: boolean;
}

/**
 * Keeps up to `depth` reads in flight ahead of a Readable's consumer and pushes their chunks in
 * file order. Reads go into fresh page-aligned buffers (Slab), never reused. Backpressure: no
 * new read starts after push() returned false until the stream asks again (`fill()` from
 * `_read`), so memory stays within (depth + 1) chunks beyond the consumer's buffer. A short read
 * restarts the sequence right after it, so a file that grows while read leaves no gap.
 */
export class ReadAhead {
  readonly #stream: Readable;
  readonly #source: PositionalSource;
  readonly #options: ReadAheadOptions;
  readonly #slab = new Slab();
  /** A region whose short read was copied out, its CQE reaped: the next read goes into it, not into a new one. */
  #spare: Buffer | undefined;
  /** Cancels the reads in flight when the stream is destroyed; made with the first read. */
  #controller: AbortController | undefined;
  #queue: Pending[] = [];
  #next: number;
  #eof = false;
  #stopped = false;
  #wanted = true;
  /** Reads in flight allowed now: one at first, doubling with each full read up to the depth — a small file is read once, not `depth` times past its end. */
  #window = 1;

  constructor(stream: Readable, source: PositionalSource, options: ReadAheadOptions) {
    this.#stream = stream;
    this.#source = source;
    this.#options = options;
    this.#next = options.start;
  }

  /** The consumer wants data: start reads up to the depth; end the stream when all is read. */
  fill(): void {
    this.#wanted = true;
    const { chunkSize, depth, end } = this.#options;
    while (!this.#stopped && !this.#eof && this.#queue.length < Math.min(depth, this.#window) && this.#next <= end) {
      const length = Math.min(chunkSize, end - this.#next + 1);
      const spare = this.#spare !== undefined && this.#spare.length >= length ? this.#spare : undefined;
      this.#spare = undefined;
      const entry: Pending = { buffer: spare ? spare.subarray(0, length) : this.#slab.take(length), position: this.#next, length, bytes: 0, error: undefined, done: false };
      this.#next += length;
      this.#queue.push(entry);
      this.#controller ??= new AbortController();
      this.#source.read(entry.buffer, entry.position, this.#controller.signal).then(
        (bytes) => {
          entry.bytes = bytes;
          entry.done = true;
          this.#drain();
        },
        (error) => {
          entry.error = error;
          entry.done = true;
          this.#drain();
        },
      );
    }
    if (!this.#stopped && this.#queue.length === 0 && (this.#eof || this.#next > end)) {
      this.#stopped = true;
      this.#stream.push(null);
    }
  }

  /** The stream is being destroyed: cancel what is in flight; nothing more is pushed. */
  stop(): void {
    this.#stopped = true;
    // Only reads still in flight need cancelling (an abort costs a DOMException and a cancel each).
    if (this.#queue.some((entry) => !entry.done) && !this.#controller!.signal.aborted) this.#controller!.abort();
  }

  #drain(): void {
    while (!this.#stopped && this.#queue[0]?.done) {
      const entry = this.#queue.shift()!;
      if (entry.error !== undefined) {
        this.stop();
        this.#stream.destroy(entry.error as Error);
        return;
      }
      if (entry.bytes === 0) {
        this.#eof = true;
        this.#queue = []; // reads past the end: their (empty) results are not needed
        break;
      }
      this.#options.onChunk?.(entry.bytes);
      // A short read (a small file, the end of one) goes out in a Buffer of its own size, as
      // node:fs's ReadStream copies one: a chunk held must not keep a whole read buffer alive.
      const chunk = entry.bytes < entry.length ? exactCopy(entry.buffer, entry.bytes) : entry.buffer;
      // From a read's completion (a promise's reaction): a 'data' listener's throw is made
      // uncaught, as from node:fs's read callback, and the reading goes on.
      let more = true;
      callUncaught(() => (more = this.#stream.push(chunk)));
      if (entry.bytes < entry.length) {
        // A short read: the reads queued after it started past a hole. Read on from here — into
        // its region, copied out above (usually to find the end of the file).
        this.#queue = [];
        this.#next = entry.position + entry.bytes;
        this.#spare = entry.buffer;
      } else this.#window *= 2;
      if (!more) this.#wanted = false;
    }
    if (this.#wanted || this.#eof) this.fill();
  }
}

/** The first `length` bytes of `source` in a Buffer of exactly that size. */
function exactCopy(source: Buffer, length: number): Buffer {
  const copy = Buffer.allocUnsafeSlow(length);
  source.copy(copy, 0, 0, length);
  return copy;
}
