import { WriteStream as NodeWriteStream, constants } from 'node:fs';
import { Socket } from 'node:net';
import { once } from 'node:events';
import { Writable, type Readable } from 'node:stream';
import { finished, pipeline as nodePipeline } from 'node:stream/promises';
import { Linux, fcntl } from '@uring/abi';
import { ReadStream, kAhead, kSetUp } from './read-stream.js';
import { splice } from './splice.js';
import { isUringWriteStream } from './write-stream.js';

type Streams = Parameters<typeof nodePipeline>;
const noop = () => {};

interface FileState {
  fd: number | null;
  start?: number;
  end: number;
  pos?: number;
  bytesRead: number;
  bytesWritten: number;
}

/** A connected plain TCP/Unix socket (not TLS) with nothing queued, whose fd we may write to. */
function spliceableSocket(s: unknown): s is Socket {
  if (!(s instanceof Socket) || 'encrypted' in s) return false;
  const fd = (s as unknown as { _handle?: { fd?: number } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 && !s.connecting && s.writable && s.writableLength === 0 && !s.writableCorked;
}

/** A socket that splices a file itself (a @uring/net Socket; duck-typed, as net builds on this package). */
interface FileSender extends Writable {
  sendFile(fd: number, offset: number, length: number, options: { signal?: AbortSignal }): Promise<number>;
}

function fileSender(s: unknown): s is FileSender {
  return s instanceof Writable && typeof (s as Partial<FileSender>).sendFile === 'function' && !s.destroyed && s.writable && !s.writableCorked;
}

/** A file stream opened with O_APPEND ('a', 'a+'…): splice(2) into one is EINVAL, so Node's pipeline copies it. */
function appending(destination: unknown): boolean {
  if (!isUringWriteStream(destination)) return false;
  const fd = (destination as unknown as FileState).fd;
  return typeof fd === 'number' && (fcntl(fd, Linux.F_GETFL) & constants.O_APPEND) !== 0;
}

function untouched(r: ReadStream): boolean {
  return r.readableEncoding === null && r.readableFlowing === null && r.readableLength === 0 && r.bytesRead === 0 && !r.destroyed;
}

/**
 * `stream/promises.pipeline`, with a kernel fast path: a ReadStream of a regular file piped
 * straight into a file WriteStream of this package, into a connected node:net socket, or into a
 * socket with a `sendFile` method (a @uring/net Socket) is moved with splice through a pipe instead
 * of through JavaScript. Anything else — more stages, encodings,
 * streams already flowing, TLS — goes through Node's pipeline unchanged.
 */
async function pipeline(...streams: Streams): Promise<void> {
  const [source, destination, options, ...rest] = streams as unknown[];
  const plainOptions = options === undefined || (typeof options === 'object' && options !== null && !('pipe' in options) && !('write' in options));
  if (
    rest.length === 0 &&
    plainOptions &&
    !(options as { signal?: AbortSignal } | undefined)?.signal?.aborted && // (Node's pipeline rejects that one at once: left to it)
    source instanceof ReadStream &&
    untouched(source) &&
    (isUringWriteStream(destination) || spliceableSocket(destination) || fileSender(destination))
  ) {
    const { signal, end } = (options ?? {}) as { signal?: AbortSignal; end?: boolean };
    // Node's pipeline listens for errors from the start; so must the wait for both ends to open.
    let early: Error | undefined;
    const capture = (error: Error) => void (early ??= error);
    source.on('error', capture);
    (destination as Writable).on('error', capture);
    try {
      await source[kSetUp];
      if (!early && destination instanceof NodeWriteStream && destination.pending) {
        await Promise.race([once(destination, 'ready'), once(destination, 'close')]);
      }
    } finally {
      source.off('error', capture);
      (destination as Writable).off('error', capture);
    }
    if (early) {
      source.destroy(early);
      (destination as Writable).destroy(early);
      source.on('error', noop);
      (destination as Writable).on('error', noop);
      throw early;
    }
    if (source[kAhead] !== undefined && untouched(source) && !appending(destination)) return spliceStreams(source, destination as Writable, signal, end !== false);
  }
  return nodePipeline(...streams);
}
/** Typed as stream/promises' own (its overloads, and what a destination function returns, which ours resolves too). */
const typed = pipeline as typeof nodePipeline;
export { typed as pipeline };

/** The splice (or sendFile) itself; `end`: end the destination after it, as pipeline's `end` option (true by default). */
async function spliceStreams(source: ReadStream, destination: Writable, signal: AbortSignal | undefined, end: boolean): Promise<void> {
  const src = source as unknown as FileState;
  const sender = fileSender(destination) ? destination : undefined;
  const socket = destination instanceof Socket || sender !== undefined;
  const dst = destination as unknown as FileState & { _handle?: { fd: number } };
  const outFd = sender ? -1 : socket ? dst._handle!.fd : (dst.fd as number);
  const start = src.start ?? 0;
  const outOffset = socket || dst.pos === undefined ? -1 : dst.pos;
  // Node's pipeline listens for errors on every stream; so does the fast path. An error on
  // either end (the peer resetting a socket, say) stops the splice and is what the caller sees.
  let failure: Error | undefined;
  const controller = new AbortController();
  const onError = (error: Error) => {
    failure ??= error;
    controller.abort(error);
  };
  source.on('error', onError);
  destination.on('error', onError);
  const alive = () => {
    if (failure) throw failure;
    if (source.destroyed || destination.destroyed) throw Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
  };
  const abort = () => controller.abort(signal!.reason);
  signal?.addEventListener('abort', abort, { once: true });
  if (signal?.aborted) abort(); // aborted while the ends opened
  try {
    const length = src.end - start + 1;
    const moved = sender
      ? await sender.sendFile(src.fd as number, start, length, { signal: controller.signal })
      : await splice(src.fd as number, start, outFd, outOffset, length, { signal: controller.signal, check: alive });
    src.bytesRead += moved;
    if (src.pos !== undefined) src.pos += moved;
    if (!socket) {
      dst.bytesWritten += moved;
      if (dst.pos !== undefined) dst.pos += moved;
    }
  } catch (error) {
    // As in any pipeline: an error on either end tears down both.
    // An end destroyed with an error (a socket's read ECONNRESET) is what failed, also when its
    // 'error' event (next tick) is still to come: `errored` is set at destroy().
    const reason = failure ?? destination.errored ?? source.errored ?? (error as Error);
    source.destroy(reason);
    destination.destroy(reason);
    // Like Node's pipeline, leave a no-op handler: a stream torn down may still report its own
    // error a tick later (a socket's read ECONNRESET), which is not the caller's to handle twice.
    source.on('error', noop);
    destination.on('error', noop);
    throw reason;
  } finally {
    source.off('error', onError);
    destination.off('error', onError);
    signal?.removeEventListener('abort', abort);
  }
  source.push(null); // the bytes went through the kernel: the source is at its end
  source.resume();
  if (!end) return finished(source); // `end: false`: the destination stays open for more, as with Node's pipeline
  destination.end();
  await Promise.all([finished(source), finished(destination)]);
}
