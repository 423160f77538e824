import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The packages whose `bench/run.mjs` the suite runs, lowest layer first. */
export const PACKAGES = ['ring', 'loop', 'streams', 'fs', 'net'] as const;
/** A package with a benchmark the suite runs. */
export type BenchPackage = (typeof PACKAGES)[number];

/** One figure as a package benchmark reports it (scripts/bench-harness.mjs). */
export interface Figure {
  package: string;
  name: string;
  unit: string;
  baseline?: string;
  ours: number;
  theirs: number;
  /** ours / theirs, the median over the interleaved reps. */
  ratio: number;
  ratioMin?: number;
  ratioMax?: number;
  reps?: number;
  /** The unit is a cost (CPU per trip): a ratio below 1 is the win. */
  lowerIsBetter?: boolean;
  /** How many times better than Node: ratio, or 1/ratio for costs. */
  speedup: number;
  /**
   * Not a comparison but a reading that explains one (a kernel-time floor, a client's CPU load):
   * shown with its plain ratio, ours ÷ Node's, and left out of the chart.
   */
  diagnostic?: boolean;
}

/** What `uring-demo bench` produces (and writes as results.json). */
export interface SuiteResult {
  mode: 'quick' | 'full';
  date: string;
  machine: {
    kernel: string;
    node: string;
    cpus: number;
    cpu: string;
    /** ns per null system call (getppid from C), where a C compiler was there to measure it: every ratio against Node moves with it. */
    syscallNs?: number;
  };
  figures: Figure[];
  /** Packages whose benchmark failed, with the reason. */
  failures: Array<{ package: string; error: string }>;
}

const require = createRequire(import.meta.url);

/** The package's bench script, from the workspace (the benchmarks are not part of published packages). */
export function benchScript(pkg: BenchPackage): string | undefined {
  try {
    const script = join(dirname(require.resolve(`@uring/${pkg}/package.json`)), 'bench', 'run.mjs');
    return existsSync(script) ? script : undefined;
  } catch {
    return undefined;
  }
}

function runScript(script: string, args: string[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd: dirname(dirname(script)), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`exit code ${code}: ${err.trim().split('\n').pop() ?? ''}`));
      try {
        resolve(JSON.parse(out));
      } catch {
        reject(new Error(`no JSON on stdout: ${out.slice(0, 200)}`));
      }
    });
  });
}

type Raw = Record<string, unknown>;
const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

/**
 * The comparable figures of one package's report: every result with numeric ours, theirs and
 * ratio; a latency result (`{ p50, p99 }` on both sides) as one cost figure per percentile; and,
 * where a result also ran against Node with UV_USE_IO_URING=1 (the fs benchmark), that comparison
 * as a figure of its own.
 */
export function figuresOf(pkg: string, report: unknown): Figure[] {
  const results = (report as { results?: unknown[] })?.results;
  if (!Array.isArray(results)) throw new Error('report without results');
  const figures: Figure[] = [];
  const add = (f: Omit<Figure, 'package' | 'speedup'>) => figures.push({ ...f, package: `@uring/${pkg}`, speedup: f.lowerIsBetter ? 1 / f.ratio : f.ratio });
  for (const item of results) {
    const r = item as Raw;
    if (typeof r.name !== 'string' || typeof r.unit !== 'string') continue;
    const base = { name: r.name, unit: r.unit, baseline: typeof r.baseline === 'string' ? r.baseline : undefined, reps: typeof r.reps === 'number' ? r.reps : undefined };
    if (num(r.ours) && num(r.theirs) && num(r.ratio)) {
      add({ ...base, ours: r.ours, theirs: r.theirs, ratio: r.ratio, ratioMin: r.ratioMin as number | undefined, ratioMax: r.ratioMax as number | undefined, lowerIsBetter: r.lowerIsBetter === true || undefined, diagnostic: r.diagnostic === true || undefined });
      if (num(r.uvIoUring) && num(r.ratioVsUvIoUring)) {
        add({ ...base, baseline: `${base.baseline ?? 'Node'} with UV_USE_IO_URING=1`, ours: r.ours, theirs: r.uvIoUring, ratio: r.ratioVsUvIoUring });
      }
      continue;
    }
    const [ours, theirs] = [r.ours as Raw | undefined, r.theirs as Raw | undefined];
    for (const p of ['p50', 'p99']) {
      if (ours && theirs && num(ours[p]) && num(theirs[p])) {
        const unit = r.unit.replace(/[()]/g, '');
        add({ ...base, name: `${r.name.replace(/\s*\([^)]*\)$/, '')}, ${p}`, unit: unit === 'µs' ? 's' : unit, ours: unit === 'µs' ? ours[p] / 1e6 : ours[p], theirs: unit === 'µs' ? theirs[p] / 1e6 : theirs[p], ratio: ours[p] / theirs[p], lowerIsBetter: true });
      }
    }
  }
  return figures;
}

