import { read } from 'node:fs';
import { AbortError } from '@uring/loop';
import type * as nodeNet from 'node:net';
import { Socket, socketClosed, validateSendFile } from './socket.js';

/**
 * Writes `length` bytes (Infinity: to the end of the file) of the file open as `fd`, from `offset`,
 * to `socket` after what is already queued on it, leaving the socket open (a keep-alive HTTP
 * response body, say); writes made after the call, also before it settles, follow the file's
 * bytes. On a @uring/net socket this is `socket.sendFile` — splice through a pipe on the ring, no
 * copy through JavaScript; on a node:net socket (the fallback) the range is read with fs.read and
 * written through the socket's own write path when its turn in the write queue comes. Resolves
 * the bytes written; rejects with ERR_SOCKET_CLOSED when the socket closes first, or with a
 * read's error (the socket is then left to the caller). The fd stays the caller's to close.
 */
export async function sendFile(socket: Socket | nodeNet.Socket, fd: number, offset = 0, length = Infinity, options: { signal?: AbortSignal } = {}): Promise<number> {
  if (socket instanceof Socket) return socket.sendFile(fd, offset, length, options);
  validateSendFile(socket, fd, offset, length);
  const { signal } = options;
  if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
  if (length === 0) return 0;
  return new Promise<number>((resolve, reject) => {
    const marker = Buffer.alloc(0);
    queuedFiles(socket).set(marker, (done, write) => {
      let sent = 0;
      let settled = false;
      const settle = (error?: Error) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', aborted);
        if (error) reject(error);
        else resolve(sent);
      };
      // An abort settles at once; a piece being written still finishes (it is in node:net's
      // write path) before the queue moves on.
      const aborted = () => settle(new AbortError(undefined, { cause: signal!.reason }));
      signal?.addEventListener('abort', aborted, { once: true });
      const next = (): void => {
        if (socket.destroyed) settle(socketClosed());
        else if (signal?.aborted) aborted();
        if (settled) return done();
        const want = Math.min(CHUNK, length - sent);
        if (want === 0) {
          settle();
          return done();
        }
        const buffer = Buffer.allocUnsafe(want);
        read(fd, buffer, 0, want, offset + sent, (error, n) => {
          if (settled) return done(); // aborted while reading: nothing more goes out
          if (error || n === 0) {
            settle(error ?? undefined); // an error, or the end of the file
            return done();
          }
          sent += n;
          write(buffer.subarray(0, n), (writeError) => {
            if (!writeError) return next();
            settle(socket.destroyed ? socketClosed() : writeError);
            done(writeError); // the socket's own write failed: node:net's handling, as for any write
          });
        });
      };
      next();
    });
    socket.write(marker, (error) => {
      if (error && queuedFiles(socket).delete(marker)) reject(socket.destroyed ? socketClosed() : error);
    });
  });
}

/** The fallback reads and writes a file this much at a time (libuv's read size for streams). */
const CHUNK = 64 * 1024;

type QueuedFile = (done: (error?: Error | null) => void, write: (chunk: Buffer, callback: (error?: Error | null) => void) => void) => void;
const queued = new WeakMap<nodeNet.Socket, Map<Buffer, QueuedFile>>();

/**
 * The files queued on a node:net socket, each behind a zero-length chunk of its write queue. The
 * socket's _write/_writev (node's stream.Writable calls them through the instance) run a file when
 * its chunk comes up, writing its pieces through node:net's own _write; writes queued after it
 * wait, as they wait for any write in progress.
 */
function queuedFiles(socket: nodeNet.Socket): Map<Buffer, QueuedFile> {
  const known = queued.get(socket);
  if (known) return known;
  const found = new Map<Buffer, QueuedFile>();
  queued.set(socket, found);
  type Writes = { _write: (chunk: Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void) => void; _writev: (chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void) => void };
  const target = socket as unknown as Writes;
  const write = target._write;
  const writev = target._writev;
  const run = (file: QueuedFile, marker: Buffer, done: (error?: Error | null) => void) => {
    found.delete(marker);
    file(done, (chunk, callback) => write.call(socket, chunk, 'buffer' as BufferEncoding, callback));
  };
  target._write = function (chunk, encoding, callback) {
    const file = found.get(chunk);
    if (file) run(file, chunk, callback);
    else write.call(this, chunk, encoding, callback);
  };
  target._writev = function (chunks, callback) {
    const k = chunks.findIndex(({ chunk }) => found.has(chunk));
    if (k === -1) return writev.call(this, chunks, callback);
    // What was written before the file, then the file, then the rest.
    const marker = chunks[k]!.chunk;
    const rest = chunks.slice(k + 1);
    const then = () => run(found.get(marker)!, marker, (error) => (error || rest.length === 0 ? callback(error) : target._writev.call(this, rest, callback)));
    if (k === 0) then();
    else writev.call(this, chunks.slice(0, k), (error) => (error ? callback(error) : then()));
  };
  return found;
}
