import type { Figure, SuiteResult } from './bench.js';
import { describeSyscall } from './syscall-cost.js';

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** The figure's spread as speedups (min ≤ max), when the benchmark reported one. */
function spread(f: Figure): [number, number] | undefined {
  if (f.ratioMin === undefined || f.ratioMax === undefined) return undefined;
  const a = f.lowerIsBetter ? 1 / f.ratioMax : f.ratioMin;
  const b = f.lowerIsBetter ? 1 / f.ratioMin : f.ratioMax;
  return [Math.min(a, b), Math.max(a, b)];
}

/**
 * The comparison as an SVG bar chart: one bar per figure, how many times faster (or cheaper)
 * @uring is than Node on a log₂ axis centred on 1x, the spread over the reps as a whisker.
 * Plain SVG 1.1 with no scripts or external fonts, so browsers and converters render it alike.
 */
export function renderChart(result: SuiteResult): string {
  const figures = result.figures.filter((f) => !f.diagnostic); // readings, not comparisons
  const labelWidth = 430;
  const plotWidth = 520;
  const rowHeight = 26;
  const top = 70;
  const height = top + Math.max(1, figures.length) * rowHeight + 50;
  const width = labelWidth + plotWidth + 90;
  const values = figures.flatMap((f) => [f.speedup, ...(spread(f) ?? [])]);
  const lo = Math.min(-1, Math.floor(Math.log2(Math.min(...values, 1))));
  const hi = Math.max(2, Math.ceil(Math.log2(Math.max(...values, 1))));
  const x = (v: number) => labelWidth + ((Math.log2(Math.max(v, 2 ** lo)) - lo) / (hi - lo)) * plotWidth;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="20" y="28" font-size="18" font-weight="bold">uring vs Node — times faster (cost: times cheaper), log scale</text>`,
    `<text x="20" y="50" fill="#555">Linux ${esc(result.machine.kernel)} · Node ${esc(result.machine.node)} · ${result.machine.cpus} × ${esc(result.machine.cpu)}${result.machine.syscallNs === undefined ? '' : ` · syscall ${esc(describeSyscall(result.machine.syscallNs))}`} · ${result.mode} run · ${esc(result.date.slice(0, 10))}</text>`,
  ];
  for (let e = lo; e <= hi; e++) {
    const gx = x(2 ** e).toFixed(1);
    const label = e >= 0 ? `${2 ** e}x` : `1/${2 ** -e}x`;
    parts.push(`<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${height - 40}" stroke="${e === 0 ? '#333' : '#ddd'}" stroke-width="${e === 0 ? 1.5 : 1}"/>`);
    parts.push(`<text x="${gx}" y="${height - 22}" text-anchor="middle" fill="#555">${label}</text>`);
  }
  figures.forEach((f, i) => {
    const y = top + i * rowHeight;
    const x0 = x(1);
    const x1 = x(f.speedup);
    const colour = f.speedup >= 1 ? '#2e7d32' : '#c62828';
    const label = `${f.package.replace('@uring/', '')} · ${f.name}`;
    parts.push(`<text x="${labelWidth - 10}" y="${y + 17}" text-anchor="end">${esc(label.length > 62 ? `${label.slice(0, 61)}…` : label)}</text>`);
    parts.push(`<rect x="${Math.min(x0, x1).toFixed(1)}" y="${y + 5}" width="${Math.max(1, Math.abs(x1 - x0)).toFixed(1)}" height="${rowHeight - 10}" fill="${colour}" opacity="0.85"/>`);
    const s = spread(f);
    if (s) {
      const cy = y + rowHeight / 2;
      parts.push(`<line x1="${x(s[0]).toFixed(1)}" y1="${cy}" x2="${x(s[1]).toFixed(1)}" y2="${cy}" stroke="#222" stroke-width="1"/>`);
    }
    parts.push(`<text x="${(Math.max(x0, x1, s ? x(s[1]) : 0) + 6).toFixed(1)}" y="${y + 17}" fill="${colour}" font-weight="bold">${f.speedup.toFixed(2)}x</text>`);
  });
  if (figures.length === 0) parts.push(`<text x="${labelWidth}" y="${top + 17}">no figures</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
