import { Errno, Linux, close as closeFd, fcntl, pipe } from '@uring/abi';
import { getLoop } from '@uring/loop';

export interface SpliceOptions {
  signal?: AbortSignal;
  /** Pipe size to ask for (F_SETPIPE_SZ); the kernel may grant less (default 1 MiB). */
  pipeSize?: number;
  /**
   * Called before every submission; throw to stop. The fds are numbers: once their owner has
   * closed one, the number may name another file, so check the owner is still alive.
   */
  check?: () => void;
}

/**
 * Moves up to `length` bytes (Infinity: to EOF) from `inFd` at `inOffset` to `outFd` at
 * `outOffset` (-1: the file position, or a socket) with IORING_OP_SPLICE (5.7) through a pipe —
 * the data never passes through JavaScript, and file pages move into the pipe without a copy.
 * A short splice out (a full socket) is continued from what is still in the pipe. Resolves the
 * number of bytes moved.
 */
export async function splice(inFd: number, inOffset: number, outFd: number, outOffset: number, length: number, options: SpliceOptions = {}): Promise<number> {
  const loop = getLoop();
  const { signal, check = () => {} } = options;
  const [r, w] = pipe(Linux.O_CLOEXEC);
  try {
    let size = fcntl(w, Linux.F_SETPIPE_SZ, options.pipeSize ?? 1 << 20);
    if (size < 0) size = fcntl(w, Linux.F_GETPIPE_SZ); // over pipe-max-size: keep the default
    let moved = 0;
    while (moved < length) {
      const want = Math.min(size, length - moved);
      const from = inOffset < 0 ? -1 : inOffset + moved;
      check();
      const got = await loop.submit((sqes, i) => sqes.prepSplice(i, inFd, from, w, -1, want, Linux.SPLICE_F_MOVE), { syscall: 'splice', signal });
      if (got === 0) break; // EOF
      for (let inPipe = got; inPipe > 0; ) {
        const to = outOffset < 0 ? -1 : outOffset + moved;
        let out: number;
        check();
        try {
          out = await loop.submit((sqes, i) => sqes.prepSplice(i, r, -1, outFd, to, inPipe, Linux.SPLICE_F_MOVE), { syscall: 'splice', signal });
        } catch (error) {
          // A non-blocking socket that is full: wait until it can take more.
          if ((error as { errno?: number }).errno !== -Errno.EAGAIN) throw error;
          await loop.poll(outFd, Linux.POLLOUT, { signal });
          continue;
        }
        inPipe -= out;
        moved += out;
      }
    }
    return moved;
  } finally {
    closeFd(r);
    closeFd(w);
  }
}
