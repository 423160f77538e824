import { describe, expect, it } from 'vitest';
import { figuresOf, formatTable, type SuiteResult } from './bench.js';

describe('figuresOf', () => {
  it('takes ratio figures, latency percentiles as costs, and the UV_USE_IO_URING=1 baseline; skips the rest', () => {
    const figures = figuresOf('fs', {
      results: [
        { name: 'reads', unit: 'ops/s', baseline: 'fs.promises', ours: 600, theirs: 100, ratio: 6, ratioMin: 5, ratioMax: 7, reps: 7, uvIoUring: 300, ratioVsUvIoUring: 2 },
        { name: 'one read (µs)', unit: 'µs', baseline: 'fs.promises', ours: { p50: 10, p99: 40 }, theirs: { p50: 80, p99: 320 } },
        { name: 'NOPs through promises', unit: 'ops/s', ours: 1000 },
        { name: 'CPU per trip', unit: 's', ours: 2e-6, theirs: 1e-6, ratio: 2, lowerIsBetter: true },
      ],
    });
    expect(figures.map((f) => [f.name, f.baseline, f.unit, f.speedup])).toEqual([
      ['reads', 'fs.promises', 'ops/s', 6],
      ['reads', 'fs.promises with UV_USE_IO_URING=1', 'ops/s', 2],
      ['one read, p50', 'fs.promises', 's', 8],
      ['one read, p99', 'fs.promises', 's', 8],
      ['CPU per trip', undefined, 's', 0.5],
    ]);
    expect(figures.every((f) => f.package === '@uring/fs')).toBe(true);
    const result: SuiteResult = { mode: 'quick', date: '2026-11-22', machine: { kernel: '6.18', node: 'v20', cpus: 2, cpu: 'x' }, figures, failures: [] };
    const table = formatTable(result);
    expect(table).toContain('10.0 µs');
    expect(table).toContain('0.50x *');
    expect(formatTable(result, true).split('\n')[1]).toBe('| --- | --- | ---: | ---: | ---: |');
  });

  it('shows a diagnostic reading with its plain ratio and a note, and leaves it out of the chart', async () => {
    const figures = figuresOf('net', {
      results: [
        { name: 'server CPU per trip', unit: 's', ours: 2e-6, theirs: 4e-6, ratio: 0.5, lowerIsBetter: true },
        { name: 'server per trip: system CPU alone', unit: 's', ours: 1e-6, theirs: 4e-6, ratio: 0.25, diagnostic: true },
      ],
    });
    expect(figures.map((f) => [f.name, f.diagnostic])).toEqual([
      ['server CPU per trip', undefined],
      ['server per trip: system CPU alone', true],
    ]);
    const result: SuiteResult = { mode: 'quick', date: '2026-12-06', machine: { kernel: '6.18', node: 'v20', cpus: 2, cpu: 'x' }, figures, failures: [] };
    const text = formatTable(result);
    expect(text).toContain('2.00x *');
    expect(text).toContain('ratio 0.25 †');
    expect(text).toContain('† not a comparison');
    const markdown = formatTable(result, true);
    expect(markdown).toContain('\n\n\\* a cost');
    expect(markdown).toContain('\n\n† not a comparison');
    const { renderChart } = await import('./chart.js');
    const svg = renderChart(result);
    expect(svg).toContain('server CPU per trip');
    expect(svg).not.toContain('system CPU alone');
  });

  it('rejects a report without results', () => {
    expect(() => figuresOf('x', { nope: 1 })).toThrow('report without results');
  });
});
