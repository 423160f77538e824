#!/usr/bin/env node
// @uring/loop benchmarks (`pnpm bench`), each interleaved with its baseline in the same process:
//   1. Promise-level random 4 KiB reads from a page-cached file, 32 in flight, vs fs.promises
//      FileHandle.read — for a ring with no setup flags and the COOP_TASKRUN (the loop's default) / DEFER_TASKRUN variants;
//      the same reads from a C program on a ring (packages/ring/bench/reads.c) vs fs.promises — the
//      ratio this machine allows — and the default loop against that C program (its share of it)
//      and against that program's time plus the promise floor (a promise per read with no I/O at
//      all): the most any API that gives each read its own promise can reach here.
//   2. NOP round trips through promises (32 in flight).
//   3. Latency of one 4 KiB read at queue depth 1: p50 and p99, next to fs.promises.
//   4. How soon the eventfd says a poll-driven completion (a pipe written) is there, from C
//      (bench/defer-wake.c): the default COOP_TASKRUN ring against a DEFER_TASKRUN one.
//   5. 4 KiB appends at queue depth 1 (one write awaited at a time) vs fs.promises, on the default
//      loop and on an SQPOLL loop (opt-in): ext4 hands every buffered write to an io-wq thread,
//      and waking a thread on an idle vCPU costs tens of µs here — a polling kernel thread keeps
//      the other vCPU awake, at the price of that CPU.
// Flags: --json, --quick.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SetupFlag, alignedBuffer } from '@uring/abi';
import { Loop } from '@uring/loop';
import { cProgram, cReads, compare, fmt, log, quick, randomOffsets, report, reps, seconds, timedAsync } from '../../../scripts/bench-harness.mjs';

const size = quick ? 16 << 20 : 256 << 20;
const dir = mkdtempSync(join(tmpdir(), 'uring-loop-bench-'));
const path = join(dir, 'data');
{
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(1 << 20, 1);
  for (let off = 0; off < size; off += chunk.length) writeSync(fd, chunk);
  closeSync(fd);
  const r = openSync(path, 'r');
  for (let off = 0; off < size; off += chunk.length) readSync(r, chunk, 0, chunk.length, off); // page cache
  closeSync(r);
}
const blocks = size / 4096;
const depth = 32;
const random = (seed) => randomOffsets(blocks, seed);

log(`@uring/loop benchmarks — Node ${process.version}, ${reps} interleaved reps of ${seconds}s, medians\n`);
const results = [];
const fd = openSync(path, 'r');
const handle = await open(path, 'r');
const nodeBuffers = Array.from({ length: depth }, () => Buffer.alloc(4096));
const nodeNext = random(7);
const nodeReads = () => timedAsync((w) => handle.read(nodeBuffers[w], 0, 4096, nodeNext()), depth);

const configs = [
  ['no setup flags', 0, false],
  ['COOP_TASKRUN (the default)', SetupFlag.COOP_TASKRUN | SetupFlag.TASKRUN_FLAG, false],
  ['SINGLE_ISSUER+DEFER_TASKRUN ring', SetupFlag.SINGLE_ISSUER | SetupFlag.DEFER_TASKRUN, false],
  ['no setup flags, registered file', 0, true],
];
for (const [name, flags, registered] of configs) {
  const loop = new Loop({ flags });
  const target = registered ? loop.registerFile(fd) : fd;
  const pool = alignedBuffer(depth * 4096);
  const views = Array.from({ length: depth }, (_, w) => pool.subarray(w * 4096, (w + 1) * 4096));
  const next = random(3);
  results.push(
    await compare(`4 KiB random reads, QD32, ${name}`, () => timedAsync((w) => loop.read(target, views[w], 0, 4096, next()), depth), nodeReads, 'ops/s', 'fs.promises'),
  );
  await loop.close();
}

results.push(await compare('4 KiB random reads, QD32, C on a ring', cReads(path, 'ring'), nodeReads, 'ops/s', 'fs.promises'));
{
  const loop = new Loop();
  const pool = alignedBuffer(depth * 4096);
  const views = Array.from({ length: depth }, (_, w) => pool.subarray(w * 4096, (w + 1) * 4096));
  const next = random(5);
  const loopReads = () => timedAsync((w) => loop.read(fd, views[w], 0, 4096, next()), depth);
  results.push(await compare('4 KiB random reads, QD32, default loop vs C', loopReads, cReads(path, 'ring'), 'ops/s', 'C on a ring'));
  // The most any API that gives each read its own promise can reach: C's time per read plus the
  // promise floor's, measured rep by rep.
  const c = cReads(path, 'ring');
  const bound = async () => 1 / (1 / (await c()) + 1 / (await promiseFloor()));
  results.push(await compare('4 KiB random reads, QD32, default loop vs C + promise floor', loopReads, bound, 'ops/s', 'C on a ring + the promise floor'));
  await loop.close();
}

