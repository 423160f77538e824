import { describe, expect, it } from 'vitest';
import { Feature, SetupFlag } from './constants.js';
import { setup } from './setup.js';
import { close } from './syscalls.js';
import { support } from './support.js';

const { supported, message } = support();

describe.skipIf(!supported)(`setup${supported ? '' : ` — skipped: ${message}`}`, () => {
  it('creates a ring and maps its memory with the sizes the kernel reports', () => {
    const ring = setup(8);
    try {
      expect(ring.fd).toBeGreaterThan(2);
      expect(ring.params.sqEntries).toBe(8);
      expect(ring.params.cqEntries).toBe(16);
      expect(ring.sqes.byteLength).toBe(8 * 64);
      if (ring.params.features & Feature.SINGLE_MMAP) expect(ring.cqRing).toBe(ring.sqRing);
      const sq = new Uint32Array(ring.sqRing);
      expect(sq[ring.params.sqOff.ringEntries >> 2]).toBe(8);
      expect(sq[ring.params.sqOff.ringMask >> 2]).toBe(7);
      expect(ring.cqRing.byteLength).toBeGreaterThanOrEqual(ring.params.cqOff.cqes + 16 * 16);
    } finally {
      close(ring.fd);
    }
  });

  it('honours CQSIZE and rounds entries up to a power of two', () => {
    const ring = setup(5, { cqEntries: 64 });
    try {
      expect(ring.params.sqEntries).toBe(8);
      expect(ring.params.cqEntries).toBe(64);
      expect(ring.params.flags & SetupFlag.CQSIZE).toBeTruthy();
    } finally {
      close(ring.fd);
    }
  });

  it('refuses setup flags whose layouts it does not map, before asking the kernel', () => {
    for (const flag of [SetupFlag.SQE128, SetupFlag.CQE32, SetupFlag.NO_MMAP, SetupFlag.REGISTERED_FD_ONLY]) {
      expect(() => setup(8, { flags: SetupFlag.COOP_TASKRUN | flag })).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: expect.stringContaining("'params.flags'") }));
    }
  });

  it('throws a Node-shaped error when the kernel refuses', () => {
    expect(() => setup(0)).toThrow(expect.objectContaining({ code: 'EINVAL', errno: -22, syscall: 'io_uring_setup' }));
    expect(() => setup(8, { flags: SetupFlag.DEFER_TASKRUN })).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });
});
