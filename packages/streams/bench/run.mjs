#!/usr/bin/env node
// @uring/streams benchmarks (`pnpm bench`), each interleaved with its baseline in the same process:
//   1. Copy a 512 MiB file with pipeline(createReadStream, createWriteStream), over and over for a
//      second: vs Node's streams, and vs fs.promises.copyFile.
//   2. Serve a 64 MiB file to a loopback socket, over and over for a second: vs
//      fs.createReadStream().pipe(socket).
//   3. Read files through 'data' events (no splice: the bytes reach JavaScript), a new stream
//      each: a 16 KiB and a 1 MiB file (files/s), and the 64 MiB file (MB/s), vs fs.createReadStream.
// Each copy's destination is unlinked right after, so its dirty pages are dropped, not written
// back (writeback would turn later reps into a disk benchmark). Flags: --json, --quick.
import * as fs from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { once } from 'node:events';
import { connect } from 'node:net';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline as nodePipeline } from 'node:stream/promises';
import { createReadStream, createWriteStream, pipeline } from '@uring/streams';
import { compare, log, quick, report, reps, seconds } from '../../../scripts/bench-harness.mjs';

const MiB = 1 << 20;
const copySize = (quick ? 32 : 512) * MiB;
const serveSize = (quick ? 16 : 64) * MiB;
const dir = fs.mkdtempSync(join(tmpdir(), 'uring-streams-bench-'));
function makeFile(name, size) {
  const path = join(dir, name);
  const fd = fs.openSync(path, 'w');
  const chunk = Buffer.alloc(MiB, 7);
  for (let off = 0; off < size; off += MiB) fs.writeSync(fd, chunk, 0, Math.min(MiB, size - off));
  fs.closeSync(fd);
  fs.readFileSync(path); // into the page cache
  return path;
}
const src = makeFile('src', copySize);
const served = makeFile('served', serveSize);
let k = 0;

/**
 * MB/s of `transfer()` (which moves `size` bytes and returns the milliseconds it spent on them),
 * run again and again until `seconds` of it are timed: one transfer takes ~0.1 s, and timed alone
 * the per-rep ratios spread 0.43–2.22 in one full run.
 */
async function repeated(transfer, size) {
  let bytes = 0;
  let busy = 0;
  do {
    busy += await transfer();
    bytes += size;
  } while (busy < seconds * 1000);
  return bytes / MiB / (busy / 1000);
}

/** MB/s of `copy(dst)`, repeated; each destination removed, untimed, after it. */
function mbps(copy, size) {
  return repeated(async () => {
    const dst = join(dir, `dst-${k++}`);
    const start = performance.now();
    await copy(dst);
    const ms = performance.now() - start;
    fs.rmSync(dst, { force: true });
    return ms;
  }, size);
}

log(`@uring/streams benchmarks — Node ${process.version}, ${reps} interleaved reps, medians (${copySize / MiB} MiB copy, ${serveSize / MiB} MiB served)\n`);
const results = [];
const ours = () => mbps((dst) => pipeline(createReadStream(src), createWriteStream(dst)), copySize);
results.push(await compare('copy: pipeline(read, write)', ours, () => mbps((dst) => nodePipeline(fs.createReadStream(src), fs.createWriteStream(dst)), copySize), 'MB/s', "Node's streams"));
results.push(await compare('copy: pipeline(read, write) vs copyFile', ours, () => mbps((dst) => copyFile(src, dst), copySize), 'MB/s', 'fs.promises.copyFile'));

/** Files/s of reading `path` through 'data' events with a new stream from `make` each time, for a second. */
async function filesPerSecond(make, path) {
  let files = 0;
  const start = performance.now();
  do {
    await new Promise((resolve, reject) => make(path).on('data', () => {}).on('end', resolve).on('error', reject));
    files++;
  } while (performance.now() - start < seconds * 1000);
  return files / ((performance.now() - start) / 1000);
}
const small = makeFile('small', 16 * 1024);
const medium = makeFile('medium', MiB);
results.push(await compare('read a 16 KiB file through data events, a stream each', () => filesPerSecond(createReadStream, small), () => filesPerSecond(fs.createReadStream, small), 'files/s', 'fs.createReadStream'));
results.push(await compare('read a 1 MiB file through data events, a stream each', () => filesPerSecond(createReadStream, medium), () => filesPerSecond(fs.createReadStream, medium), 'files/s', 'fs.createReadStream'));
const readAll = (make) => repeated(async () => {
  const start = performance.now();
  await new Promise((resolve, reject) => make(served).on('data', () => {}).on('end', resolve).on('error', reject));
  return performance.now() - start;
}, serveSize);
results.push(await compare(`read a ${serveSize / MiB} MiB file through data events`, () => readAll(createReadStream), () => readAll(fs.createReadStream), 'MB/s', 'fs.createReadStream'));

// The receiver runs in its own process (one core each), so the figure is the sender's.
const receiver = spawn(process.execPath, ['-e', `
  const net = require('node:net');
  const size = ${serveSize};
  const server = net.createServer((socket) => {
    let got = 0;
    socket.on('data', (c) => { got += c.length; if (got >= size) socket.end(); });
  });
  server.listen(0, '127.0.0.1', () => console.log(server.address().port));
  process.stdin.on('end', () => server.close()).resume();
`], { stdio: ['pipe', 'pipe', 'inherit'] });
const [line] = await once(receiver.stdout, 'data');
const port = Number(String(line).trim());
/** MB/s of serving the file over a new connection each time, repeated (the connect untimed). */
function serve(send) {
  return repeated(async () => {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const start = performance.now();
    const closed = once(socket, 'close');
    await send(socket);
    await closed;
    return performance.now() - start;
  }, serveSize);
}
results.push(
  await compare(
    'serve a file to a loopback socket',
    () => serve((socket) => pipeline(createReadStream(served), socket)),
    () => serve((socket) => new Promise((resolve, reject) => fs.createReadStream(served).on('error', reject).pipe(socket).on('finish', resolve))),
    'MB/s',
    'createReadStream().pipe(socket)',
  ),
);
receiver.stdin.end();
fs.rmSync(dir, { recursive: true, force: true });
void seconds;
report('@uring/streams', results);
