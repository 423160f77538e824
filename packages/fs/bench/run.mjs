#!/usr/bin/env node
// @uring/fs benchmarks (`pnpm bench`), each interleaved with node:fs/promises in the same process,
// and Node with UV_USE_IO_URING=1 (libuv's own io_uring, opt-in since the CVE-2024-22017 fix) as a
// third column, measured in a child process because libuv reads the variable once at start-up.
// writeFile is also measured against a C program making the same system calls synchronously
// (bench/writefiles.c), the scale for its target; appends against a C program on a ring
// (bench/appends.c), the most a ring allows here. Flags: --json, --quick.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as node from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import uring from '@uring/fs';
import { argv, cProgram, compare, fmt, log, median, quick, randomOffsets, report, reps, seconds, timedAsync } from '../../../scripts/bench-harness.mjs';

/** In the child: measure only Node's side of each case and print the medians as JSON. */
const baselineOnly = argv.has('--baseline-only');

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

const outDir = join(dir, 'out');
fs.mkdirSync(outDir);
let w = 0;
const small = Buffer.alloc(4096, 1);

// Random 4 KiB reads from a file in the page cache, through an open FileHandle.
const blockFile = join(dir, 'blocks');
const blockFileSize = (quick ? 16 : 64) << 20;
fs.writeFileSync(blockFile, Buffer.alloc(blockFileSize, 7));
fs.readFileSync(blockFile);
const blocks = blockFileSize / 4096;
const randomBlock = randomOffsets(blocks, 12345);
const openHandles = []; // closed at the end, not left to the garbage collector
const randomReads = (open) => {
  let handle;
  return async () => {
    if (!handle) openHandles.push((handle = await open(blockFile, 'r')));
    const buffers = Array.from({ length: 32 }, () => Buffer.alloc(4096));
    return timedAsync((k) => handle.read(buffers[k], 0, 4096, randomBlock()), 32);
  };
};

// 4 KiB appends, fdatasync after every 100 (bench/appends.c does the same in C).
const appends = (open, name) => async () => {
  const path = join(dir, `append-${name}-${w++}`);
  const handle = await open(path, 'a');
  let n = 0;
  const rate = await timedAsync(async () => {
    await handle.write(small);
    if (++n % 100 === 0) await handle.datasync();
  });
  await handle.close();
  fs.rmSync(path);
  return rate;
};

const bigFile = join(dir, 'big');
fs.writeFileSync(bigFile, Buffer.alloc((quick ? 8 : 64) << 20, 5));
fs.readFileSync(bigFile);
// Copies of the big file to new names, one at a time for the rep's seconds; only the copies are
// timed (each destination is removed between them, untimed).
const copyRate = (copy) => async () => {
  const size = fs.statSync(bigFile).size;
  let copying = 0;
  let copies = 0;
  const end = performance.now() + seconds * 1000;
  do {
    const dst = join(dir, `copy-${w++}`);
    const start = performance.now();
    await copy(bigFile, dst);
    copying += performance.now() - start;
    copies++;
    fs.rmSync(dst);
  } while (performance.now() < end);
  return (copies * size) / (1 << 20) / (copying / 1000);
};

// 4 KiB files copied to new names in a new directory, 16 in flight (as a build copying assets);
// the directory is removed after the rep, untimed.
const smallFile = join(dir, 'small');
fs.writeFileSync(smallFile, small);
const smallCopies = (copy) => async () => {
  const into = fs.mkdtempSync(join(dir, 'copies-'));
  let k = 0;
  const rate = await timedAsync(() => copy(smallFile, join(into, `c${k++}`)), 16);
  fs.rmSync(into, { recursive: true });
  return rate;
};

// 10 MB files read whole one after another: the buffers V8 frees together must not come back
// from the kernel as fresh pages for each read (file-buffer.ts). glibc's thresholds are the
// process's, so what ours raises serves Node's side of the row too.
const tenMb = join(dir, 'ten-mb');
fs.writeFileSync(tenMb, Buffer.alloc(10_000_000, 3));
fs.readFileSync(tenMb);

