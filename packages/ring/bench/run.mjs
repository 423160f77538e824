#!/usr/bin/env node
// @uring/ring benchmarks (`pnpm bench`). Each figure is compared with its baseline measured in the
// same process, rep by rep, interleaved; the report gives the median ratio and the spread.
//   1. NOP throughput, batches of 64, vs a C program making the same raw syscalls.
//   2. Random 4 KiB reads from a page-cached 256 MiB file at queue depth 32, vs fs.readSync; and
//      the same reads from a C program on the same ring (bench/reads.c), plain and with a registered
//      file and buffers, vs fs.readSync too: the ratio this machine allows without JavaScript.
// Flags: --json (machine-readable), --quick (short runs, small file: for smoke tests).
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { alignedBuffer, addressOf } from '@uring/abi';
import { CqeBatch, IoUring } from '@uring/ring';
import { cProgram, cReads, compare, json, log, quick, randomOffsets, report, reps, seconds, timed } from '../../../scripts/bench-harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));

// ---- 1. NOPs ------------------------------------------------------------------------------------
function nopBench() {
  const ring = IoUring.init(64);
  const batch = new CqeBatch(64);
  const { sqes } = ring;
  const run = () =>
    timed(() => {
      for (let k = 0; k < 1000; k++) {
        for (let j = 0; j < 64; j++) {
          const i = ring.getSqe();
          sqes.prepNop(i);
          sqes.setUserData(i, j);
        }
        ring.submitAndWait(64);
        ring.copyCqes(batch);
      }
      return 64_000;
    });
  return { run, close: () => ring.close() };
}

function cBaseline() {
  const program = cProgram(join(here, 'nop.c'));
  return () => Number(execFileSync(program, [String(seconds)], { encoding: 'utf8' }));
}

// ---- 2. Random 4 KiB reads ----------------------------------------------------------------------
function makeFile(size) {
  const dir = mkdtempSync(join(tmpdir(), 'uring-bench-'));
  const path = join(dir, 'data');
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(1 << 20);
  for (let off = 0; off < size; off += chunk.length) {
    chunk.fill(off & 0xff);
    writeSync(fd, chunk);
  }
  closeSync(fd);
  const rfd = openSync(path, 'r');
  for (let off = 0; off < size; off += chunk.length) readSync(rfd, chunk, 0, chunk.length, off); // into the page cache
  return { dir, path, fd: rfd, blocks: size / 4096 };
}

function ringReads(fd, blocks, { fixed = false, buffers = false, depth = 32 } = {}) {
  const ring = IoUring.init(64);
  // A registered file skips the kernel's per-op fget/fput (IOSQE_FIXED_FILE, 5.1).
  if (fixed) ring.registerFiles([fd]);
  const target = fixed ? 0 : fd;
  const batch = new CqeBatch(64);
  const pool = alignedBuffer(depth * 4096);
  // A registered buffer is pinned once, not per read (IORING_OP_READ_FIXED, 5.1).
  if (buffers) ring.registerBuffers([pool]);
  const base = addressOf(pool); // once, never per op
  const { sqes } = ring;
  const next = randomOffsets(blocks, 12345);
  const prep = (i, slot) => {
    if (buffers) sqes.prepReadFixed(i, target, base + slot * 4096, 4096, next(), 0);
    else sqes.prepRead(i, target, base + slot * 4096, 4096, next());
    if (fixed) sqes.fixedFile(i);
    sqes.setUserData(i, slot);
  };
  const run = () => {
    for (let s = 0; s < depth; s++) prep(ring.getSqe(), s);
    const rate = timed(() => {
      ring.submitAndWait(1);
      const n = ring.copyCqes(batch);
      for (let k = 0; k < n; k++) {
        if (batch.res(k) !== 4096) throw new Error(`read returned ${batch.res(k)}`);
        prep(ring.getSqe(), batch.userDataLo(k));
      }
      return n;
    });
    ring.submitAndWait(depth); // drain the reads still in flight
    ring.copyCqes(batch);
    return rate;
  };
  return { run, close: () => ring.close() };
}

function syncReads(fd, blocks) {
  const buf = Buffer.alloc(4096);
  const next = randomOffsets(blocks, 54321);
  return () =>
    timed(() => {
      for (let k = 0; k < 256; k++) readSync(fd, buf, 0, 4096, next());
      return 256;
    });
}

log(`@uring/ring benchmarks — Node ${process.version}, ${reps} interleaved reps of ${seconds}s, medians\n`);
const results = [];
const nop = nopBench();
results.push(await compare('NOP, batches of 64 (TS vs C)', nop.run, cBaseline(), 'ops/s', 'C raw syscalls'));
nop.close();
const file = makeFile(quick ? 16 << 20 : 256 << 20);
for (const [fixed, buffers] of [[false, false], [true, false], [true, true]]) {
  const reads = ringReads(file.fd, file.blocks, { fixed, buffers });
  const name = `random 4 KiB reads, QD32${buffers ? ', registered file+buffers' : fixed ? ', registered fd' : ''}`;
  results.push(await compare(name, reads.run, syncReads(file.fd, file.blocks), 'ops/s', 'fs.readSync'));
  reads.close();
}
results.push(await compare('random 4 KiB reads, QD32, C on the same ring', cReads(file.path, 'ring'), syncReads(file.fd, file.blocks), 'ops/s', 'fs.readSync'));
results.push(await compare('random 4 KiB reads, QD32, C, registered file+buffers', cReads(file.path, 'fixed'), syncReads(file.fd, file.blocks), 'ops/s', 'fs.readSync'));
closeSync(file.fd);
rmSync(file.dir, { recursive: true, force: true });
report('@uring/ring', results);
