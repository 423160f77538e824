import { Errno, FD_MAX, FD_MIN, Linux, close as closeFd, fcntl, hasErrno, outOfDescriptors, pipe, validateInteger } from '@uring/abi';
import { getLoop, type Loop } from '@uring/loop';

export interface SpliceOptions {
  signal?: AbortSignal;
  /** Pipe size to ask for (F_SETPIPE_SZ); the kernel may grant less (default 1 MiB). */
  pipeSize?: number;
  /**
   * Pipes moving chunks at once when both ends have explicit offsets (default 4); a stream
   * end (offset -1, e.g. a socket) always gets one, to keep the bytes in order.
   */
  lanes?: number;
  /**
   * Called before every submission; throw to stop. The fds are numbers: once their owner has
   * closed one, the number may name another file, so check the owner is still alive.
   */
  check?: () => void;
}

/** A new pipe's size (16 pages) unless the user's pipe quota is spent. */
const PIPE_DEFAULT = 64 * 1024;

/**
 * Moves up to `length` bytes (Infinity: to EOF) from `inFd` at `inOffset` to `outFd` at
 * `outOffset` (-1: the file position, or a socket) with IORING_OP_SPLICE (5.7) through pipes:
 * the data never passes through JavaScript, and file pages go into the pipe without a copy.
 * Each chunk is a linked pair — splice into the pipe, then out of it — so the kernel runs the
 * second right after the first; file-to-file copies run several such lanes at once. A short
 * splice (EOF, a full socket) is finished from what is still in the pipe. Resolves the bytes moved.
 */
export async function splice(inFd: number, inOffset: number, outFd: number, outOffset: number, length: number, options: SpliceOptions = {}): Promise<number> {
  // Stored into SQEs, a non-integer would be another number (undefined: fd 0, stdin); a
  // negative fd is the kernel's to refuse (EBADF).
  validateInteger(inFd, 'inFd', FD_MIN, FD_MAX);
  validateInteger(inOffset, 'inOffset', -1);
  validateInteger(outFd, 'outFd', FD_MIN, FD_MAX);
  validateInteger(outOffset, 'outOffset', -1);
  if (length !== Infinity) validateInteger(length, 'length', 0);
  const loop = getLoop();
  const { signal, check = () => {} } = options;
  const ordered = inOffset < 0 || outOffset < 0;
  if (length === 0) return 0;
  // A pipe holds 64 KiB unless asked for more (F_SETPIPE_SZ allocates its slots); a copy that
  // fits in fewer lanes than asked for makes no pipes it would not use.
  const pipeSize = options.pipeSize ?? Math.min(1 << 20, length);
  const perLane = options.pipeSize ?? Math.max(pipeSize, PIPE_DEFAULT);
  const lanes = ordered ? 1 : Math.max(1, Math.min(options.lanes ?? 4, Math.ceil(length / perLane)));
  const start = inOffset < 0 ? 0 : inOffset;
  let next = start;
  let moved = 0;
  let eof = false;

  /** The next chunk to move: [input offset, length], or undefined when all are handed out. */
  const claim = (size: number): [number, number] | undefined => {
    const handedOut = next - start;
    if (eof || handedOut >= length) return undefined;
    const len = Math.min(size, length - handedOut);
    const at = next;
    next += len;
    return [at, len];
  };

  // A stream end (offset -1: a socket, a pipe) may wait on its peer for ever: its splices are
  // `unbounded` (see the loop's maxInFlight), as a socket's own sends are.
  async function lane(lanePipe: LanePipe): Promise<void> {
    const { r, w } = lanePipe;
    try {
      let size = pipeSize > PIPE_DEFAULT || options.pipeSize !== undefined ? fcntl(w, Linux.F_SETPIPE_SZ, pipeSize) : -1;
      if (size < 0) size = fcntl(w, Linux.F_GETPIPE_SZ); // over pipe-max-size: keep the default
      for (let chunk; (chunk = claim(size)); ) {
        // A splice in can be short without being at EOF: a chunk that starts inside a page
        // spans one page more than the pipe holds. Only 0 is EOF; the rest of the chunk follows.
        for (let [at, len] = chunk; len > 0; ) {
          const from = inOffset < 0 ? -1 : at;
          const to = outOffset < 0 ? -1 : outOffset + (at - inOffset);
          check();
          const [into, outOf] = loop.link(
            [
              { prep: (s, i) => s.prepSplice(i, inFd, from, w, -1, len, Linux.SPLICE_F_MOVE), syscall: 'splice', onRelease: lanePipe.use() },
              { prep: (s, i) => s.prepSplice(i, r, -1, outFd, to, len, Linux.SPLICE_F_MOVE), syscall: 'splice', onRelease: lanePipe.use() },
            ],
            { signal, unbounded: outOffset < 0 },
          );
          const sent = outOf!.catch((error) => {
            // Cancelled because the splice in was short, or a full non-blocking socket: what is
            // still in the pipe is sent below.
            if (hasErrno(error, Errno.ECANCELED) || hasErrno(error, Errno.EAGAIN)) return 0;
            throw error;
          });
          const got = await into!.catch(async (error) => {
            await sent.catch(() => {});
            throw error;
          });
          const out = await sent;
          moved += out;
          await drain(loop, lanePipe, outFd, to < 0 ? -1 : to + out, got - out, signal, check, (n) => (moved += n));
          if (got === 0) {
            eof = true; // the end of the input: other lanes' later chunks read nothing either
            break;
          }
          at += got;
          len -= got;
        }
      }
    } finally {
      lanePipe.close();
    }
  }

  const pipes = lanePipes(lanes);
  if (pipes.length === 0) return copyThroughBuffer(loop, inFd, inOffset, outFd, outOffset, length, signal, check);
  await Promise.all(pipes.map(lane));
  return moved;
}

