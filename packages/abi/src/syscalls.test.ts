import { closeSync, readSync, writeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Linux } from './constants.js';
import { fcntl, pipe } from './syscalls.js';

describe('descriptor syscalls', () => {
  it('pipe() returns a working pair and fcntl() resizes it', () => {
    const [r, w] = pipe(Linux.O_CLOEXEC);
    expect(fcntl(w, Linux.F_SETPIPE_SZ, 1 << 20)).toBeGreaterThanOrEqual(1 << 20);
    expect(fcntl(r, Linux.F_GETPIPE_SZ)).toBeGreaterThanOrEqual(1 << 20);
    writeSync(w, 'through');
    const buf = Buffer.alloc(16);
    expect(buf.subarray(0, readSync(r, buf)).toString()).toBe('through');
    closeSync(r);
    closeSync(w);
    expect(fcntl(r, Linux.F_GETFL)).toBe(-9); // EBADF, returned, not thrown
  });
});
