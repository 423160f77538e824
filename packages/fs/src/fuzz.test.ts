import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import * as node from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain ES module shared with fuzz/run.mjs (the long run on demand)
import { fuzzOne, rng } from '../fuzz/differential.mjs';
import uring, { backend } from './index.js';

// The short CI run of the differential fuzzer: fixed seeds, so a failure here replays with
// `node fuzz/run.mjs --seed <seed> --sequences 1` (the message names it).
const SEEDS = 40;
const STEPS = 120;
const dir = mkdtempSync(join(tmpdir(), 'uring-fs-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe(`differential fuzzing vs node:fs/promises (backend: ${backend()})`, () => {
  it('the generator is seeded: the same seed draws the same numbers', () => {
    const [a, b] = [rng(7), rng(7)];
    expect(Array.from({ length: 5 }, () => a.int(1000))).toEqual(Array.from({ length: 5 }, () => b.int(1000)));
  });

  it(`${SEEDS} seeded sequences of ${STEPS} steps: every result, error and the final tree agree`, async () => {
    let ops = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const [a, b] = [join(dir, `${seed}-ours`), join(dir, `${seed}-theirs`)];
      mkdirSync(a);
      mkdirSync(b);
      const result = await fuzzOne(seed, STEPS, uring, node, a, b);
      expect(result, `replay: node fuzz/run.mjs --seed ${seed} --sequences 1 --steps ${STEPS}`).toEqual({ seed, steps: STEPS, ops: result.ops });
      ops += result.ops;
    }
    expect(ops).toBeGreaterThan(SEEDS * STEPS);
  }, 60_000);

  it('catches a planted bug (truncate one byte short) and names the seed and step', async () => {
    const buggy = { ...uring, truncate: (p: string, n?: number) => uring.truncate(p, typeof n === 'number' && n > 0 ? n - 1 : n) };
    let found;
    for (let seed = 1; seed <= SEEDS && !found; seed++) {
      const [a, b] = [join(dir, `bug-${seed}-ours`), join(dir, `bug-${seed}-theirs`)];
      mkdirSync(a);
      mkdirSync(b);
      const result = await fuzzOne(seed, STEPS, buggy, node, a, b);
      if ('label' in result) found = result;
    }
    expect(found).toMatchObject({ seed: expect.any(Number), step: expect.any(Number), label: expect.any(String) });
  });
});
