import { getLoop } from '@uring/loop';
import type { PositionalSource } from './read-ahead.js';
import type { PositionalSink } from './sink-writable.js';

/** A positional source reading `fd` through this thread's loop. */
export function fileSource(fd: number): PositionalSource {
  const loop = getLoop();
  return { read: (buffer, position, signal) => loop.read(fd, buffer, 0, buffer.length, position, { signal }).then((r) => r.bytesRead) };
}

/** A sink writing to `fd` through this thread's loop: one write, or one writev for several buffers. */
export function fileSink(fd: number): PositionalSink {
  const loop = getLoop();
  return {
    write: (buffers, position) =>
      buffers.length === 1 ? loop.write(fd, buffers[0]!, 0, buffers[0]!.length, position).then((r) => r.bytesWritten) : loop.writev(fd, buffers, position),
  };
}
