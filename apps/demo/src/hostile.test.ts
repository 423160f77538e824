import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { toolEnv } from './test-env.js';

// A hostile environment: io_uring_setup fails inside a seccomp filter (EPERM, as under Docker's
// default profile) or for lack of memory (ENOMEM, as with a low RLIMIT_MEMLOCK before 5.11). The
// filter comes from test/seccomp-run.c, compiled here with the machine's C compiler.
const demo = fileURLToPath(new URL('..', import.meta.url));
const bin = join(demo, 'bin', 'uring-demo.mjs');
const dir = mkdtempSync(join(tmpdir(), 'uring-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const helper = join(dir, 'seccomp-run');
const compiled = spawnSync('cc', ['-O2', '-o', helper, join(demo, 'test', 'seccomp-run.c')], { encoding: 'utf8', env: toolEnv() });
const noCompiler = compiled.status === 0 ? undefined : `needs a C compiler for the seccomp helper (cc: ${compiled.error?.message ?? compiled.stderr.trim()})`;

const EPERM = 1;
const EAGAIN = 11;
const ENOMEM = 12;
const underFilter = (errno: number, args: string[]) =>
  spawnSync(helper, [String(errno), process.execPath, ...args], { cwd: demo, encoding: 'utf8', timeout: 60_000, env: toolEnv() });

// Everything a user does with the three packages, printed as JSON: the same answers are expected
// with and without io_uring.
const workload = `
import fs, { backend as fsBackend } from '@uring/fs';
import net, { createHttpServer } from '@uring/net';
import { createReadStream, createWriteStream, pipeline } from '@uring/streams';
import { once } from 'node:events';
import { join } from 'node:path';
const dir = process.argv[1];
const out = {};
const payload = Buffer.alloc(3 << 20, 'uring ');
await fs.writeFile(join(dir, 'a.bin'), payload);
out.readFile = (await fs.readFile(join(dir, 'a.bin'))).equals(payload);
const handle = await fs.open(join(dir, 'a.bin'), 'r');
const { bytesRead } = await handle.read(Buffer.alloc(10), 0, 10, 6);
await handle.close();
out.read = bytesRead;
out.missing = await fs.stat(join(dir, 'nope')).catch((e) => e.code + ' ' + e.syscall);
await pipeline(createReadStream(join(dir, 'a.bin')), createWriteStream(join(dir, 'b.bin')));
out.streamCopy = (await fs.readFile(join(dir, 'b.bin'))).equals(payload);
const server = net.createServer((s) => s.pipe(s)).listen(0, '127.0.0.1');
await once(server, 'listening');
const client = net.connect(server.address().port, '127.0.0.1');
client.end('echo');
let echoed = '';
for await (const chunk of client) echoed += chunk;
out.echo = echoed;
server.close();
const http = createHttpServer((req, res) => res.end('hi ' + req.url)).listen(0, '127.0.0.1');
await once(http, 'listening');
out.http = await (await fetch('http://127.0.0.1:' + http.address().port + '/x')).text();
http.close();
out.backends = [fsBackend(), net.backend()];
console.log(JSON.stringify(out));
`;

describe.skipIf(noCompiler !== undefined)(`a hostile environment${noCompiler ? ` (skipped: ${noCompiler})` : ''}`, () => {
  it.each([
    ['EPERM from a seccomp filter', EPERM, 'seccomp'],
    ['ENOMEM', ENOMEM, 'enomem'],
    ['EAGAIN', EAGAIN, 'other'],
  ] as const)('io_uring_setup fails with %s: fs, net and streams work through the fallback, and info says why', (_, errno, reason) => {
    const info = underFilter(errno, [bin, 'info', '--json']);
    expect(info.status).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({ supported: false, reason, backends: { fs: 'node', net: 'node', streams: 'node' } });
    const text = underFilter(errno, [bin, 'info']);
    expect(text.stdout).toContain(`io_uring   unavailable (${reason})`);

    const work = join(dir, reason);
    mkdirSync(work);
    const run = underFilter(errno, ['--input-type=module', '-e', workload, work]);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({
      readFile: true,
      read: 10,
      missing: 'ENOENT stat',
      streamCopy: true,
      echo: 'echo',
      http: 'hi /x',
      backends: ['node', 'node'],
    });

    const cp = underFilter(errno, [bin, 'cp', join(work, 'a.bin'), join(work, 'c.bin')]);
    expect(cp.status).toBe(0);
    const bench = underFilter(errno, [bin, 'bench']);
    expect(bench.status).toBe(1);
    expect(bench.stderr.trim()).toBe(`uring-demo bench: io_uring is unavailable here (${reason}): nothing to compare — see 'uring-demo info'`);
  });

  it('the same workload gives the same answers without the filter, on the backend this machine has', () => {
    const here = JSON.parse(spawnSync(process.execPath, [bin, 'info', '--json'], { encoding: 'utf8' }).stdout).supported ? 'io_uring' : 'node';
    const work = join(dir, 'direct');
    mkdirSync(work);
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', workload, work], { cwd: demo, encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toMatchObject({ readFile: true, read: 10, missing: 'ENOENT stat', streamCopy: true, echo: 'echo', http: 'hi /x', backends: [here, here] });
  });
});
