#!/usr/bin/env node
// @uring/net benchmark (`pnpm bench`): echo ping-pong of 64-byte messages over 64 connections
// against a server in its own process — @uring/net's and node:net's, interleaved rep by rep — with
// the load from a node:net client in this process. Reports round trips/s and the server's CPU time
// per round trip. Flags: --json, --quick.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import * as net from 'node:net';
import { fileURLToPath } from 'node:url';
import { log, median, report, reps, seconds } from '../../../scripts/bench-harness.mjs';

const CONNECTIONS = 64;
const MESSAGE = Buffer.alloc(64, 7);

async function startServer(kind) {
  const child = fork(fileURLToPath(new URL('./server.mjs', import.meta.url)), [kind], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [{ port }] = await once(child, 'message');
  const cpu = async () => {
    child.send('cpu');
    const [{ cpu }] = await once(child, 'message');
    return (cpu.user + cpu.system) / 1e6;
  };
  return { child, port, cpu };
}

/** `CONNECTIONS` clients, each sending a message and waiting for its echo, for `seconds`. */
async function pingPong(port) {
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
  return { trips, elapsed };
}

async function measure(server) {
  const before = await server.cpu();
  const { trips, elapsed } = await pingPong(server.port);
  const cpu = (await server.cpu()) - before;
  return { rate: trips / elapsed, cpuPerTrip: cpu / trips };
}

const servers = { uring: await startServer('uring'), node: await startServer('node') };
log(`@uring/net benchmark — Node ${process.version}, ${reps} interleaved reps, medians, ${CONNECTIONS} connections\n`);
await measure(servers.uring);
await measure(servers.node);
const a = [];
const b = [];
for (let r = 0; r < reps; r++) {
  a.push(await measure(servers.uring));
  b.push(await measure(servers.node));
}
const rateRatio = median(a.map((x, k) => x.rate / b[k].rate));
const cpuRatio = median(a.map((x, k) => x.cpuPerTrip / b[k].cpuPerTrip));
const fmt = (n) => Math.round(n).toLocaleString('en-US');
log(`echo 64 B x ${CONNECTIONS} conns, round trips/s   @uring/net ${fmt(median(a.map((x) => x.rate)))}   node:net ${fmt(median(b.map((x) => x.rate)))}   ratio ${rateRatio.toFixed(2)}`);
log(`server CPU per round trip (µs)              @uring/net ${(median(a.map((x) => x.cpuPerTrip)) * 1e6).toFixed(2)}   node:net ${(median(b.map((x) => x.cpuPerTrip)) * 1e6).toFixed(2)}   ratio ${cpuRatio.toFixed(2)} (target ≤ 0.6)`);
report('@uring/net', [
  { name: 'echo round trips/s (node:net client)', unit: 'trips/s', baseline: 'node:net', ours: median(a.map((x) => x.rate)), theirs: median(b.map((x) => x.rate)), ratio: rateRatio, ratioMin: Math.min(...a.map((x, k) => x.rate / b[k].rate)), ratioMax: Math.max(...a.map((x, k) => x.rate / b[k].rate)), reps },
  { name: 'server CPU per round trip', unit: 's', baseline: 'node:net', lowerIsBetter: true, ours: median(a.map((x) => x.cpuPerTrip)), theirs: median(b.map((x) => x.cpuPerTrip)), ratio: cpuRatio, ratioMin: Math.min(...a.map((x, k) => x.cpuPerTrip / b[k].cpuPerTrip)), ratioMax: Math.max(...a.map((x, k) => x.cpuPerTrip / b[k].cpuPerTrip)), reps },
]);
for (const s of Object.values(servers)) s.child.send('exit');