const ourWriteFiles = () => timedAsync(() => uring.writeFile(join(outDir, `u${w++ % count}`), small), 64);
const cases = [
  { name: 'FileHandle.read, random 4 KiB, 32 in flight', unit: 'reads/s', ours: randomReads(uring.open), theirs: randomReads(node.open) },
  { name: 'readFile, 1–16 KiB files, 64 in flight', unit: 'files/s', ours: () => timedAsync(() => uring.readFile(next()), 64), theirs: () => timedAsync(() => node.readFile(next()), 64) },
  { name: 'readFile, 10 MB files one after another', unit: 'files/s', ours: () => timedAsync(() => uring.readFile(tenMb)), theirs: () => timedAsync(() => node.readFile(tenMb)) },
  { name: 'stat, 64 in flight', unit: 'ops/s', ours: () => timedAsync(() => uring.stat(next()), 64), theirs: () => timedAsync(() => node.stat(next()), 64) },
  { name: '4 KiB appends, datasync every 100', unit: 'writes/s', ours: appends(uring.open, 'u'), theirs: appends(node.open, 'n') },
  { name: 'writeFile, 4 KiB files, 64 in flight', unit: 'files/s', ours: ourWriteFiles, theirs: () => timedAsync(() => node.writeFile(join(outDir, `n${w++ % count}`), small), 64) },
  { name: 'copyFile, 4 KiB files to new names, 16 in flight', unit: 'files/s', ours: smallCopies((a, b) => uring.copyFile(a, b)), theirs: smallCopies((a, b) => node.copyFile(a, b)) },
  { name: `copyFile, ${quick ? 8 : 64} MiB`, unit: 'MB/s', ours: copyRate((a, b) => uring.copyFile(a, b)), theirs: copyRate((a, b) => node.copyFile(a, b)) },
];

if (baselineOnly) {
  const medians = {};
  for (const c of cases) {
    await c.theirs();
    const rates = [];
    for (let r = 0; r < reps; r++) rates.push(await c.theirs());
    medians[c.name] = median(rates);
  }
  await Promise.all(openHandles.map((h) => h.close()));
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify(medians));
  process.exit(0);
}

log(`@uring/fs benchmarks — Node ${process.version}, ${reps} interleaved reps, medians, ${count} files\n`);
const results = [];
for (const c of cases) results.push(await compare(c.name, c.ours, c.theirs, c.unit, 'fs.promises'));
// The system calls our writeFile puts on the ring, from C, one file at a time
// (bench/writefiles.c 'cut'): what they cost here without JavaScript — the scale for the target.
const writefiles = cProgram(fileURLToPath(new URL('./writefiles.c', import.meta.url)));
const cWrites = () => Number(spawnSync(writefiles, [outDir, String(seconds), String(count), 'cut'], { encoding: 'utf8' }).stdout);
results.push(
  await compare('writeFile, 4 KiB files, 64 in flight, vs C', ourWriteFiles, cWrites, 'files/s', 'C, synchronous open/write/ftruncate/close'),
);
// The appends on a ring from C, each write submitted and waited for in one io_uring_enter: on a
// filesystem without NOWAIT buffered writes (ext4) every one goes through an io-wq worker, and
// this is what that handoff allows without JavaScript or an event loop.
const cAppendsProgram = cProgram(fileURLToPath(new URL('./appends.c', import.meta.url)));
const cAppends = () => {
  const path = join(dir, `append-c-${w++}`);
  const rate = Number(spawnSync(cAppendsProgram, [path, String(seconds), 'ring'], { encoding: 'utf8' }).stdout);
  fs.rmSync(path, { force: true });
  return rate;
};
results.push(await compare('4 KiB appends, datasync every 100, vs C', appends(uring.open, 'u'), cAppends, 'writes/s', 'C on a ring, one io_uring_enter per write'));
await Promise.all(openHandles.map((h) => h.close()));
fs.rmSync(dir, { recursive: true, force: true });

// Third column: Node's own io_uring (libuv), which Node 20 turns on only with UV_USE_IO_URING=1.
const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--baseline-only', ...(quick ? ['--quick'] : [])], {
  env: { ...process.env, UV_USE_IO_URING: '1' },
  encoding: 'utf8',
});
if (child.status === 0) {
  const uv = JSON.parse(child.stdout.trim().split('\n').at(-1));
  log('\nNode with UV_USE_IO_URING=1 (separate process, not interleaved):');
  for (const r of results) {
    if (uv[r.name] === undefined) continue; // the C baseline row
    r.uvIoUring = uv[r.name];
    r.ratioVsUvIoUring = r.ours / r.uvIoUring;
    log(`${r.name.padEnd(44)} ${fmt(r.uvIoUring).padStart(12)} ${r.unit}   @uring/fs ratio ${r.ratioVsUvIoUring.toFixed(2)}`);
  }
} else log(`\nUV_USE_IO_URING=1 run failed: ${child.stderr.trim().split('\n').at(-1)}`);
report('@uring/fs', results);
