#!/usr/bin/env node
// Differential fuzzing on demand: `pnpm fuzz` (in packages/fs) or
//   node fuzz/run.mjs [--seed N] [--sequences N] [--steps N]
// Sequence k runs with seed N+k; the first divergence prints its seed (replay it with
// `--seed <seed> --sequences 1`) and exits 1. Run it once more with URING_DISABLE=1 to fuzz the
// fallback backend.
import { mkdtempSync, rmSync } from 'node:fs';
import * as node from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import uring, { backend } from '../dist/index.js';
import { fuzzOne } from './differential.mjs';

const { values } = parseArgs({ options: { seed: { type: 'string' }, sequences: { type: 'string' }, steps: { type: 'string' } } });
const first = Number(values.seed ?? Date.now() % 1_000_000);
const sequences = Number(values.sequences ?? 1000);
const steps = Number(values.steps ?? 200);
console.log(`differential fuzzing: @uring/fs (${backend()}) vs node:fs/promises — seeds ${first}…${first + sequences - 1}, ${steps} steps each`);
const started = performance.now();
let ops = 0;
for (let k = 0; k < sequences; k++) {
  const seed = first + k;
  const dir = mkdtempSync(join(tmpdir(), 'uring-fuzz-'));
  const [a, b] = [join(dir, 'ours'), join(dir, 'theirs')];
  await Promise.all([node.mkdir(a), node.mkdir(b)]);
  try {
    const result = await fuzzOne(seed, steps, uring, node, a, b);
    if ('label' in result) {
      console.log(`DIVERGENCE at seed ${seed}, step ${result.step}: ${result.label}`);
      console.log(`  @uring/fs: ${JSON.stringify(result.ours)}`);
      console.log(`  node:fs:   ${JSON.stringify(result.theirs)}`);
      console.log(`replay: node fuzz/run.mjs --seed ${seed} --sequences 1 --steps ${steps}`);
      process.exit(1);
    }
    ops += result.ops;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if ((k + 1) % 100 === 0) console.log(`  ${k + 1} sequences, ${ops} operations, no divergence`);
}
console.log(`${sequences} sequences, ${ops} operations, 0 divergences in ${((performance.now() - started) / 1000).toFixed(1)} s`);
