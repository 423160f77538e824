import { support } from '@uring/abi';
import { getLoop } from '@uring/loop';

/**
 * Whether this thread can use io_uring now: its loop exists or can be made. False where
 * io_uring is unavailable (seccomp, sysctl, old kernel, URING_DISABLE=1), so callers fall back to
 * Node's own implementation with the same API. `support()` is cached, so in fallback mode this
 * costs a property read per call, not a failed loop construction.
 */
export function uringUsable(): boolean {
  if (!support().supported) return false;
  try {
    getLoop();
    return true;
  } catch {
    return false;
  }
}
