import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { titled, unavailable } from '@uring/ring/test';
import { afterAll, describe, expect, it } from 'vitest';
import { fileSink, fileSource } from './file-io.js';
import { SinkWritable } from './sink-writable.js';
import { SourceReadable } from './source-readable.js';
import { toWebReadable, toWebWritable } from './web.js';

const dir = fs.mkdtempSync(join(tmpdir(), 'uring-generic-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const data = randomBytes(300_000);
const src = join(dir, 'src');
fs.writeFileSync(src, data);

const skip = unavailable();
describe.skipIf(skip !== undefined)(titled('generic and web streams', skip), () => {
  it('SourceReadable reads ranges in order and closes once', async () => {
    const fd = fs.openSync(src, 'r');
    let closes = 0;
    const chunks: Buffer[] = [];
    const stream = new SourceReadable(fileSource(fd), { start: 1000, end: 250_000, readAhead: 8, highWaterMark: 16_384, close: async () => void closes++ });
    for await (const c of stream) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(data.subarray(1000, 250_001))).toBe(true);
    expect(stream.bytesRead).toBe(249_001);
    expect(closes).toBe(1);
    fs.closeSync(fd);
  });

  it('SinkWritable batches queued chunks and finishes partial writes', async () => {
    const calls: number[] = [];
    const written: Buffer[] = [];
    const sink = {
      write: async (buffers: Buffer[]) => {
        calls.push(buffers.length);
        const all = Buffer.concat(buffers);
        const n = Math.min(all.length, 7); // a stingy sink: at most 7 bytes per call
        written.push(Buffer.from(all.subarray(0, n)));
        return n;
      },
    };
    const stream = new SinkWritable(sink);
    stream.cork();
    for (let k = 0; k < 10; k++) stream.write(`chunk-${k};`);
    process.nextTick(() => stream.uncork());
    await new Promise((resolve) => stream.end(resolve));
    expect(Buffer.concat(written).toString()).toBe(Array.from({ length: 10 }, (_, k) => `chunk-${k};`).join(''));
    expect(calls[0]).toBe(10); // the corked chunks went out in one call
    expect(stream.bytesWritten).toBe(Buffer.concat(written).length);
  });

  it('pipes a file to a file through SourceReadable and SinkWritable', async () => {
    const fd = fs.openSync(src, 'r');
    const dst = join(dir, 'copy');
    const out = fs.openSync(dst, 'w');
    await pipeline(new SourceReadable(fileSource(fd)), new SinkWritable(fileSink(out), { start: 0 }));
    expect(fs.readFileSync(dst).equals(data)).toBe(true);
    fs.closeSync(fd);
    fs.closeSync(out);
  });

  it('web ReadableStream: BYOB reads land in the caller\'s buffer; default readers work too', async () => {
    const fd = fs.openSync(src, 'r');
    const byob = toWebReadable(fileSource(fd), { end: 99_999 }).getReader({ mode: 'byob' });
    const parts: Buffer[] = [];
    let view = new Uint8Array(new ArrayBuffer(30_000));
    for (;;) {
      const { value, done } = await byob.read(view);
      if (done) break;
      parts.push(Buffer.from(value));
      view = new Uint8Array(value.buffer); // the same memory handed back, as BYOB does
    }
    expect(Buffer.concat(parts).equals(data.subarray(0, 100_000))).toBe(true);
    const chunks: Buffer[] = [];
    for await (const c of toWebReadable(fileSource(fd), { start: 5, chunkSize: 4096 })) chunks.push(Buffer.from(c));
    expect(Buffer.concat(chunks).equals(data.subarray(5))).toBe(true);
    fs.closeSync(fd);
  });

  it('web ReadableStream: cancel closes once; web WritableStream writes everything', async () => {
    const fd = fs.openSync(src, 'r');
    let closes = 0;
    const reader = toWebReadable(fileSource(fd), { close: async () => void closes++ }).getReader();
    await reader.read();
    await reader.cancel();
    expect(closes).toBe(1);
    fs.closeSync(fd);

    const dst = join(dir, 'web-out');
    const out = fs.openSync(dst, 'w');
    const writer = toWebWritable(fileSink(out), { start: 0 }).getWriter();
    await writer.write(new TextEncoder().encode('web '));
    await writer.write(data.subarray(0, 1000));
    await writer.close();
    expect(fs.readFileSync(dst).equals(Buffer.concat([Buffer.from('web '), data.subarray(0, 1000)]))).toBe(true);
    fs.closeSync(out);
  });
});
