import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { addressOf, alignedBuffer, allocAligned, raiseMallocThresholds } from './memory.js';

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

  // glibc's dynamic thresholds are what the call sets; other C libraries (musl) have none, and
  // under AddressSanitizer (scripts/sanitize.mjs) malloc is the sanitizer's.
  const glibc = (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header.glibcVersionRuntime;
  const skip = !glibc ? 'the C library is not glibc' : /libasan/.test(process.env.LD_PRELOAD ?? '') ? "malloc is AddressSanitizer's" : undefined;
  /**
   * Runs `steps` in a process of its own (the thresholds are the process's), where `fromHeap()`
   * allocates a Buffer of `mib` MiB and says whether malloc served it from its heap (the [heap], or
   * an arena of another thread when a V8 helper thread holds the main one's lock) rather than
   * mmap'ing it on its own: such a chunk is a mapping of its own, its data 16 bytes (the chunk's
   * header) past the mapping's start, which an arena's chunk never is. (Told apart by the page
   * offset alone, an arena chunk that happened to sit 16 bytes into a page read as mmap'd.)
   * Returns what the steps print.
   */
  function inProcess(mib: number, steps: string): unknown {
    const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    const script = `
      import { readFileSync } from 'node:fs';
      import { addressOf, raiseMallocThresholds } from ${JSON.stringify(dist)};
      const keep = [];
      const mappingStarts = () => new Set(readFileSync('/proc/self/maps', 'utf8').split('\\n').filter(Boolean).map((l) => parseInt(l.split('-')[0], 16)));
      const fromHeap = () => { const b = Buffer.allocUnsafeSlow(${mib} << 20); keep.push(b); return !mappingStarts().has(addressOf(b) - 16); };
      ${steps}`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(child.stderr).toBe('');
    return JSON.parse(child.stdout);
  }

  const title = 'raiseMallocThresholds: a block below the raised mmap threshold then comes from the heap';
  it.skipIf(skip !== undefined)(skip ? `${title} — skipped: ${skip}` : title, () => {
    // An 8 MiB Buffer is mmap'd by malloc at first, and comes from the heap once a 16 MiB block
    // has been released.
    const result = inProcess(8, `
      const before = fromHeap();
      const raised = raiseMallocThresholds(16 << 20);
      console.log(JSON.stringify({ before, raised, after: fromHeap() }));`);
    expect(result).toEqual({ before: false, raised: true, after: true });
  });

  const capTitle = "raiseMallocThresholds: glibc's rule stops at 32 MiB — 32 MiB raises nothing, 32 MiB − 8 KiB raises the mmap threshold to its block";
  it.skipIf(skip !== undefined)(skip ? `${capTitle} — skipped: ${skip}` : capTitle, () => {
    // A 20 MiB Buffer is mmap'd while the threshold is below it, from the heap once it is past it.
    const result = inProcess(20, `
      raiseMallocThresholds(32 << 20);
      const atMax = fromHeap();
      raiseMallocThresholds((32 << 20) - 8192);
      console.log(JSON.stringify({ atMax, belowMax: fromHeap() }));`);
    expect(result).toEqual({ atMax: false, belowMax: true });
  });

  it('raiseMallocThresholds rejects bad sizes', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => raiseMallocThresholds(bad)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    }
  });
});
