import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { getLoop } from '@uring/loop';
import { titled, unavailable } from '@uring/ring/test';
import { afterAll, describe, expect, it } from 'vitest';
import { pipeline } from './pipeline.js';
import { createReadStream } from './read-stream.js';
import { createWriteStream } from './write-stream.js';

const dir = fs.mkdtempSync(join(tmpdir(), 'uring-pipeline-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 }));
const size = 5 * (1 << 20) + 12345;
const data = randomBytes(size);
const src = join(dir, 'src');
fs.writeFileSync(src, data);
let n = 0;
const out = () => join(dir, `out-${n++}`);

/** A loopback server that collects one connection's bytes; `destroyAfter` resets it early. */
async function sink(destroyAfter = Infinity) {
  let resolveDone!: (b: Buffer) => void;
  const done = new Promise<Buffer>((r) => (resolveDone = r));
  const server = createServer((conn) => {
    const chunks: Buffer[] = [];
    let total = 0;
    conn.on('data', (c) => {
      chunks.push(c);
      total += c.length;
      if (total >= destroyAfter) conn.resetAndDestroy();
    });
    conn.on('close', () => resolveDone(Buffer.concat(chunks)));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await once(socket, 'connect');
  return { socket, done, close: () => server.close() };
}

const skip = unavailable();
describe.skipIf(skip !== undefined)(titled('pipeline with the splice fast path', skip), () => {
  it('copies file to file through the kernel: same bytes, far fewer operations', async () => {
    const dst = out();
    const loop = getLoop();
    const before = loop.metrics.submitted;
    const rs = createReadStream(src);
    const ws = createWriteStream(dst);
    let dataEvents = 0;
    await pipeline(rs, ws);
    rs.on('data', () => dataEvents++);
    expect(fs.readFileSync(dst).equals(data)).toBe(true);
    expect(dataEvents).toBe(0); // nothing went through JavaScript
    expect(rs.bytesRead).toBe(size);
    expect(ws.bytesWritten).toBe(size);
    // 1 MiB per pipe fill: ~2 splices per MiB, against 2 ops per 64 KiB chunk the ordinary way.
    expect(loop.metrics.submitted - before).toBeLessThan(size / 65536);
  });

  it('honours ranges on both ends', async () => {
    const dst = out();
    fs.writeFileSync(dst, Buffer.alloc(100, 'z'));
    await pipeline(createReadStream(src, { start: 1000, end: 2_000_000 }), createWriteStream(dst, { flags: 'r+', start: 50 }));
    const expected = Buffer.concat([Buffer.alloc(50, 'z'), data.subarray(1000, 2_000_001)]);
    expect(fs.readFileSync(dst).equals(expected)).toBe(true);
  });

  it('serves a file to a socket through the kernel and ends the socket', async () => {
    const { socket, done, close } = await sink();
    await pipeline(createReadStream(src), socket);
    expect((await done).equals(data)).toBe(true);
    close();
  });

  it('falls back to the ordinary path when it cannot splice, with the same result', async () => {
    const a = out();
    await pipeline(createReadStream(src), new Transform({ transform: (c, _e, cb) => cb(null, c) }), createWriteStream(a));
    expect(fs.readFileSync(a).equals(data)).toBe(true);
    const b = out();
    await pipeline(createReadStream(src), fs.createWriteStream(b)); // not ours: Node's pipeline
    expect(fs.readFileSync(b).equals(data)).toBe(true);
    const c = out();
    await pipeline(createReadStream(src, { encoding: 'latin1' }), createWriteStream(c, { encoding: 'latin1' }));
    expect(fs.readFileSync(c).equals(data)).toBe(true);
  });

  it("its options as stream/promises' pipeline takes them: a signal aborted already rejects with an AbortError, end: false leaves the destination open", async () => {
    const { pipeline: nodePipeline } = await import('node:stream/promises');
    const outcome = async (run: typeof pipeline) => {
      const aborted = await run(createReadStream(src), createWriteStream(out()), { signal: AbortSignal.abort() }).then(
        () => 'resolved',
        (e: NodeJS.ErrnoException) => `${e.name} ${e.code}`,
      );
      const path = out();
      const ws = createWriteStream(path);
      await run(createReadStream(src, { end: 3 }), ws, { end: false });
      const open = !ws.writableEnded && !ws.destroyed;
      ws.end('!');
      await once(ws, 'close');
      return { aborted, open, written: fs.readFileSync(path).equals(Buffer.concat([data.subarray(0, 4), Buffer.from('!')])) };
    };
    const ours = await outcome(pipeline);
    expect(ours).toEqual(await outcome(nodePipeline as typeof pipeline));
    expect(ours).toEqual({ aborted: 'AbortError ABORT_ERR', open: true, written: true });
  });

  it("into a file opened to append ('a'): the file's bytes, then the source's — splice(2) refuses O_APPEND, so the copy goes through Node's pipeline", async () => {
    for (const flags of ['a', 'a+']) {
      const path = out();
      fs.writeFileSync(path, 'PRE');
      await pipeline(createReadStream(src), createWriteStream(path, { flags }));
      expect(fs.readFileSync(path).equals(Buffer.concat([Buffer.from('PRE'), data]))).toBe(true);
    }
  });

  it('tears down both ends when either fails', async () => {
    const { socket, done, close } = await sink(64 * 1024);
    const rs = createReadStream(src);
    const error = await pipeline(rs, socket).then(() => undefined, (e: NodeJS.ErrnoException) => e);
    expect(['EPIPE', 'ECONNRESET']).toContain(error?.code);
    expect(rs.destroyed).toBe(true);
    expect((socket as Socket).destroyed).toBe(true);
    await done;
    close();
    await expect(pipeline(createReadStream(join(dir, 'missing')), createWriteStream(out()))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
