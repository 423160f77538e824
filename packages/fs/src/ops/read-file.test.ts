import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '@uring/ring/test';
import { afterAll, describe, expect, it } from 'vitest';
import { readFile } from './read-file.js';
import { freeReadBuffers } from './read-pool.js';

const dir = fs.mkdtempSync(join(tmpdir(), 'uring-fs-read-file-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("readFile's pooled first-read buffers (where the ring serves the call; Node does elsewhere, with the same results)", () => {
  it('returns each file intact while more reads than the pool holds share it, and gets every buffer back', async () => {
    // 300 in flight against 64 pooled buffers: the rest read into buffers of their own.
    const contents = Array.from({ length: 300 }, (_, k) => randomBytes(1 + ((k * 7919) % 70_000)));
    const paths = contents.map((data, k) => {
      const path = join(dir, `f${k}`);
      fs.writeFileSync(path, data);
      return path;
    });
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all(paths.map((path) => readFile(path)));
      results.forEach((data, k) => expect(Buffer.compare(data as Buffer, contents[k]!)).toBe(0));
      // A result never shares memory with the pool: later reads must not change it.
      const kept = results.map((data) => Buffer.from(data as Buffer));
      await Promise.all(paths.map((path) => readFile(path, 'latin1')));
      results.forEach((data, k) => expect(Buffer.compare(data as Buffer, kept[k]!)).toBe(0));
    }
    expect(freeReadBuffers()).toBe(64);
  });

  it("gives each result an ArrayBuffer of its own, exactly the file's size, as Node's readFile does", async () => {
    // Small files (Buffer.from would use Node's shared 8 KiB pool), the 64 KiB edge, and files
    // read on in growing buffers: `new Uint8Array(data.buffer)` must see exactly the file.
    // (An empty file is the exception: Node returns an empty view of its 64 KiB read chunk, we an
    // empty Buffer; both have length 0.)
    const empty = join(dir, 'exact-empty');
    fs.writeFileSync(empty, '');
    expect(((await readFile(empty)) as Buffer).length).toBe(0);
    for (const size of [1, 3000, 4096, 61_439, 61_440, 61_441, 65_535, 65_536, 65_537, 300_000]) {
      const path = join(dir, `exact-${size}`);
      const content = randomBytes(size);
      fs.writeFileSync(path, content);
      const ours = (await readFile(path)) as Buffer;
      const node = await fs.promises.readFile(path);
      expect({ size, byteOffset: ours.byteOffset, byteLength: ours.buffer.byteLength }).toEqual({ size, byteOffset: node.byteOffset, byteLength: node.buffer.byteLength });
      expect(Buffer.compare(Buffer.from(ours.buffer), content)).toBe(0);
    }
  });

  it("reads on past a short read, as Node's does for a file fstat gives no size: a pipe written in pieces, a /proc file of many pages", async () => {
    const fifo = join(dir, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    // The writer opens the pipe (in Node's thread pool, waiting for the reader), then writes three
    // pieces a few milliseconds apart: each read returns what has arrived.
    const readPiecewise = async (read: (path: string) => Promise<unknown>) => {
      const writing = (async () => {
        const w = await fs.promises.open(fifo, 'w');
        for (const piece of ['a', 'b', 'c']) {
          await w.write(piece.repeat(1000));
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await w.close();
      })();
      const [data] = await Promise.all([read(fifo), writing]);
      return (data as Buffer).toString();
    };
    const ours = await readPiecewise(readFile);
    expect(ours).toBe(await readPiecewise(fs.promises.readFile));
    expect(ours).toBe('a'.repeat(1000) + 'b'.repeat(1000) + 'c'.repeat(1000));
    // /proc/crypto: a page per read, more than one page (11 KiB here), the same from one read to the next.
    const crypto = (await readFile('/proc/crypto')) as Buffer;
    expect(crypto.toString()).toBe(await fs.promises.readFile('/proc/crypto', 'utf8'));
    expect(crypto.length).toBeGreaterThan(4096);
    await expect(readFile(dir)).rejects.toMatchObject({ code: 'EISDIR', syscall: 'read' });
    await expect(fs.promises.readFile(dir)).rejects.toMatchObject({ code: 'EISDIR', syscall: 'read' });
    // The failed first read rejects at its CQE; the hard-linked second read runs on (a hard link
    // survives an error) from the kernel's task work, and gives the buffer back at its own CQE,
    // which a loaded machine may deliver after the rejection (CI, 2026-12-07: 63 of 64 at once).
    await until(() => freeReadBuffers() === 64);
  });

  it("refuses a regular file over 2 GiB before reading it, as Node's (ERR_FS_FILE_TOO_LARGE with its size), and reads one of known size into a buffer of that size", async () => {
    const huge = join(dir, 'huge');
    fs.writeFileSync(huge, 'x');
    fs.truncateSync(huge, 2 ** 31); // sparse: 2 GiB and nothing on disk
    const error = (read: (path: string) => Promise<unknown>) => read(huge).then(() => 'read', (e: NodeJS.ErrnoException) => ({ name: e.name, code: e.code, message: e.message }));
    expect(await error(readFile)).toEqual(await error(fs.promises.readFile));
    expect(await error(readFile)).toMatchObject({ code: 'ERR_FS_FILE_TOO_LARGE', message: 'File size (2147483648) is greater than 2 GiB' });
    fs.rmSync(huge);
    const path = join(dir, 'sized');
    const content = randomBytes(1_000_000);
    fs.writeFileSync(path, content);
    const data = (await readFile(path)) as Buffer;
    expect(Buffer.compare(data, content)).toBe(0);
    expect(data.buffer.byteLength).toBe(1_000_000);
  });

  it('takes a buffer back only after the kernel is done: aborted reads and failed opens lose none', async () => {
    const path = join(dir, 'abort-me');
    fs.writeFileSync(path, randomBytes(10_000));
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, (_, k) => {
        const controller = new AbortController();
        const target = k % 4 === 3 ? join(dir, 'missing') : path;
        const promise = readFile(target, { signal: controller.signal });
        if (k % 2 === 0) controller.abort(); // after the SQEs are written, before they are submitted
        return promise.then(
          (data) => ((data as Buffer).length === 10_000 ? 'ok' : 'short'),
          (error: NodeJS.ErrnoException) => error.code,
        );
      }),
    );
    expect(new Set(outcomes)).toEqual(new Set(['ok', 'ABORT_ERR', 'ENOENT']));
    // An aborted read's buffer comes back when its CQE does, a moment after the rejection.
    await until(() => freeReadBuffers() === 64);
  });
});
