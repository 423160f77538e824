import { Readable, type ReadableOptions } from 'node:stream';
import { callUncaught } from '@uring/loop';
import { ReadAhead, type PositionalSource } from './read-ahead.js';

/** Readable options for a SourceReadable, plus the range to read, the read-ahead depth and how to close the source. */
export interface SourceReadableOptions extends Omit<ReadableOptions, 'read' | 'destroy'> {
  /** First byte (default 0). */
  start?: number;
  /** Last byte, inclusive (default: to EOF). */
  end?: number;
  /** Reads in flight (default 4). */
  readAhead?: number;
  /** Called once when the stream is destroyed or ends, e.g. to close the fd. */
  close?: () => Promise<void>;
}

/**
 * A Readable over any positional source: reads run `readAhead` deep into page-aligned buffers,
 * chunks come out in order, and no read starts while the consumer is full. The generic layer the
 * fs and net packages build on.
 */
export class SourceReadable extends Readable {
  readonly #ahead: ReadAhead;
  readonly #close: (() => Promise<void>) | undefined;
  bytesRead = 0;

  constructor(source: PositionalSource, options: SourceReadableOptions = {}) {
    const { start = 0, end = Infinity, readAhead = 4, close, ...readable } = options;
    super({ highWaterMark: 64 * 1024, ...readable });
    this.#close = close;
    this.#ahead = new ReadAhead(this, source, {
      chunkSize: this.readableHighWaterMark,
      depth: Math.max(1, readAhead),
      start,
      end,
      onChunk: (n) => (this.bytesRead += n),
    });
  }

  override _read(): void {
    this.#ahead.fill();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#ahead.stop();
    if (!this.#close) return callback(error);
    this.#close().then(() => callUncaught(callback, error), (closeError: Error) => callUncaught(callback, error ?? closeError));
  }
}
