import { ReadableStream, WritableStream } from 'node:stream/web';
import type { PositionalSource } from './read-ahead.js';
import type { PositionalSink } from './sink-writable.js';

/** toWebReadable options: the range, the chunk size, and how to close the source. */
export interface WebReadableOptions {
  /** First byte (default 0). */
  start?: number;
  /** Last byte, inclusive (default: to EOF). */
  end?: number;
  /** Size of the buffers the stream allocates for default readers (default 64 KiB). */
  chunkSize?: number;
  /** Called once when the stream ends, errors or is cancelled. */
  close?: () => Promise<void>;
}

/**
 * A byte ReadableStream (`type: 'bytes'`) over a positional source. A BYOB reader's buffer is
 * read into directly by the kernel — no copy through JavaScript; default readers get buffers of
 * `chunkSize`. Cancelling aborts the read in flight (the loop keeps its buffer until the kernel is
 * done with it).
 */
export function toWebReadable(source: PositionalSource, options: WebReadableOptions = {}): ReadableStream<Uint8Array> {
  let position = options.start ?? 0;
  const end = options.end ?? Infinity;
  const controller = new AbortController();
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await options.close?.();
  };
  return new ReadableStream({
    type: 'bytes',
    autoAllocateChunkSize: options.chunkSize ?? 64 * 1024,
    async pull(c) {
      const request = c.byobRequest!;
      const view = request.view!;
      const length = Math.min(view.byteLength, end - position + 1);
      if (length <= 0) {
        await close();
        c.close();
        request.respond(0);
        return;
      }
      const target = Buffer.from(view.buffer, view.byteOffset, length);
      let bytes: number;
      try {
        bytes = await source.read(target, position, controller.signal);
      } catch (error) {
        await close().catch(() => {});
        throw error;
      }
      if (bytes === 0) {
        await close();
        c.close();
        request.respond(0);
        return;
      }
      position += bytes;
      request.respond(bytes);
    },
    async cancel() {
      controller.abort();
      await close();
    },
  });
}

/** toWebWritable options: where to start writing, and how to close the sink. */
export interface WebWritableOptions {
  /** Where the first byte goes; omitted: -1 (the current position / a stream). */
  start?: number;
  /** Called once when the stream closes or aborts. */
  close?: () => Promise<void>;
}

/** A WritableStream over a sink: each chunk is written out completely before the next. */
export function toWebWritable(sink: PositionalSink, options: WebWritableOptions = {}): WritableStream<Uint8Array> {
  let position = options.start ?? -1;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await options.close?.();
  };
  return new WritableStream<Uint8Array>({
    async write(chunk) {
      let pending = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      while (pending.length > 0) {
        const written = await sink.write([pending], position);
        if (written <= 0) throw Object.assign(new Error('write made no progress'), { code: 'ERR_SYSTEM_ERROR' });
        if (position >= 0) position += written;
        pending = pending.subarray(written);
      }
    },
    close,
    abort: close,
  });
}
