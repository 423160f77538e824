// The benchmark harness every package's bench/run.mjs uses: each figure is measured against its
// baseline in the same process, rep by rep, interleaved (the machine is noisy: runs differ up to
// 2x), and reported as the median ratio with its spread.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const argv = new Set(process.argv.slice(2));
export const quick = argv.has('--quick');
export const json = argv.has('--json');
export const reps = quick ? 3 : 7;
export const seconds = quick ? 0.2 : 1;
export const log = (...a) => !json && console.log(...a);
export const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
export const fmt = (n) => Math.round(n).toLocaleString('en-US');

/**
 * A generator of random 4 KiB-aligned offsets into a file of `blocks` blocks, seeded: xorshift32,
 * which visits every block. (A plain `seed * 1103515245 + 12345` in JavaScript numbers loses bits
 * above 2^53 and cycled over a few hundred blocks: reads came from a few MiB, not the whole file.)
 */
export function randomOffsets(blocks, seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return (x % blocks) * 4096;
  };
}

const compiled = new Map();

/** Compiles a C baseline (`cc -O2`) once per process into a temporary directory removed at exit; returns the program's path. */
export function cProgram(source) {
  if (!compiled.has(source)) {
    if (compiled.size === 0) process.on('exit', () => compiled.forEach((out) => rmSync(join(out, '..'), { recursive: true, force: true })));
    const out = join(mkdtempSync(join(tmpdir(), 'uring-bench-c-')), basename(source, '.c'));
    execFileSync('cc', ['-O2', '-o', out, source]);
    compiled.set(source, out);
  }
  return compiled.get(source);
}

/**
 * The C random-read baseline (packages/ring/bench/reads.c) on `path` as a rate function:
 * `mode` 'ring' (QD32 on io_uring, the raw syscalls @uring/ring makes), 'fixed' (the same with a
 * registered file and buffers) or 'pread'.
 */
export function cReads(path, mode) {
  const program = cProgram(fileURLToPath(new URL('../packages/ring/bench/reads.c', import.meta.url)));
  return () => Number(execFileSync(program, [path, String(seconds), mode], { encoding: 'utf8' }));
}

/** Calls `fn` (which returns how many operations it did) until `seconds` pass; returns ops/s. */
export function timed(fn) {
  let ops = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(seconds * 1e9));
  let now = start;
  while (now < end) {
    ops += fn();
    now = process.hrtime.bigint();
  }
  return ops / (Number(now - start) / 1e9);
}

/** `workers` concurrent async loops of `op()` for `seconds`; returns completed ops/s. */
export async function timedAsync(op, workers = 1) {
  let ops = 0;
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      // The clock is read every 16 ops, so the harness costs both sides little.
      for (let k = 1; ; k++) {
        await op(w);
        ops++;
        if ((k & 15) === 0 && performance.now() >= end) break;
      }
    }),
  );
  return ops / ((performance.now() - start) / 1000);
}

/**
 * Runs `ours` and `theirs` (each returning a rate, sync or async) once to warm up, then `reps`
 * times interleaved, and prints/returns the medians and the median ratio.
 */
export async function compare(name, ours, theirs, unit, baseline) {
  // One untimed run of each first: the first run pays for cold caches and page allocation.
  await ours();
  await theirs();
  const a = [];
  const b = [];
  for (let r = 0; r < reps; r++) {
    a.push(await ours());
    b.push(await theirs());
  }
  const ratios = a.map((x, k) => x / b[k]);
  const result = { name, unit, baseline, ours: median(a), theirs: median(b), ratio: median(ratios), ratioMin: Math.min(...ratios), ratioMax: Math.max(...ratios), reps };
  log(`${name.padEnd(44)} ${fmt(result.ours).padStart(12)} ${unit}   ${baseline}: ${fmt(result.theirs).padStart(11)}   ratio ${result.ratio.toFixed(2)} (${result.ratioMin.toFixed(2)}–${result.ratioMax.toFixed(2)})`);
  return result;
}

/** Prints the results as JSON when --json was given. */
export function report(pkg, results) {
  if (json) console.log(JSON.stringify({ package: pkg, node: process.version, results }, null, 2));
}
