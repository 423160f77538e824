#!/usr/bin/env node
// Connection fuzzing on demand: `pnpm fuzz` (in packages/net) or
//   node fuzz/run.mjs [--seed N] [--sequences N] [--steps N] [--node]
// Sequence k runs with seed N+k; the first broken guarantee prints its seed and what happened
// (replay it with `--seed <seed> --sequences 1`) and exits 1. `--node` runs the same sequences with
// node:net's socket under test — every check must hold for it too. Run once more with
// URING_DISABLE=1 to fuzz the fallback.
import { parseArgs } from 'node:util';
import * as nodeNet from 'node:net';
import uring, { backend } from '../dist/index.js';
import { fuzzOne } from './connections.mjs';

const { values } = parseArgs({ options: { seed: { type: 'string' }, sequences: { type: 'string' }, steps: { type: 'string' }, node: { type: 'boolean' }, verbose: { type: 'boolean' } } });
const first = Number(values.seed ?? Date.now() % 1_000_000);
const sequences = Number(values.sequences ?? 200);
const steps = Number(values.steps ?? 40);
const net = values.node ? nodeNet : uring;
console.log(`connection fuzzing: ${values.node ? 'node:net' : `@uring/net (${backend()})`} against a node:net peer (or its own) — seeds ${first}…${first + sequences - 1}, ${steps} steps each`);
const started = performance.now();
let ops = 0;
let graceful = 0;
for (let k = 0; k < sequences; k++) {
  const seed = first + k;
  const result = await fuzzOne(seed, steps, net);
  if ('label' in result) {
    console.log(`BROKEN at seed ${seed}, step ${result.step}: ${result.label}`);
    for (const line of result.log) console.log(`  ${line}`);
    console.log(`replay: node fuzz/run.mjs --seed ${seed} --sequences 1 --steps ${steps}${values.node ? ' --node' : ''}`);
    process.exit(1);
  }
  ops += result.ops;
  if (result.graceful) graceful++;
  if ((k + 1) % 50 === 0) console.log(`  ${k + 1} sequences, ${ops} steps, nothing broken`);
}
console.log(`${sequences} sequences (${graceful} on connections nobody broke), ${ops} steps, nothing broken in ${((performance.now() - started) / 1000).toFixed(1)} s`);
process.exit(0);
