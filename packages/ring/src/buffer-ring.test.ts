import { describe, expect, it } from 'vitest';
import { BufferRing } from './buffer-ring.js';
import { IoUring } from './io-uring.js';
import { titled, unavailable } from './testing.js';

const skip = unavailable();
describe.skipIf(skip !== undefined)(titled('BufferRing', skip), () => {
  it('validates entries and group ids like Node validates ranges', () => {
    const ring = IoUring.init(2);
    for (const bad of [0, 3, 65536, 1.5]) {
      expect(() => BufferRing.setup(ring, bad, 1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    }
    expect(() => BufferRing.setup(ring, 8, 70000)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    ring.close();
  });

  it('refuses a second ring for the same group with EEXIST, and unregisters idempotently', () => {
    const ring = IoUring.init(2);
    const br = BufferRing.setup(ring, 8, 3);
    expect(() => BufferRing.setup(ring, 8, 3)).toThrow(expect.objectContaining({ code: 'EEXIST', syscall: 'io_uring_register' }));
    br.unregister();
    br.unregister();
    BufferRing.setup(ring, 8, 3).unregister();
    ring.close();
  });
});
