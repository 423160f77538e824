import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileBesideNode, diagnosticLines } from '@uring/ring/test';

// The built declarations (dist/index.d.ts, .d.cts) as a TypeScript user of the package gets them:
// code typed against node:fs's file streams and node:stream/promises' pipeline compiles unchanged
// with '@uring/streams' in their place, ES module and CommonJS, and what Node's types reject, ours
// reject too. Each source is compiled for both, so it is known to be right for Node's own types.
const packageDir = fileURLToPath(new URL('..', import.meta.url));

const ESM = `
import { createReadStream, createWriteStream, ReadStream, WriteStream } from 'FS';
import { pipeline } from 'PIPELINE';
import { Transform } from 'node:stream';

const source: ReadStream = createReadStream('/etc/hostname', { start: 0, end: 99, highWaterMark: 1024 });
const sink: WriteStream = createWriteStream('/tmp/out', { flags: 'w', encoding: 'utf8' });
const counts: [number, number, string | Buffer] = [source.bytesRead, sink.bytesWritten, source.path];
if (source instanceof ReadStream && sink instanceof WriteStream) console.log(source.pending, sink.pending);
await pipeline(createReadStream('/etc/hostname'), createWriteStream('/tmp/out'));
await pipeline(createReadStream('/etc/hostname'), createWriteStream('/tmp/out'), { signal: AbortSignal.timeout(1000), end: true });
await pipeline(createReadStream('/etc/hostname'), new Transform({ transform(chunk, _encoding, done) { done(null, chunk); } }), createWriteStream('/tmp/out'));
await pipeline(createReadStream('/etc/hostname'), async function* (chunks) { for await (const chunk of chunks) yield String(chunk).toUpperCase(); }, createWriteStream('/tmp/out'));
const lines: number = await pipeline(createReadStream('/etc/hostname'), async (chunks: AsyncIterable<Buffer>) => { let n = 0; for await (const chunk of chunks) n += chunk.length; return n; });
console.log(counts, lines);
`;

const CJS = `
import streams = require('FS');
import promises = require('PIPELINE');
const source: streams.ReadStream = streams.createReadStream('/etc/hostname');
promises.pipeline(source, streams.createWriteStream('/tmp/out')).then(() => console.log('copied'));
`;

// What Node's types reject: a number as options, a ReadStream as a WriteStream, a non-stream in a pipeline.
const WRONG = `
import { createReadStream, type WriteStream } from 'FS';
import { pipeline } from 'PIPELINE';
createReadStream('/etc/hostname', 42);
const sink: WriteStream = createReadStream('/etc/hostname');
await pipeline(createReadStream('/etc/hostname'), 'out.txt');
console.log(sink);
`;

const MODULES: Record<string, [node: string, ours: string]> = { FS: ['node:fs', '@uring/streams'], PIPELINE: ['node:stream/promises', '@uring/streams'] };

describe('the published types, as a user compiles them', () => {
  it("code typed against node:fs's streams and stream/promises' pipeline compiles against @uring/streams", async () => {
    expect(await compileBesideNode(packageDir, MODULES, { 'esm.mts': ESM, 'cjs.cts': CJS })).toEqual({ node: [], ours: [] });
  }, 60_000);

  it("what Node's types reject, ours reject on the same lines", async () => {
    const { node, ours } = await compileBesideNode(packageDir, MODULES, { 'wrong.mts': WRONG });
    expect(node.length).toBeGreaterThanOrEqual(3);
    expect(diagnosticLines(ours)).toEqual(diagnosticLines(node));
  }, 60_000);
});
