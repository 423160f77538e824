import { Writable, type WritableOptions } from 'node:stream';
import { callUncaught } from '@uring/loop';

/** Something to write to: a file (pwritev through the ring) or a socket (position -1). */
export interface PositionalSink {
  /** Writes the buffers in order at `position` (-1: current position / a stream); resolves the bytes written. */
  write(buffers: Buffer[], position: number): Promise<number>;
}

/** Writable options for a SinkWritable, plus where in the sink to start and how to close it. */
export interface SinkWritableOptions extends Omit<WritableOptions, 'write' | 'writev' | 'destroy' | 'final'> {
  /** Where the first byte goes; omitted: position -1 (append at the current position). */
  start?: number;
  /** Called once when the stream finishes or is destroyed. */
  close?: () => Promise<void>;
}

/**
 * A Writable over any sink: chunks queued while a write is in flight go out together in one
 * write (`_writev`), and a partial write is continued until every byte is out. The generic layer
 * the fs and net packages build on.
 */
export class SinkWritable extends Writable {
  readonly #sink: PositionalSink;
  readonly #close: (() => Promise<void>) | undefined;
  #position: number;
  bytesWritten = 0;

  constructor(sink: PositionalSink, options: SinkWritableOptions = {}) {
    const { start, close, ...writable } = options;
    super(writable);
    this.#sink = sink;
    this.#close = close;
    this.#position = start ?? -1;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#writeAll([chunk]).then(() => callUncaught(callback), (error: Error) => callUncaught(callback, error));
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    this.#writeAll(chunks.map((c) => c.chunk)).then(() => callUncaught(callback), (error: Error) => callUncaught(callback, error));
  }

  async #writeAll(buffers: Buffer[]): Promise<void> {
    let pending = buffers;
    let left = pending.reduce((n, b) => n + b.length, 0);
    while (left > 0) {
      const written = await this.#sink.write(pending, this.#position);
      if (written <= 0) throw Object.assign(new Error('write made no progress'), { code: 'ERR_SYSTEM_ERROR' });
      this.bytesWritten += written;
      if (this.#position >= 0) this.#position += written;
      left -= written;
      if (left > 0) pending = [Buffer.concat(pending).subarray(written)];
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#closeOnce().then(() => callUncaught(callback), (error: Error) => callUncaught(callback, error));
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#closeOnce().then(() => callUncaught(callback, error), (closeError: Error) => callUncaught(callback, error ?? closeError));
  }

  #closed = false;

  /** Runs `close` once: at finish, or at destroy when the stream never finished. */
  #closeOnce(): Promise<void> {
    if (this.#closed || !this.#close) return Promise.resolve();
    this.#closed = true;
    return this.#close();
  }
}
