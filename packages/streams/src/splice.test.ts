import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { titled, unavailable } from '@uring/ring/test';
import { afterAll, describe, expect, it } from 'vitest';
import { splice } from './splice.js';

const dir = fs.mkdtempSync(join(tmpdir(), 'uring-splice-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const data = randomBytes(3 * (1 << 20) + 777);
const src = join(dir, 'src');
fs.writeFileSync(src, data);

const skip = unavailable();
describe.skipIf(skip !== undefined)(titled('splice', skip), () => {
  it('copies any range at any offsets, in any number of lanes, byte for byte', async () => {
    const cases: Array<[number, number, number]> = [
      [0, 0, Infinity], // to EOF
      [1000, 50, 2_000_001 - 1000], // chunks that start inside a page
      [4095, 1, 1 << 20],
      [data.length - 10, 0, 10],
      [data.length, 0, Infinity], // nothing left
      [123, 4567, data.length - 123],
    ];
    for (const lanes of [1, 3, 4]) {
      for (const [inOffset, outOffset, length] of cases) {
        const dst = join(dir, `dst-${lanes}-${inOffset}`);
        fs.writeFileSync(dst, Buffer.alloc(outOffset, 'z'));
        const i = fs.openSync(src, 'r');
        const o = fs.openSync(dst, 'r+');
        const moved = await splice(i, inOffset, o, outOffset, length, { lanes, pipeSize: 256 * 1024 });
        fs.closeSync(i);
        fs.closeSync(o);
        const expected = data.subarray(inOffset, Math.min(data.length, inOffset + length));
        expect(moved).toBe(expected.length);
        expect(fs.readFileSync(dst).equals(Buffer.concat([Buffer.alloc(outOffset, 'z'), expected]))).toBe(true);
      }
    }
  });

  it('fails with the kernel\'s error and names the syscall', async () => {
    const i = fs.openSync(src, 'r');
    await expect(splice(i, 0, -1, 0, 10)).rejects.toMatchObject({ code: 'EBADF', syscall: 'splice' });
    fs.closeSync(i);
  });
});
