import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolEnv } from './test-env.js';

const bin = fileURLToPath(new URL('../bin/uring-demo.mjs', import.meta.url));
const run = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
const curl = spawnSync('curl', ['--version'], { env: toolEnv() }).status === 0;

const dir = mkdtempSync(join(tmpdir(), 'uring-demo-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One line on stderr, a non-zero exit code, no stack trace. */
function expectOneLineError(r: ReturnType<typeof run>, status: number, text: string) {
  expect(r.status).toBe(status);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(text);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('uring-demo info', () => {
  it('info --json reports the kernel and io_uring support', () => {
    const r = run(['info', '--json']);
    expect(r.status).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.kernel).toMatch(/^\d+\.\d+/);
    if (info.supported) expect(info.ops).toContain('READ');
    else expect(info.reason).toBeTypeOf('string');
    const backend = info.supported ? 'io_uring' : 'node';
    expect(info.backends).toEqual({ fs: backend, net: backend, streams: backend });
  });

  it('says why io_uring is off under URING_DISABLE=1', () => {
    const r = run(['info'], { URING_DISABLE: '1' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('unavailable (disabled-by-env)');
    expect(r.stdout).toContain('backends   @uring/fs: node, @uring/net: node, @uring/streams: node');
  });
});

describe('uring-demo bad input', () => {
  it('an unknown command, an unknown option, a missing argument, a bad port: one line, exit 2', () => {
    expectOneLineError(run(['frobnicate']), 2, "unknown command 'frobnicate'");
    expectOneLineError(run(['bench', '--bogus']), 2, "Unknown option '--bogus'");
    expectOneLineError(run(['bench', '--only', 'nope']), 2, "unknown package 'nope'");
    expectOneLineError(run(['cp', 'only-one']), 2, 'expected 2 arguments, got 1');
    expectOneLineError(run(['serve', dir, '--port', 'http']), 2, '--port must be an integer');
  });

  it('missing paths, a port in use, no io_uring for bench: one line, exit 1', async () => {
    expectOneLineError(run(['cp', join(dir, 'missing'), join(dir, 'x')]), 1, "ENOENT: no such file or directory, stat '");
    expectOneLineError(run(['cp', dir, join(dir, 'x')]), 1, 'EISDIR');
    expectOneLineError(run(['serve', join(dir, 'missing')]), 1, 'no such directory');
    const blocker = createServer().listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const { port } = blocker.address() as { port: number };
    const r = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [bin, 'serve', dir, '--port', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      child.on('close', (status) => resolve({ status, stderr }));
    });
    blocker.close();
    expectOneLineError({ ...r, stdout: '' } as ReturnType<typeof run>, 1, `the port is in use (listen EADDRINUSE: address already in use 127.0.0.1:${port})`);
    expectOneLineError(run(['bench'], { URING_DISABLE: '1' }), 1, 'io_uring is unavailable here (disabled-by-env)');
  }, 30_000); // five child processes, each loading the addon: ~0.8 s here, 3–5 s under the sanitizers
});

describe('uring-demo cp', () => {
  it.each([['io_uring', {}], ['the fallback', { URING_DISABLE: '1' }]] as const)('copies byte-exact through %s, into a directory too, keeping the mode', (_, env) => {
    const src = join(dir, `src-${Object.keys(env).length}.bin`);
    const content = randomBytes((40 << 20) + 12345); // more than two 16 MiB chunks, and a tail
    writeFileSync(src, content, { mode: 0o640 });
    const dst = join(dir, `dst-${Object.keys(env).length}.bin`);
    const r = run(['cp', src, dst], env);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^copied 40\.0 MiB to .* in [\d.]+ s \(\d+ MB\/s\)\n$/);
    expect(readFileSync(dst).equals(content)).toBe(true);
    expect(statSync(dst).mode & 0o777).toBe(0o640);
    const into = join(dir, `into-${Object.keys(env).length}`);
    mkdirSync(into);
    expect(run(['cp', src, into], env).status).toBe(0);
    expect(readFileSync(join(into, `src-${Object.keys(env).length}.bin`)).equals(content)).toBe(true);
    expectOneLineError(run(['cp', src, src], env), 1, 'are the same file');
    expect(readFileSync(src).equals(content)).toBe(true);
  });
});

describe('uring-demo serve', () => {
  const root = join(dir, 'www');
  const big = randomBytes((3 << 20) + 777);
  let child: ChildProcess;
  let url: string;
  let log = '';

  beforeAll(async () => {
    mkdirSync(join(root, 'docs'), { recursive: true });
    mkdirSync(join(root, 'site'), { recursive: true });
    writeFileSync(join(root, 'big.bin'), big);
    writeFileSync(join(root, 'hello.txt'), 'hello, ring\n');
    writeFileSync(join(root, 'docs', 'a b.md'), '# a\n');
    writeFileSync(join(root, 'site', 'index.html'), '<h1>site</h1>\n');
    child = spawn(process.execPath, [bin, 'serve', root, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (log += c));
    while (!/http:\/\/\S+/.test(log)) await once(child.stdout!, 'data');
    url = /http:\/\/\S+/.exec(log)![0];
  });

  afterAll(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  it('answers fetch byte-exact: a large file, a small one, HEAD, types and lengths', async () => {
    const res = await fetch(`${url}big.bin`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(big.length));
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await res.arrayBuffer()).equals(big)).toBe(true);
    const small = await fetch(`${url}hello.txt`);
    expect(small.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await small.text()).toBe('hello, ring\n');
    const head = await fetch(`${url}big.bin`, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length'), (await head.arrayBuffer()).byteLength]).toEqual([200, String(big.length), 0]);
    expect((await fetch(`${url}hello.txt`, { method: 'POST' })).status).toBe(405);
  });

  it('range requests: 206 with the bytes and Content-Range, 416 past the end', async () => {
    const part = await fetch(`${url}big.bin`, { headers: { range: 'bytes=100000-2199999' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100000-2199999/${big.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(big.subarray(100000, 2200000))).toBe(true);
    const suffix = await fetch(`${url}big.bin`, { headers: { range: 'bytes=-10' } });
    expect(Buffer.from(await suffix.arrayBuffer()).equals(big.subarray(-10))).toBe(true);
    const past = await fetch(`${url}big.bin`, { headers: { range: `bytes=${big.length}-` } });
    expect([past.status, past.headers.get('content-range')]).toEqual([416, `bytes */${big.length}`]);
  });

  it('404s (also for paths that climb out of the root), directory index and listing, redirect to the slash', async () => {
    expect((await fetch(`${url}nope.txt`)).status).toBe(404);
    expect((await fetch(`${url}hello.txt/x`)).status).toBe(404);
    expect((await fetch(`${url}..%2f..%2fetc%2fpasswd`)).status).toBe(404);
    expect(await (await fetch(`${url}site/`)).text()).toBe('<h1>site</h1>\n');
    const listing = await (await fetch(url)).text();
    for (const name of ['big.bin', 'hello.txt', 'docs/', 'site/']) expect(listing).toContain(`>${name}</a>`);
    expect(await (await fetch(`${url}docs/`)).text()).toContain('href="a%20b.md"');
    expect(await (await fetch(`${url}docs/a%20b.md`)).text()).toBe('# a\n');
    const moved = await fetch(`${url}docs`, { redirect: 'manual' });
    expect([moved.status, moved.headers.get('location')]).toEqual([301, '/docs/']);
  });

  it.skipIf(!curl)('answers curl byte-exact over one keep-alive connection (needs curl)', () => {
    const out = join(dir, 'curl-big.bin');
    const r = spawnSync('curl', ['-sS', '-o', join(dir, 'curl-small.txt'), `${url}hello.txt`, '-o', out, `${url}big.bin`, '-w', '%{http_code} %{num_connects}\n'], { encoding: 'utf8', env: toolEnv() });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('200 1\n200 0\n'); // the second transfer reused the first connection
    expect(readFileSync(out).equals(big)).toBe(true);
    expect(readFileSync(join(dir, 'curl-small.txt'), 'utf8')).toBe('hello, ring\n');
  });

  it('logs each request and exits 0 on SIGTERM', async () => {
    await fetch(`${url}hello.txt`).then((r) => r.text());
    expect(log).toContain('GET /hello.txt 200 12 B');
    expect(log).toContain('(fs: io_uring, net: io_uring)');
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });
});

describe('uring-demo serve without io_uring', () => {
  it('serves the same bytes through the node:net / node:fs fallback (URING_DISABLE=1)', async () => {
    const root = join(dir, 'www-fallback');
    mkdirSync(root);
    const big = randomBytes((2 << 20) + 3);
    writeFileSync(join(root, 'big.bin'), big);
    const child = spawn(process.execPath, [bin, 'serve', root, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, URING_DISABLE: '1' } });
    let log = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (log += c));
    while (!/http:\/\/\S+/.test(log)) await once(child.stdout, 'data');
    const url = /http:\/\/\S+/.exec(log)![0];
    expect(log).toContain('(fs: node, net: node)');
    const whole = Buffer.from(await (await fetch(`${url}big.bin`)).arrayBuffer());
    const part = await fetch(`${url}big.bin`, { headers: { range: 'bytes=70000-1999999' } });
    expect(whole.equals(big)).toBe(true);
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).equals(big.subarray(70000, 2000000))).toBe(true);
    child.kill('SIGTERM');
    expect((await once(child, 'exit'))[0]).toBe(0);
  });
});

describe('uring-demo bench', () => {
  it('--json in a tiny run (one package): well-formed results, and the chart and tables on disk', () => {
    const out = join(dir, 'bench-out');
    const r = run(['bench', '--json', '--only', 'streams', '--out', out]);
    expect(r.status).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.mode).toBe('quick');
    expect(result.failures).toEqual([]);
    expect(result.machine.node).toBe(process.version);
    expect(result.machine.syscallNs).toBeGreaterThan(0); // this machine has cc
    expect(r.stderr).toMatch(/a system call costs [\d.]+ (ns|µs) \(getppid\) here/);
    expect(result.figures.length).toBeGreaterThanOrEqual(3);
    for (const f of result.figures) {
      expect(f.package).toBe('@uring/streams');
      for (const key of ['ours', 'theirs', 'ratio', 'speedup']) expect(f[key]).toBeGreaterThan(0);
    }
    expect(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'))).toEqual(result);
    const svg = readFileSync(join(out, 'chart.svg'), 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<rect [^>]*opacity/g)).toHaveLength(result.figures.length);
    const md = readFileSync(join(out, 'results.md'), 'utf8');
    expect(md).toContain('| @uring/streams | copy: pipeline(read, write)');
    expect(md).toMatch(/, a system call [\d.]+ (ns|µs) \(getppid\)\n/);
    expect(svg).toContain('syscall ');
    expect(r.stderr).toContain('[1/1] @uring/streams done in');
    expect(r.stderr).toContain(`wrote ${join(out, 'results.json')}`);
    expect(existsSync(join(out, 'chart.png'))).toBe(r.stderr.includes('chart.png') && !r.stderr.includes('no chart.png'));
  }, 30_000); // a real (short) benchmark run in a child process, beside the other suites in CI
});
