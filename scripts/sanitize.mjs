#!/usr/bin/env node
// The whole test suite against the native addon built with AddressSanitizer + UBSan
// (`URING_SANITIZE=ON`, into packages/abi/build-sanitize), loaded through URING_ADDON. Node itself
// is not instrumented, so libasan is preloaded, and LeakSanitizer's report at each process's exit
// covers Node's own allocations too: a leak counts against us only when its allocation stack runs
// through uring_abi.node. Fails on any ASan error, any UBSan runtime error, or such a leak.
// Run after a build (`npm test` or `pnpm build`): node scripts/sanitize.mjs [package …]
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const abi = join(root, 'packages', 'abi');
const addon = join(abi, 'build-sanitize', 'Release', 'uring_abi.node');
const named = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const suites = named.length ? named : ['packages/abi', 'packages/ring', 'packages/loop', 'packages/streams', 'packages/fs', 'packages/net', 'apps/demo'];

const cmakeJs = join(abi, 'node_modules', '.bin', 'cmake-js');
console.log('building the addon with -fsanitize=address,undefined …');
execFileSync(cmakeJs, ['compile', '--CDURING_SANITIZE=ON', '--out', 'build-sanitize', '--log-level', 'warn'], { cwd: abi, stdio: ['ignore', 'ignore', 'inherit'] });
if (!existsSync(addon)) throw new Error(`no sanitizer build at ${addon}`);
const libasan = execFileSync('gcc', ['-print-file-name=libasan.so'], { encoding: 'utf8' }).trim();

const env = {
  ...process.env,
  URING_ADDON: addon,
  LD_PRELOAD: libasan,
  // Memory errors abort at once; leaks are reported at exit without failing the process (they are judged below).
  ASAN_OPTIONS: 'detect_leaks=1:exitcode=0:abort_on_error=1:detect_stack_use_after_return=0',
  UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
};

/** Splits LeakSanitizer output into its leak blocks ("Direct/Indirect leak of …" up to a blank line). */
function leakBlocks(text) {
  return text.split(/\n(?=(?:Direct|Indirect) leak of )/).slice(1).map((b) => b.split(/\n\s*\n/)[0]);
}

/**
 * What vitest printed of its failed tests: each run's "Failed Tests" section (the error, and the
 * expected/received diff an assertion prints) up to its summary, at most 150 lines in all; or, where
 * a run failed without one (a crash), its lines that name a failure or an error.
 */
function failures(text) {
  const sections = [...text.matchAll(/^.*Failed Tests \d+.*$[\s\S]*?(?=^\s*Test Files )/gm)].map((m) => m[0].trimEnd());
  const lines = sections.length ? sections.join('\n').split('\n') : text.split('\n').filter((l) => /×|FAIL|Error:/.test(l) && !/^\s*#/.test(l));
  return lines.slice(0, 150).join('\n');
}

let failed = false;
const summary = [];
/**
 * Runs one vitest suite directly (not through pnpm, whose process-tree walk hangs under the preload).
 * Everything runs several times slower under the sanitizers, so the default test and hook timeouts
 * (5 s and 10 s) become 30 s; a test that sets its own keeps it.
 */
function vitest(cwd, extraEnv) {
  return new Promise((resolve) => {
    const bin = join(root, 'node_modules', 'vitest', 'vitest.mjs');
    const child = spawn(process.execPath, [bin, 'run', '--passWithNoTests', '--testTimeout=30000', '--hookTimeout=30000'], { cwd, env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 15 * 60_000 });
    let text = '';
    child.stdout.on('data', (c) => (text += c));
    child.stderr.on('data', (c) => (text += c));
    child.on('close', (code) => resolve({ code, text: text.replace(/\x1b\[[0-9;]*m/g, '') }));
  });
}

for (const suite of suites) {
  const cwd = join(root, suite);
  // fs and net run their suite a second time on the fallback, as their test scripts do.
  const twice = /URING_DISABLE=1/.test(JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')).scripts.test);
  const runs = [await vitest(cwd, {})];
  if (twice) runs.push(await vitest(cwd, { URING_DISABLE: '1' }));
  const output = { code: runs.some((r) => r.code !== 0) ? 1 : 0, text: runs.map((r) => r.text).join('\n') };
  const tests = [...output.text.matchAll(/^\s+Tests\s+(.*)$/gm)].map((m) => m[1].trim());
  const asanErrors = (output.text.match(/ERROR: AddressSanitizer: (?!.*leak).*/g) ?? []);
  const ubsanErrors = (output.text.match(/runtime error: .*/g) ?? []);
  const leaks = leakBlocks(output.text);
  const ours = leaks.filter((b) => b.includes('uring_abi.node'));
  const ok = output.code === 0 && asanErrors.length === 0 && ubsanErrors.length === 0 && ours.length === 0;
  failed ||= !ok;
  summary.push({ suite, ok, tests: tests.join(' / '), asanErrors: asanErrors.length, ubsanErrors: ubsanErrors.length, leakReports: leaks.length, leaksInAddon: ours.length });
  console.log(`${ok ? 'clean ' : 'FAILED'} ${suite}: tests ${tests.join(' / ') || '(none reported)'}; ASan errors ${asanErrors.length}, UBSan errors ${ubsanErrors.length}, leak reports ${leaks.length} (through uring_abi.node: ${ours.length})`);
  if (!ok) {
    if (output.code !== 0) console.log(failures(output.text));
    for (const line of [...asanErrors, ...ubsanErrors]) console.log(`  ${line}`);
    for (const block of ours) console.log(block);
  }
}
if (process.argv.includes('--json')) console.log(JSON.stringify(summary, null, 2));
process.exitCode = failed ? 1 : 0;