export interface SuiteOptions {
  full?: boolean;
  only?: readonly BenchPackage[];
  /** Told when a package starts and ends (for progress output). */
  onProgress?: (event: { pkg: BenchPackage; index: number; total: number; done: boolean; seconds?: number; error?: string }) => void;
}

/**
 * Runs each package's benchmark in its own process (each makes its own data set in a temp dir
 * and measures @uring against Node interleaved, rep by rep), short runs unless `full`, and
 * gathers their figures. A package whose benchmark fails is reported, not fatal.
 */
export async function runSuite(machine: SuiteResult['machine'], options: SuiteOptions = {}): Promise<SuiteResult> {
  const packages = options.only ?? PACKAGES;
  const result: SuiteResult = { mode: options.full ? 'full' : 'quick', date: new Date().toISOString(), machine, figures: [], failures: [] };
  for (const [index, pkg] of packages.entries()) {
    options.onProgress?.({ pkg, index, total: packages.length, done: false });
    const started = performance.now();
    const script = benchScript(pkg);
    let error: string | undefined;
    try {
      if (!script) throw new Error('bench/run.mjs not found (benchmarks run from the repository)');
      result.figures.push(...figuresOf(pkg, await runScript(script, ['--json', ...(options.full ? [] : ['--quick'])])));
    } catch (e) {
      error = (e as Error).message;
      result.failures.push({ package: `@uring/${pkg}`, error });
    }
    options.onProgress?.({ pkg, index, total: packages.length, done: true, seconds: (performance.now() - started) / 1000, error });
  }
  return result;
}

const compact = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n >= 1 ? n.toFixed(1) : n.toPrecision(2));

/** A figure's value in its unit, readable: µs for seconds. */
export function formatValue(value: number, unit: string): string {
  return unit === 's' ? `${compact(value * 1e6)} µs` : `${compact(value)} ${unit}`;
}

/** The results as a text table (for the terminal) or a Markdown table. */
export function formatTable(result: SuiteResult, markdown = false): string {
  const header = ['package', 'benchmark', '@uring', 'Node', '@uring vs Node'];
  const rows = result.figures.map((f) => [
    f.package,
    f.name + (f.baseline ? ` (vs ${f.baseline})` : ''),
    formatValue(f.ours, f.unit),
    formatValue(f.theirs, f.unit),
    f.diagnostic ? `ratio ${f.ratio.toFixed(2)} †` : `${f.speedup.toFixed(2)}x${f.lowerIsBetter ? ' *' : ''}`,
  ]);
  const notes: string[] = [];
  if (result.figures.some((f) => f.lowerIsBetter && !f.diagnostic)) notes.push("* a cost (time per operation: latency, CPU per trip): the column is Node's ÷ ours, so above 1x is better here too.");
  if (result.figures.some((f) => f.diagnostic)) notes.push("† not a comparison: ours ÷ Node's of a reading that explains the figure above it (a kernel-time floor, a client's CPU load).");
  if (markdown) {
    const line = (cells: string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
    const table = [line(header), line(header.map((_, i) => (i >= 2 ? '---:' : '---'))), ...rows.map(line)].join('\n');
    return [table, ...notes.map((n) => n.replace(/^\*/, '\\*'))].join('\n\n');
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const pad = (cells: string[]) => cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  const table = [pad(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(pad)].join('\n');
  return notes.length > 0 ? `${table}\n\n${notes.join('\n')}` : table;
}
