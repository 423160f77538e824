import { CqeFlag, addressOf, pipe } from '@uring/abi';
import { closeSync, writeSync } from 'node:fs';
import { release } from 'node:os';
import { describe, expect, it } from 'vitest';
import { BufferRing } from './buffer-ring.js';
import { IoUring } from './io-uring.js';
import { runOne, titled, unavailable } from './testing.js';

const [major, minor] = release().split('.').map(Number) as [number, number];
const hasPbufStatus = major > 6 || (major === 6 && minor >= 8);
const addressOfSlice = (b: Buffer, offset: number) => addressOf(b) + offset;

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

  it.skipIf(!hasPbufStatus)(
    titled("reads the kernel's head (IORING_REGISTER_PBUF_STATUS): a buffer the kernel picks is no longer available", hasPbufStatus ? undefined : 'PBUF_STATUS needs Linux 6.8'),
    async () => {
      const ring = IoUring.init(4);
      const memory = Buffer.alloc(8 * 16);
      const br = BufferRing.setup(ring, 8, 4);
      for (let b = 0; b < 8; b++) br.add(addressOfSlice(memory, b * 16), 16, b, b);
      expect(br.available()).toBe(0); // added, not published
      br.advance(8);
      expect([br.head(), br.available()]).toEqual([0, 8]);
      const [r, w] = pipe();
      writeSync(w, 'picked');
      const cqe = await runOne(ring, (i) => {
        ring.sqes.prepRead(i, r, 0, 16, -1);
        ring.sqes.bufferSelect(i, 4);
      });
      expect(cqe.res).toBe(6);
      expect(cqe.flags & CqeFlag.BUFFER).toBeTruthy();
      expect([br.head(), br.available()]).toEqual([1, 7]);
      br.add(addressOfSlice(memory, (cqe.flags >>> 16) * 16), 16, cqe.flags >>> 16);
      br.advance(1); // given back
      expect(br.available()).toBe(8);
      br.unregister();
      closeSync(r);
      closeSync(w);
      ring.close();
    },
  );
});