/**
 * The promise floor: what 32 workers awaiting a promise per operation cost with no ring and no
 * I/O — each promise made as the loop makes an operation's (`new Promise`, then the caller-stack
 * `.then`), all resolved with a `{ bytesRead, buffer }` result by one microtask per batch. Ops/s.
 */
function promiseFloor() {
  let pending = [];
  let queued = false;
  const settle = () => {
    queued = false;
    const batch = pending;
    pending = [];
    for (const resolve of batch) resolve({ bytesRead: 4096, buffer: undefined });
  };
  const rethrow = (error) => {
    throw error;
  };
  const op = () => {
    const promise = new Promise((resolve) => pending.push(resolve));
    if (!queued) {
      queued = true;
      queueMicrotask(settle);
    }
    return promise.then(undefined, rethrow);
  };
  return timedAsync(op, depth);
}

{
  const loop = new Loop();
  const rates = [];
  for (let r = 0; r < reps; r++) rates.push(await timedAsync(() => loop.nop(), depth));
  rates.sort((a, b) => a - b);
  const nops = { name: 'NOP round trips through promises, 32 in flight', unit: 'ops/s', ours: rates[rates.length >> 1], reps };
  log(`${nops.name.padEnd(44)} ${fmt(nops.ours).padStart(12)} ops/s`);
  results.push(nops);
  await loop.close();
}

{
  const loop = new Loop();
  const buf = alignedBuffer(4096);
  const nodeBuf = Buffer.alloc(4096);
  const next = random(11);
  const samples = quick ? 500 : 5000;
  const ours = [];
  const theirs = [];
  for (let k = 0; k < samples; k++) {
    let t = process.hrtime.bigint();
    await loop.read(fd, buf, 0, 4096, next());
    ours.push(Number(process.hrtime.bigint() - t) / 1000);
    t = process.hrtime.bigint();
    await handle.read(nodeBuf, 0, 4096, next());
    theirs.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)];
  const latency = {
    name: 'one 4 KiB read at queue depth 1 (µs)',
    unit: 'µs',
    ours: { p50: pct(ours, 0.5), p99: pct(ours, 0.99) },
    theirs: { p50: pct(theirs, 0.5), p99: pct(theirs, 0.99) },
    baseline: 'fs.promises',
    samples,
  };
  log(`${latency.name.padEnd(44)} p50 ${latency.ours.p50.toFixed(1)} p99 ${latency.ours.p99.toFixed(1)}   fs.promises: p50 ${latency.theirs.p50.toFixed(1)} p99 ${latency.theirs.p99.toFixed(1)}`);
  results.push(latency);
  await loop.close();
}

{
  // What wakes the loop for a socket, a pipe or a poll: the eventfd, signalled by the kernel. C,
  // so only the kernel is measured (bench/defer-wake.c): the default ring's signal against a
  // DEFER_TASKRUN ring's, which came an RCU grace period late here.
  const [coopP50, coopP99, deferP50, deferP99] = execFileSync(cProgram(fileURLToPath(new URL('./defer-wake.c', import.meta.url))), [String(quick ? 10 : 40)], { encoding: 'utf8' })
    .trim()
    .split(' ')
    .map(Number);
  // Printed, not a figure: neither side is Node, and a ratio in the thousands would squash the chart.
  if (deferP50 >= 0) {
    log(`${'eventfd wake-up after a pipe write, C (µs)'.padEnd(44)} COOP_TASKRUN p50 ${coopP50.toFixed(1)} p99 ${coopP99.toFixed(1)}   DEFER_TASKRUN: p50 ${deferP50.toFixed(1)} p99 ${deferP99.toFixed(1)}`);
  } else log('eventfd wake-up: no DEFER_TASKRUN on this kernel (6.1+), not measured');
}

{
  // Each rep appends to a new file, removed afterwards.
  const data = Buffer.alloc(4096, 3);
  let files = 0;
  const nodeAppends = async () => {
    const path = join(dir, `append-${files++}`);
    const h = await open(path, 'a');
    const rate = await timedAsync(() => h.write(data));
    await h.close();
    rmSync(path);
    return rate;
  };
  for (const [name, options] of [['default loop', {}], ['SQPOLL loop (opt-in)', { sqpollIdle: 10 }]]) {
    const loop = new Loop(options);
    const appends = async () => {
      const path = join(dir, `append-${files++}`);
      const target = openSync(path, 'a');
      const rate = await timedAsync(() => loop.write(target, data, 0, data.length, -1));
      closeSync(target);
      rmSync(path);
      return rate;
    };
    results.push(await compare(`4 KiB appends at QD1, ${name}`, appends, nodeAppends, 'writes/s', 'fs.promises'));
    await loop.close();
  }
}

await handle.close();
closeSync(fd);
rmSync(dir, { recursive: true, force: true });
report('@uring/loop', results);
