import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { titled, unavailable } from '@uring/ring/test';
import { afterAll, describe, expect, it } from 'vitest';

const skip = unavailable();
const dir = mkdtempSync(join(tmpdir(), 'uring-listener-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * What a listener's (or a write callback's) throw becomes, in a process of its own — it must
 * reach process 'uncaughtException' — for node:fs's streams ('node') or the built package's.
 */
async function thrown(impl: 'node' | 'uring', where: string, file: string): Promise<string[]> {
  const dist = new URL('../dist/index.js', import.meta.url).href;
  const script = `
    import * as fs from 'node:fs';
    const ours = await import(process.argv[1]);
    const S = process.argv[2] === 'node' ? fs : ours;
    const [where, file] = process.argv.slice(3);
    const boom = new Error(where);
    const seen = [];
    process.on('uncaughtException', (e, origin) => seen.push(e === boom ? 'uncaught: ours' : 'uncaught: ' + e.message, origin));
    process.on('unhandledRejection', (e) => seen.push(e === boom ? 'rejection: ours' : 'rejection: other'));
    const thrower = (event) => () => { if (event === where) throw boom; };
    const r = S.createReadStream(file);
    for (const event of ['open', 'ready', 'data', 'end']) r.on(event, thrower('read ' + event));
    const w = S.createWriteStream(file + '.out');
    for (const event of ['open', 'ready', 'finish']) w.on(event, thrower('write ' + event));
    w.write('abc', thrower('write callback'));
    w.end();
    setTimeout(() => console.log(JSON.stringify(seen)), 300);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, dist, impl, where, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  await once(child, 'exit');
  return JSON.parse(out) as string[];
}

describe.skipIf(skip !== undefined)(titled("a listener's throw, as from node:fs's streams", skip), () => {
  it("what a stream's listener or write callback throws is uncaught, as node:fs's — not an unhandled rejection", async () => {
    const file = join(dir, 'in');
    writeFileSync(file, 'x'.repeat(1000));
    for (const where of ['read open', 'read ready', 'read data', 'read end', 'write open', 'write ready', 'write callback', 'write finish']) {
      const [node, uring] = await Promise.all([thrown('node', where, file), thrown('uring', where, file)]);
      expect([where, node]).toEqual([where, ['uncaught: ours', 'uncaughtException']]);
      expect([where, uring]).toEqual([where, node]);
    }
  });
});
