import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as node from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import uring, { backend } from './index.js';
import { unavailable } from '@uring/ring/test';

const dir = fs.mkdtempSync(join(tmpdir(), 'uring-fs-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = (name: string, data: Buffer | string) => {
  const path = join(dir, name);
  fs.writeFileSync(path, data);
  return path;
};
const sizes = [0, 1, 4095, 4096, 65_535, 65_536, 65_537, 300_000, 3 * (1 << 20) + 5];
const files = Object.fromEntries(sizes.map((n) => [n, file(`size-${n}`, randomBytes(n))]));
const text = file('text', 'héllo wörld\n'.repeat(1000));
const link = join(dir, 'link');
fs.symlinkSync(text, link);
const dangling = join(dir, 'dangling');
fs.symlinkSync(join(dir, 'nowhere'), dangling);

type Outcome = { ok: true; value: unknown } | { ok: false; error: Record<string, unknown> };
/** Buffers compare by length and digest: deep-comparing megabytes element by element is slow. */
const comparable = (value: unknown) =>
  Buffer.isBuffer(value) ? { buffer: value.length, sha256: createHash('sha256').update(value).digest('hex') } : value;
const settle = (p: () => Promise<unknown>): Promise<Outcome> =>
  p().then(
    (value) => ({ ok: true, value: comparable(value) }),
    (e: NodeJS.ErrnoException & { dest?: string }) => ({
      ok: false,
      error: { name: e.name, message: e.message, code: e.code, errno: e.errno, syscall: e.syscall, path: e.path, dest: e.dest },
    }),
  );

/** Runs `call` on node:fs/promises and on @uring/fs: the outcomes must be equal. */
async function same(call: (fsp: typeof node) => Promise<unknown>) {
  const expected = await settle(() => call(node));
  const actual = await settle(() => call(uring as typeof node));
  expect(actual).toEqual(expected);
  return actual;
}

describe(`@uring/fs against node:fs/promises (backend: ${backend()})`, () => {
  it('serves calls from the backend the environment allows', () => {
    expect(backend()).toBe(process.env.URING_DISABLE === '1' || unavailable() !== undefined ? 'node' : 'io_uring');
  });

  it('stat and lstat: every field, for files, directories, symlinks, devices', async () => {
    for (const path of [...Object.values(files), dir, text, link, '/dev/null', '/proc/self', Buffer.from(text)]) {
      const r = await same((f) => f.stat(path));
      expect(r.ok && r.value instanceof fs.Stats).toBe(true);
      await same((f) => f.lstat(path));
      await same((f) => f.stat(path, { bigint: false }));
    }
    const s = (await uring.stat(text)) as fs.Stats;
    expect([s.isFile(), s.isDirectory(), s.isSymbolicLink()]).toEqual([true, false, false]);
    expect(((await uring.lstat(link)) as fs.Stats).isSymbolicLink()).toBe(true);
  });

  it('stat and lstat: errors and bad input exactly like Node', async () => {
    for (const path of [join(dir, 'missing'), join(text, 'below-a-file'), dangling, '', 'a\0b', 42, {}, null, undefined, pathToFileURL(text), Buffer.from('x\0y')]) {
      await same((f) => f.stat(path as string));
      await same((f) => f.lstat(path as string));
    }
    await same((f) => f.stat(text, { bigint: true }));
    await same((f) => f.stat(text, 'nope' as never));
    await same((f) => f.stat(text, { bigint: 'yes' } as never));
  });

  it('readFile: every size around the first-read boundary, encodings, Buffer paths', async () => {
    for (const path of Object.values(files)) await same((f) => f.readFile(path));
    for (const encoding of ['utf8', 'latin1', 'hex', 'base64', null] as const) {
      await same((f) => f.readFile(text, encoding));
      await same((f) => f.readFile(text, { encoding }));
    }
    await same((f) => f.readFile(Buffer.from(text), { flag: 'r' }));
    await same((f) => f.readFile(link, 'utf8'));
    await same((f) => f.readFile('/proc/version', 'utf8')); // st_size 0, yet has content
  });

  it('readFile: errors and bad input exactly like Node', async () => {
    for (const path of [join(dir, 'missing'), dir, join(text, 'x'), dangling, '', 'a\0b', 42, {}, null, pathToFileURL(text), Buffer.from('x\0y')]) {
      await same((f) => f.readFile(path as string));
    }
    for (const options of ['nope', { encoding: 'nope' }, { flag: 'r+' }, { flag: 'x' }, { flag: 1 }, 17, { signal: 'x' }, { encoding: 'utf8', extra: 1 }]) {
      await same((f) => f.readFile(text, options as never));
    }
    await same((f) => f.readFile(text, { signal: AbortSignal.abort() }));
  });

  it('an abort queued with process.nextTick before the call rejects with AbortError, as Node\'s — also when the kernel did the work at once', async () => {
    // Node's thread pool answers an event-loop turn later at the earliest, so such an abort always
    // comes first there; the ring completes a page-cached read or write during its submission.
    const abortNextTick = () => {
      const controller = new AbortController();
      process.nextTick(() => controller.abort());
      return controller.signal;
    };
    const target = join(dir, 'aborted-write');
    const big = Buffer.alloc(6 << 20, 'dogs running ');
    for (let k = 0; k < 3; k++) {
      await same((f) => f.readFile(text, { signal: abortNextTick() }));
      await same((f) => f.writeFile(target, 'x', { signal: abortNextTick() }));
      // On a handle: the whole buffer, and a stream that is already over.
      await same(async (f) => {
        const handle = await f.open(target, 'w+');
        try {
          return await handle.writeFile(big, { signal: abortNextTick() });
        } finally {
          await handle.close();
        }
      });
      await same(async (f) => {
        const handle = await f.open(text, 'r');
        try {
          return await handle.readFile({ signal: abortNextTick(), encoding: 'utf8' });
        } finally {
          await handle.close();
        }
      });
      // The abort is queued before open(): open takes Node a turn, so writeFile sees it aborted.
      await same(async (f) => {
        const signal = abortNextTick();
        const handle = await f.open(target, 'w+');
        try {
          // A stream, as Node takes one (@types/node 20 lists only strings and bytes).
          return await handle.writeFile(Readable.from([]) as never, { signal });
        } finally {
          await handle.close();
        }
      });
    }
  });

  it('readFile: 1,000 files in parallel, each exactly its own bytes', async () => {
    const many = Array.from({ length: 1000 }, (_, k) => file(`many-${k}`, `file ${k} `.repeat(1 + (k % 50))));
    const results = await Promise.all(many.map((p) => uring.readFile(p, 'utf8')));
    results.forEach((content, k) => expect(content).toBe(`file ${k} `.repeat(1 + (k % 50))));
  });

  it('delegates everything else to node:fs/promises', async () => {
    for (const name of Object.keys(node) as (keyof typeof node)[]) expect(typeof uring[name]).toBe(typeof node[name]);
    await same((f) => f.readdir(dir).then((names) => names.sort()));
    await same((f) => f.access(text));
  });
});
