#!/usr/bin/env node
// @uring/net benchmarks (`pnpm bench`). The server under test runs in its own process — @uring/net's
// and node:net's, interleaved rep by rep — and reports its CPU time; the load comes from this one:
//   1. echo ping-pong, 64 B messages over 64 connections, load from a node:net client: round
//      trips/s and the server's CPU time per round trip — its system (kernel) part too, and that
//      part alone against node:net's whole: the floor no user-space change can go below;
//   2. the same with the load from a client built on @uring/net;
//   3. one connection streaming 64 KiB writes to a sink server, writer and sink on the same
//      implementation: MB/s, and the writer's (this process) and the sink's CPU per MB and floors,
//      and the sink's page faults per MB;
//   4. node:http hello world (over @uring/net sockets vs node:net) under autocannon, 64 connections:
//      requests/s, server CPU per request and its floor, and autocannon's CPU load (it runs in this
//      process: near 1 CPU, the client sets the pace, whatever the server); then under wrk (C,
//      Debian's package; skipped, saying so, where it is not installed), which costs far less per
//      request, so the server sets the pace — and with a connection per request (`Connection:
//      close`, 16 at a time): accept, socket and close costs;
//   5. a client making connections one after another to a node:net echo server (connect, write,
//      end, read to the end): connections/s and the client's CPU per connection — the client
//      is @uring/net's or node:net's, in this process, the server the same for both;
//   6. send_zc against send for 64 KiB and 1 MiB writes (bench/send-zc.mjs, in a child process);
//   7. the echo of 1. against a server in C on the same ring operations (bench/echo.c) instead of
//      @uring/net's: what a server can cost per round trip here without JavaScript; and against
//      one in C on epoll, read(2) and write(2) (bench/echo-epoll.c), as libuv serves node:net:
//      the floor under node:net's own;
//   8. the echo of 1. with @uring/net's loop on a SINGLE_ISSUER+DEFER_TASKRUN ring: the kernel
//      queues a socket's readiness as deferred task work there, and the eventfd that wakes the
//      loop was signalled an RCU grace period late (~15 ms on 6.18; C shows the same) — why the
//      default ring is COOP_TASKRUN.
// Flags: --json, --quick.
import { fork, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import * as nodeNet from 'node:net';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { SetupFlag } from '@uring/abi';
import { Loop } from '@uring/loop';
import uringNet from '@uring/net';
import { cProgram, fmt, log, median, report, reps, seconds } from '../../../scripts/bench-harness.mjs';

const CONNECTIONS = 64;
const MESSAGE = Buffer.alloc(64, 7);
const CHUNK = Buffer.alloc(64 * 1024, 9);
const clients = { uring: uringNet, node: nodeNet };

async function startServer(kind, mode) {
  if (kind === 'c') return startCServer('./echo.c');
  if (kind === 'c-epoll') return startCServer('./echo-epoll.c');
  // 'defer': @uring/net on a SINGLE_ISSUER+DEFER_TASKRUN loop instead of the default ring.
  const args = kind === 'defer' ? ['uring', mode, String(SetupFlag.SINGLE_ISSUER | SetupFlag.DEFER_TASKRUN)] : [kind, mode];
  const child = fork(fileURLToPath(new URL('./server.mjs', import.meta.url)), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [{ port }] = await once(child, 'message');
  const cpu = async () => {
    child.send('cpu');
    const [{ cpu, faults }] = await once(child, 'message');
    return { user: cpu.user / 1e6, system: cpu.system / 1e6, faults };
  };
  return { child, port, cpu, stop: () => child.send('exit') };
}

/** A C echo server (bench/echo.c, bench/echo-epoll.c): its port on its first line; each line we send makes it print its user and system CPU time in µs. */
async function startCServer(source) {
  const child = spawn(cProgram(fileURLToPath(new URL(source, import.meta.url))), [], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdout.setEncoding('utf8');
  const lines = child.stdout[Symbol.asyncIterator]();
  const nextLine = async () => (await lines.next()).value.trim().split(' ').map(Number);
  const [port] = await nextLine();
  const cpu = async () => {
    child.stdin.write('cpu\n');
    const [user, system] = await nextLine();
    return { user: user / 1e6, system: system / 1e6 };
  };
  return { child, port, cpu, stop: () => child.stdin.end() };
}

/** `CONNECTIONS` clients of `net`, each sending a message and waiting for its echo, for `seconds`. */
async function pingPong(port, net) {
  const sockets = await Promise.all(Array.from({ length: CONNECTIONS }, () => new Promise((resolve) => { const s = net.connect(port, '127.0.0.1', () => resolve(s)); s.setNoDelay(true); })));
  let trips = 0;
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(
    sockets.map(
      (s) =>
        new Promise((resolve) => {
          let got = 0;
          s.on('data', (chunk) => {
            got += chunk.length;
            while (got >= MESSAGE.length) {
              got -= MESSAGE.length;
              trips++;
              if (performance.now() >= end) return resolve();
              s.write(MESSAGE);
            }
          });
          s.write(MESSAGE);
        }),
    ),
  );
  const elapsed = (performance.now() - start) / 1000;
  sockets.forEach((s) => s.destroy());
  return { ops: trips, elapsed };
}

/** One connection of `net` writing 64 KiB chunks as fast as the socket takes them, for `seconds`: MB written. */
async function stream(port, net) {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  let bytes = 0;
  while (performance.now() < end) {
    for (let k = 0; k < 16; k++) {
      bytes += CHUNK.length;
      if (!socket.write(CHUNK)) await once(socket, 'drain');
    }
  }
  await new Promise((resolve) => socket.end(resolve));
  const elapsed = (performance.now() - start) / 1000;
  socket.destroy();
  return { ops: bytes / 1e6, elapsed };
}

/** Connections of `net` made one after another for `seconds`: connect, write, end, read the echo to the end, closed. */
async function connectLoop(port, net) {
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  let made = 0;
  while (performance.now() < end) {
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.end(MESSAGE);
    socket.resume();
    await once(socket, 'close');
    made++;
  }
  return { ops: made, elapsed: (performance.now() - start) / 1000 };
}

/** Why wrk cannot be run here (not installed: it is Debian's `wrk` package), or undefined when it can. */
function noWrk() {
  const probe = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  return probe.error ? `wrk not found (${probe.error.code}; Debian: apt-get install wrk)` : undefined;
}

/**
 * wrk (C, epoll; one thread, 64 connections) against the server for `seconds`: requests. A
 * client that costs far less per request than the server: the server, not the client, sets the
 * pace. `perConnection`: 16 connections, each request on a new one (`Connection: close`) — accept,
 * a socket, its end and close per request.
 */
async function wrk(port, perConnection = false) {
  const duration = Math.max(1, Math.round(seconds));
  const args = perConnection ? ['-c', '16', '-H', 'Connection: close'] : ['-c', String(CONNECTIONS)];
  const child = spawn('wrk', ['-t', '1', ...args, '-d', `${duration}s`, `http://127.0.0.1:${port}/`], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const [code] = await once(child, 'exit');
  const done = /(\d+) requests in ([\d.]+)(m?s)/.exec(out);
  if (code !== 0 || !done) throw new Error(`wrk failed (exit ${code}): ${out}`);
  if (/Non-2xx/.test(out)) throw new Error(`wrk saw failed responses: ${out}`);
  return { ops: Number(done[1]), elapsed: Number(done[2]) / (done[3] === 'ms' ? 1000 : 1) };
}

/** autocannon against the server for `seconds`: requests. */
async function http(port) {
  const result = await autocannon({ url: `http://127.0.0.1:${port}/`, connections: CONNECTIONS, duration: Math.max(1, Math.round(seconds)), pipelining: 1 });
  return { ops: result.requests.total, elapsed: result.duration };
}

/** Runs `load` against the uring and node servers of `mode`, interleaved; returns the per-rep rates and CPU per op. */
async function compareServers(mode, load, ours = 'uring') {
  const servers = { [ours]: await startServer(ours, mode), node: await startServer('node', mode) };
  // The server's CPU (user and system), and this process's — the client's — over the run.
  const measure = async (kind) => {
    const server = servers[kind];
    const before = await server.cpu();
    const clientBefore = process.cpuUsage();
    const start = performance.now();
    const { ops, elapsed } = await load(server.port, kind);
    const wall = (performance.now() - start) / 1000;
    const client = process.cpuUsage(clientBefore);
    const after = await server.cpu();
    const user = after.user - before.user;
    const system = after.system - before.system;
    const faults = after.faults - before.faults; // NaN for the C server, which does not count them
    const clientCpu = (client.user + client.system) / 1e6;
    return { rate: ops / elapsed, cpuPerOp: (user + system) / ops, systemPerOp: system / ops, faultsPerOp: faults / ops, serverLoad: (user + system) / wall, clientPerOp: clientCpu / ops, clientSystemPerOp: client.system / 1e6 / ops, clientLoad: clientCpu / wall };
  };
  await measure(ours);
  await measure('node');
  const a = [];
  const b = [];
  for (let r = 0; r < reps; r++) {
    a.push(await measure(ours));
    b.push(await measure('node'));
  }
  Object.values(servers).forEach((s) => s.stop());
  return { a, b };
}

/**
 * Runs `load` with @uring/net's client and node:net's, interleaved, against one node:net server of
 * `mode`: the per-rep rates, and the client's CPU (this process) per op as `cpuPerOp`.
 */
async function compareClients(mode, load) {
  const server = await startServer('node', mode);
  const measure = async (kind) => {
    const before = process.cpuUsage();
    const { ops, elapsed } = await load(server.port, clients[kind]);
    const cpu = process.cpuUsage(before);
    return { rate: ops / elapsed, cpuPerOp: (cpu.user + cpu.system) / 1e6 / ops, systemPerOp: cpu.system / 1e6 / ops };
  };
  await measure('uring');
  await measure('node');
  const a = [];
  const b = [];
  for (let r = 0; r < reps; r++) {
    a.push(await measure('uring'));
    b.push(await measure('node'));
  }
  server.stop();
  return { a, b };
}

/** Why a SINGLE_ISSUER+DEFER_TASKRUN ring (6.1) cannot be made here, or undefined when it can. */
function noDeferTaskrun() {
  try {
    void new Loop({ flags: SetupFlag.SINGLE_ISSUER | SetupFlag.DEFER_TASKRUN }).close();
    return undefined;
  } catch (error) {
    return error.message;
  }
}

const results = [];
/**
 * Adds the rate figure (and the CPU figure when `cpuName` is given) of a comparison, then each of
 * `extras`: { name, unit ('s' per operation, or 'CPUs'), ours(x), theirs(y) } read off the same
 * reps: a cost (lower is better), or with `diagnostic` a reading that explains a figure (a floor,
 * a load) rather than a comparison.
 */
function record({ a, b }, name, unit, cpuName, cpuUnit, label = '@uring/net', extras = []) {
  const rates = a.map((x, k) => x.rate / b[k].rate);
  const rate = { name, unit, baseline: 'node:net', ours: median(a.map((x) => x.rate)), theirs: median(b.map((x) => x.rate)), ratio: median(rates), ratioMin: Math.min(...rates), ratioMax: Math.max(...rates), reps };
  results.push(rate);
  log(`${name.padEnd(52)} ${label.padEnd(10)} ${fmt(rate.ours).padStart(9)} ${unit}   node:net ${fmt(rate.theirs).padStart(9)}   ratio ${rate.ratio.toFixed(2)} (${rate.ratioMin.toFixed(2)}–${rate.ratioMax.toFixed(2)})`);
  if (cpuName) {
    const cpus = a.map((x, k) => x.cpuPerOp / b[k].cpuPerOp);
    const cpu = { name: cpuName, unit: 's', baseline: 'node:net', lowerIsBetter: true, ours: median(a.map((x) => x.cpuPerOp)), theirs: median(b.map((x) => x.cpuPerOp)), ratio: median(cpus), ratioMin: Math.min(...cpus), ratioMax: Math.max(...cpus), reps };
    results.push(cpu);
    log(`${cpuName.padEnd(52)} ${label.padEnd(10)} ${(cpu.ours * 1e6).toFixed(2).padStart(9)} µs${' '.repeat(cpuUnit.length - 2)}   node:net ${(cpu.theirs * 1e6).toFixed(2).padStart(9)}   ratio ${cpu.ratio.toFixed(2)} (lower is better)`);
  }
  for (const extra of extras) {
    const ratios = a.map((x, k) => extra.ours(x) / extra.theirs(b[k]));
    const row = { name: extra.name, unit: extra.unit, baseline: 'node:net', ours: median(a.map(extra.ours)), theirs: median(b.map(extra.theirs)), ratio: median(ratios), ratioMin: Math.min(...ratios), ratioMax: Math.max(...ratios), reps };
    if (extra.diagnostic) row.diagnostic = true; // a reading that explains a figure, not a comparison
    else row.lowerIsBetter = true;
    results.push(row);
    const value = (v) => (extra.unit === 's' ? `${(v * 1e6).toFixed(2).padStart(9)} µs` : `${v.toFixed(2).padStart(9)} ${extra.unit}`);
    log(`${extra.name.padEnd(52)} ${label.padEnd(10)} ${value(row.ours)}   node:net ${value(row.theirs)}   ratio ${row.ratio.toFixed(2)}${row.diagnostic ? ' (a reading, not a comparison)' : row.lowerIsBetter ? ' (lower is better)' : ''}`);
  }
}

/**
 * The floor under a server's CPU per operation: its system (kernel) time alone against node:net's
 * whole CPU time — the ratio it would reach if all its user-space work (JavaScript, libuv, N-API)
 * cost nothing. Where this is above a target, no change in user space reaches it.
 */
const kernelFloor = (what) => ({ name: `${what}: system CPU alone vs node:net's total`, unit: 's', ours: (x) => x.systemPerOp, theirs: (y) => y.cpuPerOp, diagnostic: true });
const systemCpu = (what) => ({ name: `${what}: system CPU`, unit: 's', ours: (x) => x.systemPerOp, theirs: (y) => y.systemPerOp });

log(`@uring/net benchmarks — Node ${process.version}, ${reps} interleaved reps, medians; servers in their own processes\n`);
record(await compareServers('echo', (port) => pingPong(port, nodeNet)), 'echo 64 B x 64 conns (node:net client)', 'trips/s', 'server CPU per round trip (node:net client)', 'trips/s', undefined, [
  systemCpu('server per round trip (node:net client)'),
  kernelFloor('server per round trip (node:net client)'),
]);
record(await compareServers('echo', (port, kind) => pingPong(port, clients[kind])), 'echo 64 B x 64 conns (client on the same net)', 'trips/s', 'server CPU per round trip (same-net client)', 'trips/s');
record(await compareServers('sink', (port, kind) => stream(port, clients[kind])), 'one connection streaming 64 KiB writes', 'MB/s', undefined, undefined, undefined, [
  { name: 'streaming: writer (this process) CPU per MB', unit: 's', ours: (x) => x.clientPerOp, theirs: (y) => y.clientPerOp },
  { name: "streaming: writer per MB: system CPU alone vs node:net's total", unit: 's', ours: (x) => x.clientSystemPerOp, theirs: (y) => y.clientPerOp, diagnostic: true },
  { name: 'streaming: sink CPU per MB', unit: 's', ours: (x) => x.cpuPerOp, theirs: (y) => y.cpuPerOp },
  kernelFloor('streaming: sink per MB'),
  // glibc handing freed heap back and faulting it in again costs a sink ~1.8x the CPU per MB when it happens (recv-pool.ts).
  { name: 'streaming: sink minor page faults per MB', unit: 'faults', ours: (x) => x.faultsPerOp, theirs: (y) => y.faultsPerOp, diagnostic: true },
]);
record(await compareServers('http', (port) => http(port)), 'node:http hello world, autocannon, 64 conns', 'req/s', 'server CPU per request', 'req/s', undefined, [
  kernelFloor('http: server per request'),
  // autocannon runs in this process: near 1 CPU it, not the server, sets the pace.
  { name: "http: autocannon's CPU load (this process)", unit: 'CPUs', ours: (x) => x.clientLoad, theirs: (y) => y.clientLoad, diagnostic: true },
]);
const wrkMissing = noWrk();
if (wrkMissing === undefined) {
  record(await compareServers('http', (port) => wrk(port)), 'node:http hello world, wrk, 64 conns', 'req/s', 'server CPU per request (wrk)', 'req/s', undefined, [
    { name: 'http (wrk): server CPU load', unit: 'CPUs', ours: (x) => x.serverLoad, theirs: (y) => y.serverLoad, diagnostic: true },
  ]);
  record(await compareServers('http', (port) => wrk(port, true)), 'node:http hello world, a connection per request, wrk', 'req/s', 'server CPU per request (a connection each)', 'req/s');
} else log(`node:http under wrk: skipped, ${wrkMissing}`);
record(await compareClients('echo', connectLoop), 'client: connections one after another (node:net server)', 'conns/s', 'client CPU per connection', 'conns/s', undefined, [
  { name: "client per connection: system CPU alone vs node:net's total", unit: 's', ours: (x) => x.systemPerOp, theirs: (y) => y.cpuPerOp, diagnostic: true },
]);
record(
  await compareServers('echo', (port) => pingPong(port, nodeNet), 'c'),
  'echo 64 B x 64 conns, C server on the ring (node:net client)',
  'trips/s',
  'server CPU per round trip, C server on the ring',
  'trips/s',
  'C',
  [kernelFloor('C server per round trip')],
);
record(
  await compareServers('echo', (port) => pingPong(port, nodeNet), 'c-epoll'),
  'echo 64 B x 64 conns, C server on epoll (node:net client)',
  'trips/s',
  'server CPU per round trip, C server on epoll',
  'trips/s',
  'C epoll',
  [kernelFloor('C epoll server per round trip')],
);
const deferMissing = noDeferTaskrun();
if (deferMissing === undefined) {
  record(
    await compareServers('echo', (port) => pingPong(port, nodeNet), 'defer'),
    'echo 64 B x 64 conns, server loop on SINGLE_ISSUER+DEFER_TASKRUN (node:net client)',
    'trips/s',
    'server CPU per round trip, DEFER_TASKRUN loop',
    'trips/s',
    'DEFER',
  );
} else log(`echo on a DEFER_TASKRUN loop: skipped, no such ring here (6.1+): ${deferMissing}`);
// send_zc, measured in its own process (it drives the ring directly).
const zc = spawnSync(process.execPath, [fileURLToPath(new URL('./send-zc.mjs', import.meta.url)), '--json', ...process.argv.slice(2).filter((a) => a === '--quick')], { encoding: 'utf8' });
if (zc.status !== 0) throw new Error(`send-zc.mjs failed: ${zc.stderr}`);
for (const r of JSON.parse(zc.stdout).results) {
  results.push(r);
  log(`${r.name.padEnd(52)} send_zc    ${fmt(r.ours).padStart(9)} MB/s      send     ${fmt(r.theirs).padStart(9)}   ratio ${r.ratio.toFixed(2)} (${r.ratioMin.toFixed(2)}–${r.ratioMax.toFixed(2)})`);
}
report('@uring/net', results);
