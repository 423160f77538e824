import * as fs from 'node:fs';
import * as node from 'node:fs/promises';
import { once } from 'node:events';
import { inspect } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import uring, { backend, FileHandle } from './index.js';

const dir = fs.mkdtempSync(join(tmpdir(), 'uring-nodefh-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const CONTENT = 'hello world\n'.repeat(10_000);
let serial = 0;

/** A fresh file holding `content`, its path. */
function file(content = CONTENT): string {
  const path = join(dir, `f${serial++}`);
  fs.writeFileSync(path, content);
  return path;
}

/** A FileHandle as the EventEmitter it is (Node's and ours; @types/node's FileHandle does not say so). */
const emitter = (h: node.FileHandle) => h as unknown as NodeJS.EventEmitter;

/** Runs `scenario` with Node's open and with ours; expects the same log, and that ours gave our handles. */
async function same(scenario: (open: typeof node.open) => Promise<unknown[]>) {
  const opened: unknown[] = [];
  const ours = ((...args: Parameters<typeof node.open>) =>
    uring.open(...args).then((h) => (opened.push(h), h))) as typeof node.open;
  const expected = await scenario(node.open);
  expect(await scenario(ours)).toEqual(expected);
  expect(opened.length).toBeGreaterThan(0);
  for (const h of opened) expect(h).toBeInstanceOf(FileHandle);
}

describe(`our FileHandle where node:fs takes its own (backend: ${backend()})`, () => {
  it("node:fs's createReadStream({ fd: handle }): the same bytes and ranges, the handle closed with the stream", async () => {
    await same(async (open) => {
      const log: unknown[] = [];
      const h = await open(file(), 'r');
      emitter(h).on('close', () => log.push('handle close'));
      let n = 0;
      for await (const chunk of fs.createReadStream(null as never, { fd: h })) n += (chunk as Buffer).length;
      log.push(n, h.fd);
      const r = await open(file(), 'r');
      let text = '';
      for await (const chunk of fs.createReadStream(null as never, { fd: r, start: 6, end: 17, encoding: 'utf8' })) text += chunk;
      log.push(text, r.fd);
      const k = await open(file(), 'r');
      const kept = fs.createReadStream(null as never, { fd: k, autoClose: false, end: 4 });
      for await (const chunk of kept) log.push(String(chunk));
      log.push(k.fd === -1, (await k.read(Buffer.alloc(5), 0, 5, 12)).bytesRead);
      await k.close();
      return log;
    });
  });

  it("node:fs's createWriteStream({ fd: handle }): written through the handle, closed with the stream", async () => {
    await same(async (open) => {
      const path = file('');
      const h = await open(path, 'w');
      const w = fs.createWriteStream(null as never, { fd: h });
      w.write('abc');
      w.write(Buffer.from('def'));
      w.end('ghi');
      await once(w, 'close');
      return [fs.readFileSync(path, 'utf8'), h.fd];
    });
  });

  it('close() while a node:fs stream uses the handle: the stream closes, then close() resolves, as with Node', async () => {
    await same(async (open) => {
      const events: string[] = [];
      const h = await open(file(), 'r');
      const s = fs.createReadStream(null as never, { fd: h, highWaterMark: 16 });
      await once(s, 'readable');
      s.on('close', () => events.push('stream close'));
      emitter(h).on('close', () => events.push('handle close'));
      await h.close();
      events.push('close resolved', String(h.fd), String(s.destroyed));
      await h.close();
      return events;
    });
  });

  it("node:fs/promises' readFile, writeFile and appendFile given the handle", async () => {
    await same(async (open) => {
      const r = await open(file(), 'r');
      await r.read(Buffer.alloc(6), 0, 6, null);
      const rest = await node.readFile(r, 'utf8');
      await r.close();
      const path = file('');
      const w = await open(path, 'w+');
      await node.writeFile(w, 'xyz');
      await node.appendFile(w, '123');
      await w.close();
      return [rest.length, rest.slice(0, 12), fs.readFileSync(path, 'utf8')];
    });
  });

  it("named FileHandle as Node's, in util.inspect and in Node's error messages", async () => {
    await same(async (open) => {
      const h = await open(file(), 'r');
      const log: unknown[] = [h.constructor.name, inspect(h).split(' ')[0]];
      try {
        fs.createReadStream('x', { start: h as never });
      } catch (error) {
        log.push((error as Error).message);
      }
      await h.close();
      return log;
    });
  });

  it("refusals as Node's: a custom fs with a handle, a stream over a closed handle", async () => {
    await same(async (open) => {
      const log: unknown[] = [];
      const h = await open(file(), 'r');
      try {
        fs.createReadStream(null as never, { fd: h, fs: {} as never });
      } catch (error) {
        log.push((error as NodeJS.ErrnoException).code);
      }
      await h.close();
      try {
        fs.createReadStream(null as never, { fd: h });
      } catch (error) {
        log.push((error as NodeJS.ErrnoException).code, (error as Error).message);
      }
      return log;
    });
  });
});
