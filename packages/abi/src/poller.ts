import { native, type NativePoller } from './binding.js';
import { check } from './errors.js';

/**
 * Watches an eventfd from inside Node's event loop (a libuv `uv_poll_t`). Each time the eventfd
 * becomes readable the poller reads it, which resets its counter, and calls `onReadable` as a
 * top-level callback: promises it settles run their reactions right after, and an exception it
 * throws is an uncaught exception, as in any libuv callback.
 *
 * Like a libuv handle, a started poller keeps the process alive until `unref()`, `stop()` or
 * `close()`. It closes itself when the Node environment (main thread or worker) is torn down.
 */
export class EventfdPoller {
  readonly fd: number;
  #native: NativePoller | undefined;

  /** `onReadable(status)`: status is 0, or a negative errno from libuv on a poll error. */
  constructor(fd: number, onReadable: (status: number) => void) {
    this.fd = fd;
    this.#native = new (native().Poller)(fd, onReadable);
  }

  /** Starts watching. Throws a Node-shaped error (`syscall: 'uv_poll_start'`) on failure. */
  start(): this {
    check(this.#handle().start(), 'uv_poll_start');
    return this;
  }

  /** Stops watching; `start()` resumes. */
  stop(): this {
    check(this.#handle().stop(), 'uv_poll_stop');
    return this;
  }

  /** The poller keeps the event loop alive while started (the default). */
  ref(): this {
    check(this.#handle().ref(), 'uv_ref');
    return this;
  }

  /** The poller no longer keeps the event loop alive; it still calls back while the loop runs. */
  unref(): this {
    check(this.#handle().unref(), 'uv_unref');
    return this;
  }

  /** Closes the poll handle; idempotent. The callback is never called after this. Does not close the fd. */
  close(): void {
    this.#native?.close();
    this.#native = undefined;
  }

  get closed(): boolean {
    return this.#native === undefined;
  }

  #handle(): NativePoller {
    if (this.#native === undefined) check(-9 /* EBADF */, 'uv_poll');
    return this.#native!;
  }
}
