import { describe, expect, it } from 'vitest';
import { describeSyscall, syscallCost } from './syscall-cost.js';

describe('syscallCost', () => {
  it('measures a null system call with the C compiler this machine has: a positive figure under a millisecond', () => {
    const ns = syscallCost(1);
    expect(typeof ns).toBe('number');
    expect(ns).toBeGreaterThan(0);
    expect(ns).toBeLessThan(1e6);
  });

  it('gives undefined, not an error, where there is no C compiler', () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      expect(syscallCost(1)).toBeUndefined();
    } finally {
      process.env.PATH = path;
    }
  });

  it('describes nanoseconds and microseconds', () => {
    expect(describeSyscall(98.4)).toBe('98 ns (getppid)');
    expect(describeSyscall(1117.2)).toBe('1.12 µs (getppid)');
  });
});