/**
 * Up to `count` lane pipes: fewer where the process (EMFILE) or the system (ENFILE) is out of
 * descriptors, none where it has none to spare — node:fs's copyFile and streams need no pipe, so
 * a copy that works with Node's works here too (with two descriptors free, a copyFile of ours
 * failed with `EMFILE … pipe` where Node's copied).
 */
function lanePipes(count: number): LanePipe[] {
  const pipes: LanePipe[] = [];
  try {
    while (pipes.length < count) pipes.push(new LanePipe());
  } catch (error) {
    if (!outOfDescriptors((error as NodeJS.ErrnoException).errno)) {
      for (const p of pipes) p.close();
      throw error;
    }
  }
  return pipes;
}

/**
 * splice() without a pipe, for a process out of descriptors (see lanePipes): each chunk read
 * into a buffer and written out through the ring, a short write finished and a full
 * non-blocking socket waited out, as drain() does. Resolves the bytes moved.
 */
async function copyThroughBuffer(
  loop: Loop,
  inFd: number,
  inOffset: number,
  outFd: number,
  outOffset: number,
  length: number,
  signal: AbortSignal | undefined,
  check: () => void,
): Promise<number> {
  const buffer = Buffer.allocUnsafe(Math.min(length, 256 * 1024));
  let moved = 0;
  while (moved < length) {
    check();
    const want = Math.min(buffer.length, length - moved);
    const from = inOffset < 0 ? -1 : inOffset + moved;
    const got = await untilReady(loop, inFd, Linux.POLLIN, signal, async () => (await loop.read(inFd, buffer, 0, want, from, { signal })).bytesRead);
    if (got === 0) break; // the end of the input
    for (let done = 0; done < got; ) {
      check();
      const to = outOffset < 0 ? -1 : outOffset + moved + done;
      done += await untilReady(loop, outFd, Linux.POLLOUT, signal, async () => (await loop.write(outFd, buffer, done, got - done, to, { signal })).bytesWritten);
    }
    moved += got;
  }
  return moved;
}

/** `attempt()`, again after a poll for `events` each time a non-blocking descriptor answers EAGAIN. */
async function untilReady(loop: Loop, fd: number, events: number, signal: AbortSignal | undefined, attempt: () => Promise<number>): Promise<number> {
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (!hasErrno(error, Errno.EAGAIN)) throw error;
      await loop.poll(fd, events, { signal, unbounded: true });
    }
  }
}

/**
 * A lane's pipe, closed once no splice of it is left in the kernel — not as soon as the lane
 * settles: an aborted splice rejects at once while the kernel may still be running it (a splice
 * out to a socket with no room waits in an io-wq worker, holding the pipe's lock), and closing
 * the pipe's last end then blocks this thread in pipe_release until that worker lets go — for
 * ever if the cancel that would stop it has not been submitted yet. The loop submits the cancel in
 * the first microtask after the abort, ahead of the lane's `finally`, so this held by microtask
 * order alone: with the loop's submission deferred by three microtasks (an experiment,
 * 2026-12-07), a net sendFile test hung, the main thread in close(2), a worker in
 * splice_to_socket.
 */
class LanePipe {
  readonly r: number;
  readonly w: number;
  #inKernel = 0;
  #closing = false;

  constructor() {
    [this.r, this.w] = pipe(Linux.O_CLOEXEC);
  }

  /** Counts a splice of the pipe in; the function returned (its onRelease) counts it out. */
  use(): () => void {
    this.#inKernel++;
    return () => {
      if (--this.#inKernel === 0 && this.#closing) this.#closeNow();
    };
  }

  /** Closes the pipe now, or once its last splice has left the kernel. */
  close(): void {
    this.#closing = true;
    if (this.#inKernel === 0) this.#closeNow();
  }

  #closeNow(): void {
    closeFd(this.r);
    closeFd(this.w);
  }
}

/** Sends the `count` bytes still in the lane's pipe to `outFd`, waiting out a full socket. */
async function drain(
  loop: Loop,
  lanePipe: LanePipe,
  outFd: number,
  offset: number,
  count: number,
  signal: AbortSignal | undefined,
  check: () => void,
  onMoved: (n: number) => void,
): Promise<number> {
  let sent = 0;
  while (sent < count) {
    const to = offset < 0 ? -1 : offset + sent;
    check();
    const n = await untilReady(loop, outFd, Linux.POLLOUT, signal, () =>
      loop.submit((s, i) => s.prepSplice(i, lanePipe.r, -1, outFd, to, count - sent, Linux.SPLICE_F_MOVE), { syscall: 'splice', signal, onRelease: lanePipe.use(), unbounded: to < 0 }),
    );
    sent += n;
    onMoved(n);
  }
  return sent;
}
