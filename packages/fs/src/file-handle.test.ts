import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as node from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { afterAll, describe, expect, it } from 'vitest';
import { createReadStream, createWriteStream } from '@uring/streams';
import uring, { backend, FileHandle } from './index.js';

const dir = fs.mkdtempSync(join(tmpdir(), 'uring-fh-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const CONTENT = '0123456789abcdefghijklmnopqrstuvwxyz\nsecond line\r\nthird\n';
let serial = 0;

type Outcome = { ok: true; value: unknown } | { ok: false; error: Record<string, unknown> };

/** Results compared by value: buffers by content, result objects field by field, Stats as plain fields. */
function comparable(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return { buffer: value.toString('latin1') };
  if (ArrayBuffer.isView(value)) return { view: value.constructor.name, bytes: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1') };
  if (value instanceof fs.Stats) return { ...value };
  if (Array.isArray(value)) return value.map(comparable);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, comparable(v)]));
  return value;
}

const errorFields = (e: NodeJS.ErrnoException) => ({ name: e.name, message: e.message, code: e.code, errno: e.errno, syscall: e.syscall, path: e.path });

/**
 * Opens a fresh copy of CONTENT with Node's open and with ours, runs `call` on each handle, and
 * expects the same outcome and the same file afterwards.
 */
async function same(flags: string, call: (h: node.FileHandle, impl: typeof node) => Promise<unknown>, content: string | Buffer = CONTENT) {
  const run = async (impl: typeof node) => {
    const path = join(dir, `f${serial++}`);
    fs.writeFileSync(path, content);
    const handle = await impl.open(path, flags);
    let outcome: Outcome;
    try {
      outcome = { ok: true, value: comparable(await call(handle, impl)) };
    } catch (error) {
      outcome = { ok: false, error: errorFields(error as NodeJS.ErrnoException) };
    }
    await handle.close();
    return { outcome, after: fs.readFileSync(path).toString('latin1') };
  };
  const expected = await run(node);
  const actual = await run(uring as unknown as typeof node);
  expect(actual).toEqual(expected);
  return actual.outcome;
}

const buf = (n = 8) => Buffer.alloc(n, 0x2e);

