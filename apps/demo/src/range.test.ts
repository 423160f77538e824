import { describe, expect, it } from 'vitest';
import { parseRange } from './range.js';

describe('parseRange', () => {
  it('reads the three forms of one byte range', () => {
    expect(parseRange('bytes=0-99', 1000)).toEqual([0, 99]);
    expect(parseRange('bytes=900-', 1000)).toEqual([900, 999]);
    expect(parseRange('bytes=-100', 1000)).toEqual([900, 999]);
    expect(parseRange('bytes=990-5000', 1000)).toEqual([990, 999]);
    expect(parseRange('bytes=-5000', 1000)).toEqual([0, 999]);
  });

  it('416 for a range past the end or an empty suffix', () => {
    expect(parseRange('bytes=1000-', 1000)).toBe('unsatisfiable');
    expect(parseRange('bytes=-0', 1000)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-', 0)).toBe('unsatisfiable');
  });

  it('ignores what it does not serve: no header, bad syntax, other units, several ranges, end before start', () => {
    for (const h of [undefined, 'bytes=', 'bytes=-', 'items=0-1', 'bytes=0-1,5-9', 'bytes=abc', 'bytes=9-1']) expect(parseRange(h, 1000)).toBeUndefined();
  });
});
