import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { titled, unavailable } from '@uring/ring/test';
import { getLoop } from '@uring/loop';
import { afterAll, describe, expect, it } from 'vitest';
import { createWriteStream } from './write-stream.js';
import { uringFsOps } from './fs-ops.js';
import { recordWrite } from './testing.js';

const dir = fs.mkdtempSync(join(tmpdir(), 'uring-wstreams-'));
// Node's own pre-aborted WriteStream may still create its file after 'close' (see the abort
// test), so give it a moment before removing the directory.
afterAll(async () => {
  await new Promise((resolve) => setTimeout(resolve, 100));
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
});
let n = 0;
const paths = () => [join(dir, `node-${n}`), join(dir, `ours-${n++}`)] as const;

/** The same writes through node:fs and through ours: same events, same file, same bytesWritten. */
async function same(chunks: (Buffer | string)[], options?: object | string, prepare?: (path: string) => void) {
  const [a, b] = paths();
  prepare?.(a);
  prepare?.(b);
  const ns = fs.createWriteStream(a, options as never);
  const node = await recordWrite(ns, chunks);
  const os = createWriteStream(b, options as never); // made only now, so no event fires unheard
  const ours = await recordWrite(os, chunks);
  expect(ours.events).toEqual(node.events);
  // The two runs write different files: compare errors with our path read as Node's.
  expect(JSON.parse(JSON.stringify(ours.error ?? null).replaceAll(b, a))).toEqual(node.error ?? null);
  expect((os as fs.WriteStream).bytesWritten).toBe((ns as fs.WriteStream).bytesWritten);
  expect((os as fs.WriteStream).pending).toBe((ns as fs.WriteStream).pending);
  expect(fs.existsSync(b)).toBe(fs.existsSync(a));
  if (fs.existsSync(a)) expect(fs.readFileSync(b).equals(fs.readFileSync(a))).toBe(true);
  return { ours, path: b, stream: os as fs.WriteStream };
}

const skip = unavailable();
describe.skipIf(skip !== undefined)(titled('createWriteStream against fs.createWriteStream', skip), () => {
  it('writes chunks with Node\'s events, bytesWritten, path and pending', async () => {
    const fresh = createWriteStream(join(dir, 'pending'));
    expect(fresh.pending).toBe(true);
    await new Promise<void>((resolve) => fresh.destroy().once('close', () => resolve()));
    const { ours, stream, path } = await same(['hello ', Buffer.from('world'), 'x'.repeat(100_000)]);
    expect(ours.events).toEqual(['open', 'ready', 'finish', 'close']);
    expect(stream.path).toBe(path);
  });

  it('honours flags, start, encoding and mode like Node', async () => {
    await same(['appended'], { flags: 'a' }, (p) => fs.writeFileSync(p, 'existing '));
    await same(['MID'], { flags: 'r+', start: 3 }, (p) => fs.writeFileSync(p, 'abcdefghij'));
    await same(['68656c6c6f'], { encoding: 'hex' });
    const { path } = await same(['secret'], { mode: 0o600 });
    expect(fs.statSync(path).mode & 0o777).toBe(0o600);
    await same(['x'], { flags: 'wx' }, (p) => fs.writeFileSync(p, 'exists'));
  });

  it('reads options as Node reads them — inherited properties too', async () => {
    await same(['MID'], { __proto__: { flags: 'r+', start: 3 } }, (p) => fs.writeFileSync(p, 'abcdefghij'));
    await same(['68656c6c6f'], { __proto__: { encoding: 'hex' } });
  });

  it('refuses options that are not an object or an encoding with Node\'s error; undefined, null and an encoding write', async () => {
    const [a, b] = paths();
    for (const options of [123, 0, true, false]) {
      let expected: unknown;
      try {
        fs.createWriteStream(a, options as never);
      } catch (error) {
        expected = error;
      }
      expect(expected).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' });
      expect(() => createWriteStream(b, options as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError', message: (expected as Error).message }));
    }
    for (const options of [undefined, null, 'utf8', { encoding: 'utf8' }]) await same(['x'], options as never);
  });

  it('fails like Node in a missing directory', async () => {
    const node = await recordWrite(fs.createWriteStream(join(dir, 'no/such/file')), ['x']);
    const ours = await recordWrite(createWriteStream(join(dir, 'no/such/file')), ['x']);
    expect(ours).toEqual(node);
    expect(ours.events).toEqual(['error:ENOENT', 'close']);
  });

  it('batches queued chunks into one writev', async () => {
    const [, path] = paths();
    const stream = createWriteStream(path);
    await new Promise<void>((resolve) => stream.once("ready", () => resolve()));
    const loop = getLoop();
    const before = loop.metrics.submitted;
    stream.cork();
    for (let k = 0; k < 100; k++) stream.write(`line ${k}\n`);
    process.nextTick(() => stream.uncork());
    await new Promise<void>((resolve) => stream.end().once("close", () => resolve()));
    expect(loop.metrics.submitted - before).toBe(2); // one writev for all 100 chunks, then close
    expect(fs.readFileSync(path, 'utf8')).toBe(Array.from({ length: 100 }, (_, k) => `line ${k}\n`).join(''));
  });

  it('flushes (fsync) before closing with flush: true, and keeps the fd with autoClose: false', async () => {
    const [, path] = paths();
    const order: string[] = [];
    const spy = <K extends 'fsync' | 'close'>(name: K) => {
      const original = uringFsOps[name];
      uringFsOps[name] = ((fd: number, cb: (e: Error | null) => void) => (order.push(name), original(fd, cb))) as never;
      return () => (uringFsOps[name] = original);
    };
    const restore = [spy('fsync'), spy('close')];
    try {
      await recordWrite(createWriteStream(path, { flush: true }), ['durable']);
    } finally {
      restore.forEach((r) => r());
    }
    expect(order).toEqual(['fsync', 'close']);
    expect(fs.readFileSync(path, 'utf8')).toBe('durable');

    const kept = createWriteStream(path, { autoClose: false, emitClose: false });
    kept.end('kept');
    await new Promise<void>((resolve) => kept.once("finish", () => resolve()));
    const fd = (kept as unknown as { fd: number }).fd;
    expect(fs.fstatSync(fd).isFile()).toBe(true);
    fs.closeSync(fd);
  });

  it('rejects writes after end and an aborted signal like Node', async () => {
    const [, path] = paths();
    const stream = createWriteStream(path);
    const emitted = new Promise<NodeJS.ErrnoException>((resolve) => stream.once('error', resolve));
    stream.end('done');
    const error = await new Promise<NodeJS.ErrnoException>((resolve) => stream.write('more', (e) => resolve(e as NodeJS.ErrnoException)));
    expect(error.code).toBe('ERR_STREAM_WRITE_AFTER_END');
    expect((await emitted).code).toBe('ERR_STREAM_WRITE_AFTER_END'); // Node emits it as well
    // Whether Node's own aborted stream gets as far as creating the file depends on timing, so
    // compare what a user can rely on: the events and the error.
    const [a, b] = paths();
    const node = await recordWrite(fs.createWriteStream(a, { signal: AbortSignal.abort() }), ['x']);
    const ours = await recordWrite(createWriteStream(b, { signal: AbortSignal.abort() }), ['x']);
    expect(ours).toEqual(node);
    expect(ours.events).toEqual(['error:ABORT_ERR', 'close']);
  });
});