describe(`FileHandle against Node's (backend: ${backend()})`, () => {
  it('open gives our FileHandle, on either backend', async () => {
    const h = await uring.open(join(dir, 'kind'), 'w');
    expect(h).toBeInstanceOf(FileHandle);
    expect(h.fd).toBeGreaterThan(2);
    await h.close();
    expect(h.fd).toBe(-1);
  });

  it('open: flags, modes, URLs and errors like Node', async () => {
    const missing = join(dir, 'missing', 'x');
    for (const [path, flags, mode] of [
      [missing, 'r', undefined],
      [dir, 'w', undefined],
      ['', 'r', undefined],
      ['a\0b', 'r', undefined],
      [42, 'r', undefined],
      [join(dir, 'm1'), 'nope', undefined],
      [join(dir, 'm2'), 'w', 'z'],
      [join(dir, 'm3'), 'w', -1],
      [join(dir, 'm4'), 'w', {}],
      [new URL('http://x/'), 'r', undefined],
      [join(dir, 'm5'), 1.5, undefined], // numeric flags are an int32 (Node's stringToFlags): ERR_OUT_OF_RANGE
      [join(dir, 'm6'), Number.NaN, undefined],
      [join(dir, 'm7'), 2 ** 53, undefined],
      [join(dir, 'm8'), -(2 ** 31) - 1, undefined],
    ] as const) {
      const run = (impl: typeof node) =>
        impl.open(path as string, flags, mode as number).then(
          async (h) => (await h.close(), { ok: true }),
          (e: NodeJS.ErrnoException) => errorFields(e),
        );
      expect(await run(uring as unknown as typeof node)).toEqual(await run(node));
    }
    const created = join(dir, 'created');
    const h = await uring.open(new URL(`file://${created}`), 'wx', 0o600);
    await h.close();
    expect(fs.statSync(created).mode & 0o777).toBe(0o600);
    const again = await uring.open(Buffer.from(created), fs.constants.O_RDONLY);
    await again.close();
  });

  it('read: every call shape and position form', async () => {
    const shapes: Array<(h: node.FileHandle) => Promise<unknown>> = [
      (h) => h.read(buf(), 0, 4, 0),
      (h) => h.read(buf(), 2, 4, 5),
      (h) => h.read(buf(), 0, 4, null),
      (h) => h.read(buf()),
      (h) => h.read(),
      (h) => h.read({ buffer: buf(3), position: 2 }),
      (h) => h.read({ buffer: buf(6), offset: 1, length: 2 }),
      (h) => h.read(buf(5), { position: 2, length: 2, offset: 1 }),
      (h) => h.read(buf(5), null as never, 2, 1),
      (h) => h.read(buf(5), 0, null as never, 3),
      (h) => h.read(new Uint16Array(2), 0, 4, 0),
      (h) => h.read(new DataView(new ArrayBuffer(4)), 0, 4, 0),
      (h) => h.read(buf(), 0, 0, 0),
      (h) => h.read(Buffer.alloc(0)),
      (h) => h.read(buf(4), 0, 4, 1000),
      // Node 20 reads at the current position for anything but a non-negative safe integer.
      ...[1.5, -2, 'x', 2n, -1n, NaN].map((p) => async (h: node.FileHandle) => [await h.read(buf(4), 0, 4, p as number), await h.read(buf(4), 0, 4, p as number)]),
    ];
    for (const shape of shapes) await same('r', shape);
  });

  it('read: bad input fails like Node', async () => {
    const bad: Array<(h: node.FileHandle) => Promise<unknown>> = [
      (h) => h.read(buf(), 1.5),
      (h) => h.read(buf(), -1),
      (h) => h.read(buf(), 0, 11),
      (h) => h.read(buf(), 0, -1),
      (h) => h.read(buf(), 2 ** 40),
      (h) => h.read(buf(), '0' as never),
      (h) => h.read('x' as never),
      (h) => h.read([] as never),
      (h) => h.read({ buffer: 'x' } as never),
      (h) => h.read(Buffer.alloc(0), 0, 1),
    ];
    for (const call of bad) expect((await same('r', call)).ok).toBe(false);
  });

  it('read: a length Node 20 would abort the process on is refused with an error', async () => {
    const h = await uring.open(join(dir, 'len'), 'w+');
    await expect(h.read(buf(), 0, 'abc' as never, 0)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(h.read(buf(), 0, 1.5, 0)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await h.close();
  });

  it('write: buffer and string forms, positions, encodings', async () => {
    const calls: Array<(h: node.FileHandle) => Promise<unknown>> = [
      (h) => h.write(Buffer.from('XY')),
      (h) => h.write(Buffer.from('XYZ'), 1, 2, 4),
      (h) => h.write(Buffer.from('XYZ'), { offset: 1, position: 3 } as never),
      (h) => h.write(Buffer.from('XYZ'), { position: 0 } as never),
      (h) => h.write(Buffer.from('XYZ'), null as never, 1),
      (h) => h.write(new Uint16Array([0x4142, 0x4344])),
      (h) => h.write('héllo', 1, 'utf8'),
      (h) => h.write('héllo', undefined, 'latin1'),
      (h) => h.write('abc', 'x' as never, 'utf8'),
      (h) => h.write('6869', 2, 'hex'),
      (h) => h.write('abc', 0, 'nope' as never),
      (h) => h.write('q', 1n as never),
      (h) => h.write(Buffer.alloc(0), 5, 5),
      ...[1.5, -2, 'x', 2n].map((p) => async (h: node.FileHandle) => [await h.write(Buffer.from('zz'), 0, 2, p as number), await h.write(Buffer.from('ww'), 0, 2, p as number)]),
    ];
    for (const call of calls) await same('r+', call);
  });

  it('write: bad input fails like Node', async () => {
    const bad: Array<(h: node.FileHandle) => Promise<unknown>> = [
      (h) => h.write(buf(), 1.5),
      (h) => h.write(buf(), 11),
      (h) => h.write(buf(), 0, 11),
      (h) => h.write(buf(), 0, -1),
      (h) => h.write(buf(), 0, 2 ** 31),
      (h) => h.write(buf(), 0, 1.5),
      (h) => h.write(12 as never),
      (h) => h.write({} as never),
      (h) => h.write(null as never),
      (h) => h.write('abc', 0, 'hex'),
      (h) => h.write(Buffer.from('x')),
    ];
    for (const call of bad.slice(0, -1)) expect((await same('r+', call)).ok).toBe(false);
    expect((await same('r', bad.at(-1)!)).ok).toBe(false); // EBADF: opened read-only
  });

  it('readv and writev: positions, empty lists, bad input', async () => {
    const calls: Array<(h: node.FileHandle) => Promise<unknown>> = [
      (h) => h.readv([buf(3), buf(4)], 2),
      (h) => h.readv([buf(3), buf(4)]),
      (h) => h.readv([buf(3)], 1.5),
      (h) => h.readv([]),
      (h) => h.writev([Buffer.from('AB'), Buffer.from('CD')], 3),
      (h) => h.writev([Buffer.from('AB')]),
      (h) => h.writev([Buffer.from('AB')], 'x' as never),
      (h) => h.writev([]),
      (h) => h.readv('x' as never),
      (h) => h.readv([1] as never),
      (h) => h.writev([buf(), 'x'] as never),
      (h) => h.writev(undefined as never),
    ];
    for (const call of calls) await same('r+', call);
  });

  it("methods called on something that is not a FileHandle reject as node's do (ERR_INTERNAL_ASSERTION), never throw", async () => {
    const names = ['stat', 'truncate', 'sync', 'datasync', 'read', 'write', 'readv', 'writev', 'readFile', 'writeFile', 'appendFile', 'chmod', 'chown', 'utimes'] as const;
    const outcomes = async (impl: typeof node) => {
      const handle = await impl.open(join(dir, 'kind'), 'w');
      const proto = Object.getPrototypeOf(handle) as Record<string, (...args: unknown[]) => Promise<unknown>>;
      const out: string[] = [];
      for (const name of names) {
        try {
          out.push(`${name} ${await proto[name]!.call({}, Buffer.alloc(1)).then(() => 'resolves', (e: NodeJS.ErrnoException) => `rejects ${e.code} ${e.message.split('\n')[0]}`)}`);
        } catch (e) {
          out.push(`${name} throws ${(e as NodeJS.ErrnoException).code}`);
        }
      }
      await handle.close();
      return out;
    };
    expect(await outcomes(uring as unknown as typeof node)).toEqual(await outcomes(node));
  });

  it('readv and writev of more buffers than one system call takes (IOV_MAX, 1024): as node:fs — writev writes them all, readv fills the first 1024', async () => {
    const many = (n: number, make: (k: number) => Buffer) => Array.from({ length: n }, (_, k) => make(k));
    const calls: Array<(h: node.FileHandle) => Promise<unknown>> = [
      (h) => h.writev(many(2500, (k) => Buffer.from([65 + (k % 26)])), 0),
      (h) => h.writev(many(1500, (k) => Buffer.from([97 + (k % 26), 48 + (k % 10)]))),
      async (h) => {
        await h.writev(many(3000, (k) => Buffer.from([k & 255])), 5);
        const into = many(1500, () => Buffer.alloc(2));
        const { bytesRead } = await h.readv(into, 0);
        return { bytesRead, last: into[1499]!.toString('hex'), first: into[0]!.toString('hex') };
      },
    ];
    for (const call of calls) await same('r+', call);
  });

  it('readFile, writeFile and appendFile on a handle: from the current position, encodings, iterables, errors', async () => {
    const calls: Array<(h: node.FileHandle, impl: typeof node) => Promise<unknown>> = [
      (h) => h.readFile(),
      (h) => h.readFile('utf8'),
      (h) => h.readFile({ encoding: 'latin1' }),
      async (h) => (await h.read(buf(5), 0, 5, null), h.readFile('utf8')),
      (h) => h.readFile('nope' as never),
      (h) => h.readFile(12 as never),
      (h) => h.readFile({ signal: 'x' } as never),
      (h) => h.readFile({ signal: AbortSignal.abort() }),
      (h, impl) => impl.readFile(h, 'utf8'),
      (h) => h.writeFile('new content'),
      (h) => h.writeFile('6869', 'hex'),
      (h) => h.writeFile(new Uint8Array([65, 66, 67])),
      (h) => h.writeFile(['a', Buffer.from('b'), 'c'] as never),
      (h) => h.writeFile((async function* () { yield 'x'; yield Buffer.from('yz'); })() as never),
      (h) => h.writeFile(12 as never),
      (h) => h.writeFile('x', { signal: AbortSignal.abort() }),
      (h) => h.appendFile('tail'),
      async (h) => (await h.read(buf(3), 0, 3, null), h.appendFile('mid')),
      (h, impl) => impl.writeFile(h, 'via writeFile'),
      (h, impl) => impl.appendFile(h, 'via appendFile'),
      async (h, impl) => (await h.close(), impl.readFile(h)),
      async (h, impl) => (await h.close(), impl.writeFile(h, 'x')),
    ];
    for (const call of calls) await same('r+', call);
    // A file larger than one read, and an empty one.
    const big = Buffer.alloc(3 * 1024 * 1024 + 7, 'ab');
    await same('r', (h) => h.readFile(), big);
    await same('r', (h) => h.readFile('utf8'), '');
    // A file whose size stat cannot tell: read to EOF.
    const h = await uring.open('/proc/self/status', 'r');
    expect(await h.readFile('utf8')).toMatch(/^Name:/);
    await h.close();
  });

  it('stat, truncate, sync, datasync, chmod, chown, utimes', async () => {
    const calls: Array<(h: node.FileHandle) => Promise<unknown>> = [
      async (h) => {
        const s = await h.stat();
        expect({ ...s }).toEqual({ ...fs.fstatSync(h.fd) });
        return [s instanceof fs.Stats, s.size, s.mode, s.isFile(), s.isDirectory()];
      },
      async (h) => {
        const s = await h.stat({ bigint: true });
        return [typeof s.size, s.size, typeof s.mtimeNs, s.isFile()];
      },
      (h) => h.stat(null as never), // Node reads options.bigint: its TypeError
      async (h) => (await h.stat({} as never)).isFile(),
      (h) => h.truncate(5),
      (h) => h.truncate(),
      (h) => h.truncate(-5),
      (h) => h.truncate(100),
      (h) => h.truncate('x' as never),
      (h) => h.truncate(1.5),
      (h) => h.sync(),
      (h) => h.datasync(),
      async (h) => (await h.chmod(0o640), (await h.stat()).mode),
      async (h) => (await h.chmod('600'), (await h.stat()).mode),
      (h) => h.chmod('z' as never),
      async (h) => (await h.chown(process.getuid!(), process.getgid!()), (await h.stat()).uid),
      (h) => h.chown(-2, 0),
      (h) => h.chown('x' as never, 0),
      async (h) => (await h.utimes(1_000_000, new Date(2_000_000_000)), [(await h.stat()).atimeMs, (await h.stat()).mtimeMs]),
      (h) => h.utimes('x' as never, 1),
    ];
    for (const call of calls) {
      await same('r+', call);
    }
  });

  it('after close: every method rejects with EBADF "file closed", syscall named as Node names it', async () => {
    const methods: Array<(h: node.FileHandle) => Promise<unknown>> = [
      (h) => h.read(buf()),
      (h) => h.readv([buf()]),
      (h) => h.write(buf()),
      (h) => h.writev([buf()]),
      (h) => h.readFile(),
      (h) => h.writeFile('x'),
      (h) => h.appendFile('x'),
      (h) => h.stat(),
      (h) => h.truncate(),
      (h) => h.sync(),
      (h) => h.datasync(),
      (h) => h.chmod(0o600),
      (h) => h.chown(0, 0),
      (h) => h.utimes(1, 1),
    ];
    for (const method of methods) {
      const run = async (impl: typeof node) => {
        const h = await impl.open(join(dir, 'closed'), 'w+');
        await h.close();
        return method(h).then(
          () => ({ ok: true }),
          (e: NodeJS.ErrnoException) => ({ ...errorFields(e), keys: Object.keys(e).sort() }),
        );
      };
      expect(await run(uring as unknown as typeof node)).toEqual(await run(node));
    }
  });

  it('close: idempotent, emits "close" once, waits for operations in flight; asyncDispose closes', async () => {
    const h = (await uring.open(join(dir, 'waits'), 'w+')) as InstanceType<typeof FileHandle>; // (an EventEmitter, as Node's; @types/node's FileHandle does not say so)
    let closes = 0;
    h.on('close', () => closes++);
    const order: string[] = [];
    const write = h.write(Buffer.alloc(1 << 20, 1)).then((r) => order.push(`write ${r.bytesWritten}`));
    const first = h.close().then(() => order.push('closed'));
    const second = h.close();
    expect(h.fd).not.toBe(-1); // still open: the write holds it
    await Promise.all([write, first, second]);
    expect(order).toEqual([`write ${1 << 20}`, 'closed']);
    expect(h.fd).toBe(-1);
    await h.close();
    expect(closes).toBe(1);
    expect(fs.statSync(join(dir, 'waits')).size).toBe(1 << 20);

    const d = (await uring.open(join(dir, 'waits'), 'r')) as InstanceType<typeof FileHandle>;
    await d[Symbol.asyncDispose]();
    expect(d.fd).toBe(-1);
  });

  it("one of our handles as @uring/streams' `fd` (node:fs's streams take only node's FileHandle there): read and written through it, closed with the stream, as node's", async () => {
    const path = join(dir, 'handle-as-fd');
    fs.writeFileSync(path, 'hello world');
    const runs = [];
    for (const [impl, streams] of [
      [node, fs],
      [uring, { createReadStream, createWriteStream }],
    ] as const) {
      const h = await (impl as typeof node).open(path, 'r+');
      const closed = new Promise<string>((resolve) => (h as unknown as NodeJS.EventEmitter).on('close', () => resolve('handle closed')));
      const read = await text(streams.createReadStream(null as never, { fd: h as never, end: 4 }));
      const events = [read, await closed];
      const w = await (impl as typeof node).open(path, 'r+');
      const ws = streams.createWriteStream(null as never, { fd: w as never, start: 6 });
      await new Promise<void>((resolve, reject) => ws.end('WORLD', () => resolve()).on('error', reject));
      await new Promise<void>((resolve) => (ws.closed ? resolve() : ws.on('close', () => resolve())));
      events.push(fs.readFileSync(path, 'utf8'));
      let thrown = '';
      const x = await (impl as typeof node).open(path, 'r');
      try {
        streams.createReadStream(null as never, { fd: x as never, fs: {} as never });
      } catch (e) {
        thrown = (e as NodeJS.ErrnoException).code!;
      }
      await x.close();
      events.push(thrown);
      fs.writeFileSync(path, 'hello world');
      runs.push(events);
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[0]).toEqual(['hello', 'handle closed', 'hello WORLD', 'ERR_METHOD_NOT_IMPLEMENTED']);
  });

  it('createReadStream, readLines and readableWebStream: the same bytes as Node, the handle closed with the stream', async () => {
    const path = join(dir, 'streamed');
    const data = Buffer.alloc(300_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) % 251;
    fs.writeFileSync(path, data);
    const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    for (const options of [undefined, { start: 10, end: 99_999 }, { highWaterMark: 1000 }]) {
      const h = await uring.open(path, 'r');
      const chunks: Buffer[] = [];
      const stream = h.createReadStream(options);
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      const nh = await node.open(path, 'r');
      const expected: Buffer[] = [];
      for await (const chunk of nh.createReadStream(options)) expected.push(chunk as Buffer);
      expect(digest(Buffer.concat(chunks))).toBe(digest(Buffer.concat(expected)));
      await new Promise((resolve) => setImmediate(resolve));
      expect(h.fd).toBe(-1); // autoClose
    }

    const linesPath = join(dir, 'lines');
    fs.writeFileSync(linesPath, CONTENT);
    const lines: string[] = [];
    const lh = await uring.open(linesPath, 'r');
    for await (const line of lh.readLines()) lines.push(line);
    expect(lines).toEqual(['0123456789abcdefghijklmnopqrstuvwxyz', 'second line', 'third']);

    const wh = await uring.open(path, 'r');
    const web = wh.readableWebStream();
    expect(() => wh.readableWebStream()).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    const reader = web.getReader({ mode: 'byob' });
    const got: Buffer[] = [];
    for (;;) {
      const { value, done } = await reader.read(new Uint8Array(65_536));
      if (done) break;
      got.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    }
    expect(digest(Buffer.concat(got))).toBe(digest(data));
    await wh.close();
  });

  it('createWriteStream: writes through the handle and closes it', async () => {
    const path = join(dir, 'ws');
    const h = await uring.open(path, 'w');
    const stream = h.createWriteStream();
    for (let i = 0; i < 100; i++) stream.write(`line ${i}\n`);
    await new Promise<void>((resolve, reject) => stream.end(() => resolve()).on('error', reject));
    await new Promise<void>((resolve) => stream.once('close', () => resolve()));
    expect(h.fd).toBe(-1);
    expect(await text(fs.createReadStream(path))).toBe(Array.from({ length: 100 }, (_, i) => `line ${i}\n`).join(''));
  });

  it("in a worker's transferList: a clear error, and the handle stays open and usable (Node's native handle transfers; ours cannot)", async () => {
    const h = await uring.open(join(dir, 'transfer'), 'w+');
    const { port1, port2 } = new MessageChannel();
    try {
      expect(() => port1.postMessage({ h }, [h as never])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_TRANSFER_OBJECT' }));
      expect(h.fd).toBeGreaterThan(0);
      await h.writeFile('still mine');
      expect(await h.read(Buffer.alloc(10), 0, 10, 0)).toMatchObject({ bytesRead: 10 });
    } finally {
      port1.close();
      port2.close();
      await h.close();
    }
  });
});
