import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { backend } from './index.js';

// Servers in cluster workers, against node:net's: a program that forks two workers runs once with
// node:net and once with the built @uring/net, and prints what happened; the two must agree.

const dir = mkdtempSync(join(tmpdir(), 'uring-cluster-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

// node program.mjs <dist> node|uring <scenario>: a primary and two workers.
const program = `
import cluster from 'node:cluster';
import { once } from 'node:events';
import * as http from 'node:http';
import * as nodeNet from 'node:net';
const [dist, kind, scenario] = process.argv.slice(2);
const uring = await import(dist);
const net = kind === 'node' ? nodeNet : uring.default;
const errorShape = (e) => ({ message: e.message, code: e.code, errno: e.errno, syscall: e.syscall, address: e.address, port: e.port });
const ask = (to) => new Promise((resolve, reject) => {
  const s = typeof to === 'string' ? nodeNet.connect(to) : nodeNet.connect(to, '127.0.0.1');
  let got = '';
  s.on('data', (d) => (got += d)).on('end', () => resolve(got)).on('error', reject);
  s.end('ping');
});

if (cluster.isPrimary) {
  const out = { workers: [] };
  const blocker = scenario === 'inuse' ? nodeNet.createServer().listen(0, '127.0.0.1') : undefined;
  if (blocker) await once(blocker, 'listening');
  if (scenario === 'shared') cluster.schedulingPolicy = cluster.SCHED_NONE;
  const path = ${JSON.stringify(join(dir, 'w.sock'))} + '.' + kind;
  const port = blocker ? blocker.address().port : 0;
  const reports = [];
  const exits = [];
  const listeningEvents = []; // the primary's 'listening' (worker, address): the worker tells it once listening
  cluster.on('listening', (worker, a) => listeningEvents.push(JSON.stringify({ addressType: a.addressType, address: a.address === path ? 'PATH' : a.address, port: a.port > 0 ? 'PORT' : a.port })));
  for (let i = 0; i < 2; i++) {
    const worker = cluster.fork({ SCENARIO: scenario, PORT: String(port), SOCK: path });
    reports.push(new Promise((resolve) => worker.once('message', resolve)));
    exits.push(once(worker, 'exit'));
  }
  const listened = await Promise.all(reports);
  // Ports differ from run to run, and so does the socket path: named, not given.
  const plain = (k, v) => (k === 'port' && typeof v === 'number' && v > 0 ? 'PORT' : typeof v === 'string' ? v.replace(path, 'PATH').replace(/:\\d+$/, ':PORT') : v);
  out.workers = listened.map((r) => JSON.stringify(r, plain)).sort();
  const at = listened.find((r) => r.address)?.address;
  if (at !== undefined) {
    const answers = [];
    for (let k = 0; k < 6; k++) answers.push(await ask(typeof at === 'string' ? at : at.port));
    out.answers = answers.every((a) => /^w[12]:ping$/.test(a));
    if (scenario !== 'shared') out.workersAnswering = new Set(answers).size; // the kernel picks the acceptor in 'shared'
    out.samePort = typeof at === 'string' || listened.every((r) => r.address?.port === at.port);
  }
  if (scenario === 'disconnect') {
    // Each worker's http server holds an idle keep-alive connection: disconnect() closes the server,
    // which closes that connection, so the worker exits at once (not after the keep-alive timeout).
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = () => new Promise((resolve) => http.get({ port: at.port, host: '127.0.0.1', agent }, (res) => { res.resume(); res.on('end', resolve); }));
    await get();
    const started = Date.now();
    for (const w of Object.values(cluster.workers)) w.disconnect();
    out.exits = (await Promise.all(exits)).map(([code, signal]) => [code, signal]);
    out.quick = Date.now() - started < 3000;
    agent.destroy();
  } else {
    for (const w of Object.values(cluster.workers)) w.send('close');
    out.exits = (await Promise.all(exits)).map(([code, signal]) => [code, signal]);
  }
  blocker?.close();
  out.listeningEvents = listeningEvents.sort();
  console.log(JSON.stringify(out));
} else {
  const id = cluster.worker.id;
  const scenario = process.env.SCENARIO;
  let server;
  if (scenario === 'disconnect') {
    const handler = (req, res) => res.end('w' + id);
    server = kind === 'node' ? http.createServer(handler) : uring.createHttpServer(handler);
  } else {
    server = net.createServer((s) => {
      let got = '';
      s.on('data', (d) => (got += d)).on('end', () => s.end('w' + id + ':' + got));
    });
  }
  const events = [];
  server.on('error', (e) => process.send({ error: errorShape(e) }));
  server.on('close', () => events.push('close'));
  const args = {
    rr: [0, '127.0.0.1'],
    shared: [0, '127.0.0.1'],
    disconnect: [0, '127.0.0.1'],
    every: [0],
    path: [process.env.SOCK],
    inuse: [Number(process.env.PORT)],
    exclusive: [{ port: 0, host: '127.0.0.1', exclusive: true }],
  }[scenario];
  server.listen(...args, () => process.send({ listening: server.listening, address: server.address() }));
  process.on('message', (m) => {
    // The worker's own disconnect: the process then exits by itself (process.disconnect() alone makes
    // the cluster call process.exit(), whose leftovers the sanitizer run would report).
    if (m === 'close') server.close((e) => { events.push(e ? e.code : 'closed'); process.send(events); cluster.worker.disconnect(); });
  });
}
`;
const programPath = join(dir, 'program.mjs');
writeFileSync(programPath, program);

// stderr is passed through: a worker's crash shows in its exit code (reported in the output) and in
// the log, and the sanitizer run sees each process's leak report there.
async function run(kind: 'node' | 'uring', scenario: string): Promise<Record<string, unknown>> {
  // Killed if it hangs (a worker that never exits): the workers then leave with their primary.
  const child = spawn(process.execPath, [programPath, dist, kind, scenario], { stdio: ['ignore', 'pipe', 'inherit'], timeout: 20_000 });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  const [code] = await once(child, 'exit');
  expect({ code, out: out.length > 0 }).toEqual({ code: 0, out: true });
  return JSON.parse(out) as Record<string, unknown>;
}

// Longer than the program's own 20 s limit, so that a hang fails the test after killing it.
describe(`servers in cluster workers (backend: ${backend()})`, { timeout: 30_000 }, () => {
  it('two workers listening on one port share the primary\'s socket: both listen, both serve, close() releases it', async () => {
    const node = await run('node', 'rr');
    expect(await run('uring', 'rr')).toEqual(node);
    expect(node).toMatchObject({ answers: true, workersAnswering: 2, samePort: true, exits: [[0, null], [0, null]] });
  });

  it('port 0 on every address: one port for both workers, as node:net (the primary binds once)', async () => {
    const node = await run('node', 'every');
    expect(await run('uring', 'every')).toEqual(node);
    expect(node).toMatchObject({ answers: true, workersAnswering: 2, samePort: true });
  });

  it('a Unix socket path through the primary', async () => {
    const node = await run('node', 'path');
    expect(await run('uring', 'path')).toEqual(node);
    expect(node).toMatchObject({ answers: true, workersAnswering: 2 });
  });

  it("a port the primary cannot bind: 'error' as node:net's (bind EADDRINUSE null:<port>), close() then not running", async () => {
    const node = await run('node', 'inuse');
    expect(await run('uring', 'inuse')).toEqual(node);
    expect((node.workers as string[])[0]).toBe('{"error":{"message":"bind EADDRINUSE null:PORT","code":"EADDRINUSE","errno":-98,"syscall":"bind","address":null,"port":"PORT"}}');
  });

  it('exclusive: each worker binds its own socket', async () => {
    const node = await run('node', 'exclusive');
    expect(await run('uring', 'exclusive')).toEqual(node);
    expect(node.samePort).toBe(false);
  });

  it('NODE_CLUSTER_SCHED_POLICY=none: workers accept on the shared socket themselves', async () => {
    const node = await run('node', 'shared');
    expect(await run('uring', 'shared')).toEqual(node);
    expect(node).toMatchObject({ answers: true, samePort: true });
  });

  it('worker.disconnect() closes an http server (and its idle keep-alive connection) and the worker exits', async () => {
    const node = await run('node', 'disconnect');
    expect(await run('uring', 'disconnect')).toEqual(node);
    expect(node).toMatchObject({ exits: [[0, null], [0, null]], quick: true });
  });
});
