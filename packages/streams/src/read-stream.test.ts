import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, Writable } from 'node:stream';
import { addressOf } from '@uring/abi';
import { titled, unavailable } from '@uring/ring/test';
import { getLoop } from '@uring/loop';
import { afterAll, describe, expect, it } from 'vitest';
import { createReadStream, ReadStream } from './read-stream.js';
import { errorShape, record } from './testing.js';

const dir = fs.mkdtempSync(join(tmpdir(), 'uring-streams-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = (name: string, data: Buffer | string) => {
  const path = join(dir, name);
  fs.writeFileSync(path, data);
  return path;
};
const big = randomBytes(1 << 20);
const bigPath = file('big', big);
const text = 'héllo wörld ✓ '.repeat(20000); // multi-byte characters across chunk boundaries
const textPath = file('text', text);
const emptyPath = file('empty', '');

/**
 * Runs the same stream scenario on node:fs and on ours and compares everything observable. With
 * `exactChunks` false, chunk boundaries may differ (not the bytes): a device read through the ring
 * can come back short — /dev/zero stops between pages when the thread has task work pending, which
 * a read in libuv's thread pool never has — and a short read is a chunk of its own, as in Node.
 */
async function same(path: fs.PathLike | null, options?: object | string, exactChunks = true) {
  const node = await record(fs.createReadStream(path as fs.PathLike, options as never));
  const ours = await record(createReadStream(path, options as never));
  expect(ours.events).toEqual(node.events);
  if (exactChunks) expect(ours.chunkSizes).toEqual(node.chunkSizes);
  else {
    const sum = (sizes: number[]) => sizes.reduce((a, b) => a + b, 0);
    expect(sum(ours.chunkSizes)).toBe(sum(node.chunkSizes));
    expect(Math.max(...ours.chunkSizes)).toBeLessThanOrEqual(Math.max(...node.chunkSizes));
  }
  expect(ours.error).toEqual(node.error);
  expect(typeof ours.data === 'string' ? ours.data : ours.data.equals(node.data as Buffer)).toBe(typeof node.data === 'string' ? node.data : true);
  return ours;
}

/** Every chunk of `stream` as its 'data' events give it, into `into`. */
const collectData = (stream: fs.ReadStream, into: Buffer[]) =>
  new Promise<void>((resolve, reject) => stream.on('data', (c) => into.push(c as Buffer)).on('end', () => resolve()).on('error', reject));

const skip = unavailable();
describe.skipIf(skip !== undefined)(titled('createReadStream against fs.createReadStream', skip), () => {
  it('reads a whole file: same bytes, chunks and events', async () => {
    const ours = await same(bigPath);
    expect(ours.events).toEqual(['open', 'ready', 'data', 'end', 'close']);
    expect(createReadStream(bigPath)).toBeInstanceOf(ReadStream);
  });

  it("a short read's chunk owns a buffer of its size, as node:fs's (a held chunk of a small file keeps no slab alive); a small file is read once, not read-ahead deep", async () => {
    const small = file('small', 'a small file\n'.repeat(100));
    const loop = getLoop();
    const submitted = loop.metrics.submitted;
    const chunks: Buffer[] = [];
    for await (const chunk of createReadStream(small)) chunks.push(chunk as Buffer);
    // open, fstat, one read (short), one at the end (0), close and the stream's teardown — not
    // four reads at once and four more past the end (11 operations, read-ahead deep from the start)
    expect(loop.metrics.submitted - submitted).toBeLessThanOrEqual(8);
    expect(chunks.map((c) => [c.length, c.buffer.byteLength])).toEqual([[1300, 1300]]);
    // A file a few chunks long: the last (short) chunk comes in a buffer of its own size.
    const sizes: Array<[number, number]> = [];
    for await (const chunk of createReadStream(bigPath, { start: 1000 })) sizes.push([(chunk as Buffer).length, (chunk as Buffer).buffer.byteLength]);
    expect(sizes.at(-1)).toEqual([((1 << 20) - 1000) % 65536, ((1 << 20) - 1000) % 65536]);
  });

  it('reads ranges like Node', async () => {
    for (const range of [{ start: 10, end: 100_000 }, { start: 0, end: 0 }, { start: 5 }, { end: 65_535 }, { end: 65_536 }, { start: 1 << 20 }, { start: 2 << 20 }]) {
      await same(bigPath, range);
    }
  });

  it('small reads come in buffers of their own size (highWaterMark: 1 holds a byte per byte kept, not a page), large ones page-aligned', async () => {
    const tiny: Buffer[] = []; // ('data' events: an async iterator would join what is buffered)
    await collectData(createReadStream(textPath, { highWaterMark: 1, end: 999 }), tiny);
    expect(tiny.length).toBe(1000);
    expect(new Set(tiny.map((c) => c.buffer.byteLength))).toEqual(new Set([1]));
    expect(Buffer.concat(tiny).equals(fs.readFileSync(textPath).subarray(0, 1000))).toBe(true);
    const large: Buffer[] = [];
    await collectData(createReadStream(bigPath, { highWaterMark: 1 << 16 }), large);
    expect(large.every((c) => addressOf(c) % 4096 === 0)).toBe(true);
  });

  it("reads options as Node reads them — inherited properties too ({ __proto__: { start, end, encoding } })", async () => {
    await same(bigPath, { __proto__: { start: 100, end: 70_000 } });
    await same(textPath, { __proto__: { encoding: 'utf8', highWaterMark: 1000 } });
    const node = fs.createReadStream(bigPath, { __proto__: { start: 7, end: 9 } } as never) as unknown as { start: number; end: number } & fs.ReadStream;
    const ours = createReadStream(bigPath, { __proto__: { start: 7, end: 9 } } as never) as unknown as { start: number; end: number } & fs.ReadStream;
    expect([ours.start, ours.end]).toEqual([node.start, node.end]);
    await Promise.all([node, ours].map((s) => new Promise<void>((resolve) => s.on('close', () => resolve()).resume())));
  });

  it('decodes encodings like Node, across chunk boundaries', async () => {
    for (const encoding of ['utf8', 'hex', 'base64', 'latin1'] as const) await same(textPath, { encoding, highWaterMark: 1001 });
    await same(textPath, 'utf8');
  });

  it('handles empty files and highWaterMark from 1 byte to 1 MiB', async () => {
    await same(emptyPath);
    for (const highWaterMark of [1, 1000, 16_384, 1 << 20]) await same(bigPath, { highWaterMark, end: highWaterMark === 1 ? 3000 : 300_000 });
  });

  it('reports a missing file exactly like Node', async () => {
    const ours = await same(join(dir, 'missing'));
    expect(ours.events).toEqual(['error:ENOENT', 'close']);
    expect(ours.error).toMatchObject({ code: 'ENOENT', syscall: 'open', errno: -2 });
  });

  it('reports a directory where a file is expected like Node', async () => {
    await same(dir);
  });

  it('validates options exactly like Node', () => {
    const thrown = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return errorShape(error);
      }
      return undefined;
    };
    for (const [path, options] of [
      [bigPath, { start: 10, end: 5 }],
      [bigPath, { start: 'x' }],
      [bigPath, { end: -1 }],
      [bigPath, 42],
      ['a\0b', {}],
      [bigPath, { highWaterMark: -1 }],
    ] as const) {
      expect(thrown(() => createReadStream(path, options as never))).toEqual(thrown(() => fs.createReadStream(path, options as never)));
      expect(thrown(() => createReadStream(path, options as never))).toBeDefined();
    }
  });

  it('emits Node\'s error for invalid flags', async () => {
    await same(bigPath, { flags: 'nope' });
  });

  it('stops on an aborted signal like Node, before and during the read', async () => {
    await same(bigPath, { signal: AbortSignal.abort() });
    const controller = new AbortController();
    const stream = createReadStream(bigPath, { signal: controller.signal, highWaterMark: 1024 });
    const seen = record(stream);
    stream.once('data', () => controller.abort());
    const r = await seen;
    expect(r.events).toEqual(['open', 'ready', 'data', 'error:ABORT_ERR', 'close']);
  });

  it('reads from an fd, with and without start, and from a FileHandle', async () => {
    for (const options of [{ start: 100 }, {}]) {
      const a = fs.openSync(bigPath, 'r');
      const b = fs.openSync(bigPath, 'r');
      fs.readSync(a, Buffer.alloc(10));
      fs.readSync(b, Buffer.alloc(10)); // the current position matters without `start`
      const node = await record(fs.createReadStream(null as never, { fd: a, ...options }));
      const ours = await record(createReadStream(null, { fd: b, ...options }));
      expect(ours.events).toEqual(node.events);
      expect((ours.data as Buffer).equals(node.data as Buffer)).toBe(true);
    }
    const handle = await open(bigPath);
    const viaHandle = await record(createReadStream(null, { fd: handle as never }));
    expect((viaHandle.data as Buffer).equals(big)).toBe(true);
  });

  it('uses a caller\'s own fs option, as Node does', async () => {
    let reads = 0;
    const custom = { ...fs, read: (...args: Parameters<typeof fs.read>) => (reads++, (fs.read as (...a: unknown[]) => void)(...args)) };
    const r = await record(createReadStream(bigPath, { fs: custom, end: 99_999 }));
    expect((r.data as Buffer).equals(big.subarray(0, 100_000))).toBe(true);
    expect(reads).toBeGreaterThan(0);
  });

  it('reads a character device sequentially, as Node does', async () => {
    await same('/dev/zero', { end: 200_000 }, false);
  });

  it('destroyed mid-flight: stops, closes its fd, and never pushes again', async () => {
    const fdsBefore = fs.readdirSync('/proc/self/fd').length;
    const stream = createReadStream(bigPath, { highWaterMark: 4096 });
    let after = 0;
    const seen = record(stream);
    stream.once('data', () => {
      stream.destroy();
      stream.on('data', () => after++);
    });
    const r = await seen;
    expect(r.events).toEqual(['open', 'ready', 'data', 'close']);
    expect(after).toBe(0);
    await getLoop().nop(); // the cancelled reads' CQEs have come back
    expect(fs.readdirSync('/proc/self/fd').length).toBe(fdsBefore);
  });

  it('keeps memory bounded for a slow consumer', async () => {
    const path = join(dir, 'huge');
    const fd = fs.openSync(path, 'w');
    const chunk = Buffer.alloc(1 << 20, 1);
    for (let k = 0; k < 64; k++) fs.writeSync(fd, chunk);
    fs.closeSync(fd);
    const hwm = 64 * 1024;
    const stream = createReadStream(path, { highWaterMark: hwm, readAhead: 4 });
    let maxBuffered = 0;
    let total = 0;
    const slow = new Writable({
      highWaterMark: hwm,
      write(c, _e, cb) {
        total += c.length;
        maxBuffered = Math.max(maxBuffered, stream.readableLength);
        if (total % (8 << 20) < hwm) setTimeout(cb, 5);
        else setImmediate(cb);
      },
    });
    await pipeline(stream, slow);
    expect(total).toBe(64 << 20);
    // The consumer's buffer, plus at most the reads in flight when it filled up.
    expect(maxBuffered).toBeLessThanOrEqual((4 + 1) * hwm);
  });

  it('works in stream.pipeline with Node streams on the other side', async () => {
    const out = join(dir, 'upper');
    await pipeline(
      createReadStream(textPath, { encoding: 'utf8' }),
      new Transform({ transform: (c, _e, cb) => cb(null, String(c).toUpperCase()) }),
      fs.createWriteStream(out),
    );
    expect(fs.readFileSync(out, 'utf8')).toBe(text.toUpperCase());
  });
});
