import { createReadStream } from 'node:fs';
import type * as nodeNet from 'node:net';
import { Socket, socketClosed, validateSendFile } from './socket.js';

/**
 * Writes `length` bytes (Infinity: to the end of the file) of the file open as `fd`, from `offset`,
 * to `socket` after what is already queued on it, leaving the socket open (a keep-alive HTTP
 * response body, say). On a @uring/net socket this is `socket.sendFile` — splice through a pipe on
 * the ring, no copy through JavaScript; on a node:net socket (the fallback) it streams the range
 * with fs.createReadStream. Resolves the bytes written. The fd stays the caller's to close.
 */
export async function sendFile(socket: Socket | nodeNet.Socket, fd: number, offset = 0, length = Infinity, options: { signal?: AbortSignal } = {}): Promise<number> {
  if (socket instanceof Socket) return socket.sendFile(fd, offset, length, options);
  validateSendFile(socket, fd, offset, length);
  if (length === 0) return 0;
  const end = length === Infinity ? Infinity : offset + length - 1;
  const source = createReadStream('', { fd, start: offset, end, autoClose: false, signal: options.signal });
  return new Promise<number>((resolve, reject) => {
    const closed = () => {
      source.unpipe(socket);
      source.destroy();
      reject(socketClosed());
    };
    socket.once('close', closed);
    source.once('error', (error) => {
      socket.off('close', closed);
      source.unpipe(socket);
      reject(error);
    });
    source.once('end', () => {
      socket.off('close', closed);
      resolve(source.bytesRead);
    });
    source.pipe(socket, { end: false });
  });
}
