import { getLoop } from '@uring/loop';

/**
 * Whether this thread can use io_uring now: its loop exists or can be made. False where
 * io_uring is unavailable (seccomp, sysctl, old kernel, URING_DISABLE=1), so callers fall back to
 * Node's own implementation with the same API.
 */
export function uringUsable(): boolean {
  try {
    getLoop();
    return true;
  } catch {
    return false;
  }
}
