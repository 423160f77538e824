import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// A writer killed with SIGKILL in the middle of write + datasync loops: every record whose
// datasync had resolved (and was acknowledged on stdout) must be in the file afterwards, intact.
// SIGKILL ends the process, not the machine: this proves no acknowledged write is lost or torn by
// the process dying with operations in flight, not what a power cut would leave.
const fsUrl = pathToFileURL(fileURLToPath(new URL('../dist/index.js', import.meta.url))).href;
const dir = mkdtempSync(join(tmpdir(), 'uring-fs-kill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RECORD = 64;
const LOOPS = 4;
const writer = `
import fs from ${JSON.stringify(fsUrl)};
const [dir] = process.argv.slice(1);
const record = (loop, n) => Buffer.from(('loop ' + loop + ' record ' + n + ' ').padEnd(${RECORD - 1}, '.') + '\\n');
await Promise.all(Array.from({ length: ${LOOPS} }, async (_, loop) => {
  const handle = await fs.open(dir + '/log-' + loop, 'a');
  for (let n = 0; ; n++) {
    await handle.write(record(loop, n));
    await handle.datasync();
    process.stdout.write(loop + ' ' + n + '\\n'); // synchronous on a pipe: the ack follows the datasync
  }
}));
`;

/** Runs the writer until it has acknowledged `acks` records, SIGKILLs it, returns the last ack per loop. */
function killAfter(run: string, acks: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', writer, run], { stdio: ['ignore', 'pipe', 'pipe'] });
    const last = Array.from({ length: LOOPS }, () => -1);
    let count = 0;
    let pending = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const [loop, n] = line.split(' ').map(Number) as [number, number];
        last[loop] = Math.max(last[loop]!, n);
        if (++count === acks) child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve(last) : reject(new Error(`writer exited ${code}: ${stderr}`))));
  });
}

describe(`@uring/fs durability (URING_DISABLE=${process.env.URING_DISABLE ?? ''})`, () => {
  it.each([50, 400, 1500])('SIGKILL after %i acknowledged datasyncs: every acknowledged record is on disk, in order, intact', async (acks) => {
    const run = mkdtempSync(join(dir, `run-${acks}-`));
    const last = await killAfter(run, acks);
    expect(last.reduce((a, b) => a + b + 1, 0)).toBeGreaterThanOrEqual(acks);
    for (let loop = 0; loop < LOOPS; loop++) {
      const content = readFileSync(join(run, `log-${loop}`), 'latin1');
      const whole = Math.floor(content.length / RECORD);
      expect(whole).toBeGreaterThanOrEqual(last[loop]! + 1); // nothing acknowledged is missing
      for (let n = 0; n <= last[loop]!; n++) {
        expect(content.slice(n * RECORD, (n + 1) * RECORD)).toBe(`loop ${loop} record ${n} `.padEnd(RECORD - 1, '.') + '\n');
      }
    }
  });
});
