import { openSync } from 'node:fs';
import { Errno, Linux, accept4, close, fcntl } from '@uring/abi';

/**
 * A server out of descriptors: what libuv's servers, and so node:net's, do when accept(2) fails
 * with EMFILE (the process's limit) or ENFILE (the system's) — libuv's "emfile trick"
 * (uv__emfile_trick). One descriptor is held in reserve; out of descriptors, the reserve is
 * closed, every connection queued on the socket is accepted and closed at once (its client sees
 * the connection end, not a wait with no answer), and the reserve is taken again. No 'error':
 * the server goes on, and takes connections again once descriptors are free.
 *
 * Before it, our server emitted an 'error' per turn of the event loop, spinning until a
 * descriptor was free: the kernel's accept takes a descriptor before it looks for a connection,
 * so an accept armed while out of them ends with -EMFILE at once, connection or not (server.ts
 * then waits for the next connection by a poll).
 */
let reserve = -1;

/** Takes the reserve descriptor if it is not held (libuv takes it when it sets up a stream). */
export function holdReserve(): void {
  if (reserve < 0) reserve = openReserve();
}

function openReserve(): number {
  for (const path of ['/dev/null', '/']) {
    try {
      return openSync(path, 'r'); // O_CLOEXEC, as every descriptor Node opens
    } catch {
      // out of descriptors, or no such path: the next, else none held
    }
  }
  return -1;
}

/**
 * After an accept failed with `res` (-EMFILE or -ENFILE) on listening socket `fd`: sheds the
 * connections queued on it through the reserve, as above. Returns 0 when they were shed, else
 * the -errno to report as the accept's (no reserve held: `res`, as libuv's UV_EMFILE then).
 */
export function shedQueuedConnections(fd: number, res: number): number {
  if (reserve < 0) return res;
  close(reserve);
  reserve = -1;
  // accept4 at once, not waiting for the next connection: O_NONBLOCK while the queue is emptied
  // (a ring's listening socket is blocking: the ring's accept waits in the kernel, not here).
  const flags = fcntl(fd, Linux.F_GETFL);
  const blocking = flags >= 0 && (flags & Linux.O_NONBLOCK) === 0;
  if (blocking) fcntl(fd, Linux.F_SETFL, flags | Linux.O_NONBLOCK);
  let conn: number;
  do {
    conn = accept4(fd, Linux.SOCK_CLOEXEC);
    if (conn >= 0) close(conn);
  } while (conn >= 0 || conn === -Errno.EINTR || conn === -Errno.ECONNABORTED);
  if (blocking) fcntl(fd, Linux.F_SETFL, flags);
  reserve = openReserve();
  return conn === -Errno.EAGAIN ? 0 : conn;
}
