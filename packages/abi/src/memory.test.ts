import { describe, expect, it } from 'vitest';
import { addressOf, alignedBuffer, allocAligned } from './memory.js';

describe('memory', () => {
  it('addressOf counts a view\'s byteOffset', () => {
    const buffer = new ArrayBuffer(64);
    const base = addressOf(buffer);
    expect(base).toBeGreaterThan(0);
    expect(addressOf(new Uint8Array(buffer, 16))).toBe(base + 16);
    expect(addressOf(new DataView(buffer, 8))).toBe(base + 8);
    expect(addressOf(new Uint32Array(buffer, 4, 2))).toBe(base + 4);
  });

  it('addressOf rejects values without bytes with ERR_INVALID_ARG_TYPE', () => {
    expect(() => addressOf('x' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => addressOf({} as never)).toThrow(TypeError);
  });

  it('allocAligned returns zeroed page-aligned memory', () => {
    const memory = allocAligned(10000);
    expect(memory.byteLength).toBe(10000);
    expect(addressOf(memory) % 4096).toBe(0);
    expect(new Uint8Array(memory).every((b) => b === 0)).toBe(true);
    const buf = alignedBuffer(4096);
    buf.fill(7);
    expect(buf[4095]).toBe(7);
  });

  it('allocAligned rejects bad lengths', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => allocAligned(bad)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    }
  });
});
