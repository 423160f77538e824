import { uringUsable } from '@uring/streams';

/**
 * Which implementation serves calls on this thread: 'io_uring', or 'node' where io_uring cannot
 * be used (seccomp, kernel.io_uring_disabled, an old kernel, URING_DISABLE=1) and every call goes
 * to node:fs/promises with the same results.
 */
export function backend(): 'io_uring' | 'node' {
  return uringUsable() ? 'io_uring' : 'node';
}
