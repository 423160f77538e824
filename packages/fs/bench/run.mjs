#!/usr/bin/env node
// @uring/fs benchmarks (`pnpm bench`), each interleaved with node:fs/promises in the same process:
// readFile of 2,000 files of 1–16 KiB, writeFile of 4 KiB files, and stat, each 64 in flight.
// (The other figures need the parts of fs still on Node.) Flags: --json, --quick.
import * as fs from 'node:fs';
import * as node from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import uring from '@uring/fs';
import { compare, log, quick, report, reps, timedAsync } from '../../../scripts/bench-harness.mjs';

const dir = fs.mkdtempSync(join(tmpdir(), 'uring-fs-bench-'));
const count = quick ? 500 : 2000;
const files = Array.from({ length: count }, (_, k) => {
  const path = join(dir, `f${k}`);
  fs.writeFileSync(path, Buffer.alloc(1024 + ((k * 7919) % (15 * 1024)), k & 0xff)); // 1–16 KiB
  return path;
});
files.forEach((f) => fs.readFileSync(f)); // page cache

let i = 0;
const next = () => files[i++ % count];
log(`@uring/fs benchmarks — Node ${process.version}, ${reps} interleaved reps, medians, ${count} files\n`);
const results = [];
results.push(await compare('readFile, 1–16 KiB files, 64 in flight', () => timedAsync(() => uring.readFile(next()), 64), () => timedAsync(() => node.readFile(next()), 64), 'files/s', 'fs.promises'));
const outDir = join(dir, 'out');
fs.mkdirSync(outDir);
let w = 0;
const small = Buffer.alloc(4096, 1);
results.push(await compare('writeFile, 4 KiB files, 64 in flight', () => timedAsync(() => uring.writeFile(join(outDir, `u${w++ % count}`), small), 64), () => timedAsync(() => node.writeFile(join(outDir, `n${w++ % count}`), small), 64), 'files/s', 'fs.promises'));
results.push(await compare('stat, 64 in flight', () => timedAsync(() => uring.stat(next()), 64), () => timedAsync(() => node.stat(next()), 64), 'ops/s', 'fs.promises'));
const bigFile = join(dir, 'big');
fs.writeFileSync(bigFile, Buffer.alloc((quick ? 8 : 64) << 20, 5));
fs.readFileSync(bigFile);
const copyRate = (copy) => async () => {
  const dst = join(dir, `copy-${w++}`);
  const start = performance.now();
  await copy(bigFile, dst);
  const seconds = (performance.now() - start) / 1000;
  fs.rmSync(dst);
  return fs.statSync(bigFile).size / (1 << 20) / seconds;
};
results.push(await compare(`copyFile, ${quick ? 8 : 64} MiB`, copyRate((a, b) => uring.copyFile(a, b)), copyRate((a, b) => node.copyFile(a, b)), 'MB/s', 'fs.promises.copyFile'));
fs.rmSync(dir, { recursive: true, force: true });
report('@uring/fs', results);
