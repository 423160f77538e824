#!/usr/bin/env node
// Connection and server fuzzing on demand: `pnpm fuzz` (in packages/net) or
//   node fuzz/run.mjs [--servers | --http] [--seed N] [--sequences N] [--steps N] [--width N] [--node]
// The sequences are lives of one connection (connections.mjs), or with `--servers` of one server
// and its connections (servers.mjs), or with `--http` of one node:http server over the sockets
// and its clients (http.mjs).
// Sequence k runs with seed N+k; the first broken guarantee prints its seed and what happened
// (replay it with `--seed <seed> --sequences 1`) and exits 1. `--width N` runs the sequences N at a
// time, each on its own connection, all on one loop (a break there may need its round to replay:
// `--seed <round's first> --sequences N --width N`). `--node` runs the same sequences with
// node:net's socket under test (with `--http`, node:http's own server) — every check must hold
// for it too. Run once more with
// URING_DISABLE=1 to fuzz the fallback.
import { parseArgs } from 'node:util';
import * as nodeNet from 'node:net';
import uring, { backend } from '../dist/index.js';
import { fuzzOne } from './connections.mjs';
import { fuzzHttp } from './http.mjs';
import { fuzzServer } from './servers.mjs';
import { fuzzRound } from './sockets.mjs';

const { values } = parseArgs({ options: { seed: { type: 'string' }, sequences: { type: 'string' }, steps: { type: 'string' }, width: { type: 'string' }, node: { type: 'boolean' }, servers: { type: 'boolean' }, http: { type: 'boolean' } } });
const first = Number(values.seed ?? Date.now() % 1_000_000);
const sequences = Number(values.sequences ?? 200);
const steps = Number(values.steps ?? 40);
const width = Number(values.width ?? 1);
const net = values.node ? nodeNet : uring;
const fuzz = values.servers ? fuzzServer : values.http ? fuzzHttp : fuzzOne;
const flags = `${values.servers ? ' --servers' : ''}${values.http ? ' --http' : ''}${values.node ? ' --node' : ''}`;
const replay = (seed, n) => `node fuzz/run.mjs --seed ${seed} --sequences ${n} --steps ${steps}${n > 1 ? ` --width ${n}` : ''}${flags}`;
const what = values.servers ? 'server fuzzing' : values.http ? 'node:http fuzzing' : 'connection fuzzing';
console.log(`${what}: ${values.node ? 'node:net' : `@uring/net (${backend()})`} against node:net's ${values.servers || values.http ? 'clients' : 'peer'} (or its own) — seeds ${first}…${first + sequences - 1}, ${steps} steps each${width > 1 ? `, ${width} at a time` : ''}`);
const started = performance.now();
let ops = 0;
let graceful = 0;
for (let k = 0; k < sequences; k += width) {
  const seeds = Array.from({ length: Math.min(width, sequences - k) }, (_, j) => first + k + j);
  const { results, socketsLeft } = await fuzzRound(fuzz, seeds, steps, net);
  const broken = results.find((result) => 'label' in result);
  if (broken) {
    console.log(`BROKEN at seed ${broken.seed}, step ${broken.step}: ${broken.label}`);
    for (const line of broken.log) console.log(`  ${line}`);
    console.log(`replay: ${replay(broken.seed, 1)}${seeds.length > 1 ? `, or the round: ${replay(seeds[0], seeds.length)}` : ''}`);
    process.exit(1);
  }
  if (socketsLeft > 0) {
    console.log(`BROKEN: ${socketsLeft} socket descriptors left open after seeds ${seeds[0]}…${seeds.at(-1)}`);
    console.log(`replay: ${replay(seeds[0], seeds.length)}`);
    process.exit(1);
  }
  for (const result of results) {
    ops += result.ops;
    if (result.graceful) graceful++;
  }
  if (Math.floor((k + seeds.length) / 50) > Math.floor(k / 50)) console.log(`  ${k + seeds.length} sequences, ${ops} steps, nothing broken`);
}
console.log(`${sequences} sequences${values.servers || values.http ? '' : ` (${graceful} on connections nobody broke)`}, ${ops} steps, nothing broken in ${((performance.now() - started) / 1000).toFixed(1)} s`);
process.exit(0);
