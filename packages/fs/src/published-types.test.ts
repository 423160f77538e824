import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileBesideNode, diagnosticLines } from '@uring/ring/test';

// The built declarations (dist/index.d.ts, .d.cts) as a TypeScript user of the package gets them:
// code typed against node:fs/promises compiles unchanged with '@uring/fs' in its place — ES
// module and CommonJS, the default export used as a namespace of types, named imports — and what
// Node's types reject, ours reject too. Each source is compiled for both modules, so it is known
// to be right for Node's own types.
const packageDir = fileURLToPath(new URL('..', import.meta.url));

const ESM = `
import fs from 'MODULE';
import * as star from 'MODULE';
import { open, readFile, writeFile, stat, readdir, opendir, constants, type FileHandle, type FileReadResult, type FlagAndOpenMode, type CreateReadStreamOptions } from 'MODULE';

async function copyHead(from: string, to: string): Promise<number> {
  const source: FileHandle = await open(from, 'r');
  const target: fs.FileHandle = await fs.open(to, 'w');
  const third: star.FileHandle = await star.open(to, constants.O_RDONLY);
  try {
    const { bytesRead, buffer }: FileReadResult<Buffer> = await source.read(Buffer.alloc(64), 0, 64, 0);
    await target.write(buffer, 0, bytesRead);
    const options: CreateReadStreamOptions = { start: 0, end: 10 };
    source.createReadStream(options).destroy();
    return bytesRead;
  } finally {
    await Promise.all([source.close(), target.close(), third.close()]);
  }
}
const text: string = await readFile('/etc/hostname', 'utf8');
const bytes: Buffer = await fs.readFile('/etc/hostname');
await writeFile('/tmp/x', text, { mode: 0o600 } satisfies FlagAndOpenMode);
const small = await stat('/etc'); const big = await fs.stat('/etc', { bigint: true });
const sizes: [number, bigint] = [small.size, big.size];
const entries = await readdir('/etc', { withFileTypes: true }); const first: string | undefined = entries[0]?.name;
for await (const entry of await opendir('/etc')) { console.log(entry.name); break; }
const handles: Array<fs.FileHandle> = [];
console.log(copyHead, bytes, sizes, first, handles);
`;

const CJS = `
import fsp = require('MODULE');
async function size(path: string): Promise<number> {
  const handle: fsp.FileHandle = await fsp.open(path);
  try { return (await handle.stat()).size; } finally { await handle.close(); }
}
console.log(size);
`;

// What Node's types reject: a number as a path, an unknown encoding, a handle as a string.
const WRONG = `
import fs from 'MODULE';
await fs.readFile(42n);
await fs.readFile('/etc/hostname', 'utf-7');
const name: string = await fs.open('/etc/hostname');
console.log(name);
`;

const MODULES: Record<string, [node: string, ours: string]> = { MODULE: ['node:fs/promises', '@uring/fs'] };

describe('the published types, as a user compiles them', () => {
  it("code typed against node:fs/promises compiles against @uring/fs: ES module, CommonJS, default export as a namespace", async () => {
    expect(await compileBesideNode(packageDir, MODULES, { 'esm.mts': ESM, 'cjs.cts': CJS })).toEqual({ node: [], ours: [] });
  }, 60_000);

  it("what node:fs/promises' types reject, ours reject on the same lines", async () => {
    const { node, ours } = await compileBesideNode(packageDir, MODULES, { 'wrong.mts': WRONG });
    expect(node.length).toBeGreaterThanOrEqual(3);
    expect(diagnosticLines(ours)).toEqual(diagnosticLines(node));
  }, 60_000);
});
