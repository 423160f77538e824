#!/usr/bin/env node
// Prints one closing line for the whole workspace, `N passed, N failed, N skipped`, from the JSON
// report each package's `vitest run` wrote (.vitest/results.json), and fails when any test failed
// or a package wrote no report. `--clean` removes old reports first, so a stale one can never
// stand in for a run that died.
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dirs = ['packages', 'apps'].flatMap((d) => readdirSync(join(root, d)).map((p) => join(root, d, p)));
if (process.argv.includes('--clean')) {
  for (const dir of dirs) rmSync(join(dir, '.vitest'), { recursive: true, force: true });
  process.exit(0);
}
let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
for (const dir of dirs) {
  const reports = join(dir, '.vitest');
  const files = existsSync(reports) ? readdirSync(reports).filter((f) => f.endsWith('.json')) : [];
  if (files.length === 0) {
    if (existsSync(join(dir, 'package.json'))) missing.push(dir);
    continue;
  }
  for (const file of files) {
    // A package may run its suite more than once (fs: with io_uring and with the fallback).
    const r = JSON.parse(readFileSync(join(reports, file), 'utf8'));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    skipped += r.numPendingTests + r.numTodoTests;
  }
}
if (missing.length) console.error(`no test report from: ${missing.join(', ')}`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || missing.length > 0 ? 1 : 0);
