import { spawn } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import * as nodeNet from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import net, { backend } from './index.js';
import { nodeUnderNofile } from './testing.js';

// listen()'s arguments and options and the server's own options, against node:net's: the same
// outcome (thrown error, 'error' event, or the address listened on), events and effects.

type AnyServer = nodeNet.Server;
type AnySocket = nodeNet.Socket;
const impls = { node: nodeNet as unknown as typeof net, uring: net };
const dir = mkdtempSync(join(tmpdir(), 'uring-server-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const shape = (e: NodeJS.ErrnoException) => `${e.name} ${e.code} ${e.message}`;
const close = (server: AnyServer) => new Promise<void>((resolve) => server.close(() => resolve()));

/** What listen(...args) comes to on `impl`: a throw, an 'error', 'close' (aborted), or the address it listens on; the server is closed after. */
async function outcome(impl: typeof net, args: unknown[]): Promise<string> {
  const server = impl.createServer() as unknown as AnyServer;
  let result: string;
  try {
    server.listen(...(args as []));
    result = await new Promise<string>((resolve) => {
      server.once('listening', () => {
        const a = server.address();
        resolve(typeof a === 'string' ? `listening on a path` : `listening ${a!.address} ${a!.family}`);
      });
      server.once('error', (e) => resolve(`error ${shape(e)}`));
      server.once('close', () => resolve('closed'));
    });
  } catch (e) {
    result = `throws ${shape(e as NodeJS.ErrnoException)}`;
  }
  if (server.listening) await close(server);
  return result;
}

describe(`listen and server options, as node:net's (backend: ${backend()})`, () => {
  it("listen()'s argument forms: the same address, throw or error as node:net for each", async () => {
    const cases: unknown[][] = [
      [],
      [null],
      [undefined],
      [{}],
      [{ port: undefined }],
      [{ port: null }],
      [{ host: '127.0.0.1' }],
      [{ port: 0, host: '127.0.0.1' }],
      [{ port: 0, host: '' }],
      [{ port: 0, host: '::1', ipv6Only: true }],
      ['0'],
      ['0', '127.0.0.1'],
      [0, '127.0.0.1', 5],
      [null, 'localhost', 3],
      [0, 5],
      [{ port: 'abc' }],
      [{ port: -1 }],
      [{ port: '-1' }],
      [{ port: true }],
      [true],
      [{ path: '' }],
      [{ path: null, port: 0, host: '127.0.0.1' }],
      [{ path: '\0uring-abstract', readableAll: true }],
      [{ port: 0, host: 'no-such-host.invalid' }],
      [{ port: 0, host: 5 }], // a host that is not a string: dns.lookup()'s throw, at once
      [{ port: 0, host: {} }],
      [{ port: 0, host: 0 }], // falsy: every address
      [{ port: 0, signal: 'x' }],
      [{ port: 0, signal: AbortSignal.abort() }],
      [{ fd: 1e9 }],
      [{ fd: 0.5 }],
      [{ handle: {} }], // the handle stands for the options: neither port nor path
      [{ _handle: { port: 0, host: '127.0.0.1' } }],
      [{ handle: { port: 0, host: '127.0.0.1' }, port: 'ignored' }],
      ['/nonexistent-uring-dir/server.sock'], // EACCES, as libuv reports bind's ENOENT
      [{ path: '/nonexistent-uring-dir/server.sock' }],
      [dir], // a directory: EADDRINUSE
    ];
    for (const args of cases) expect([args, await outcome(impls.uring, args)]).toEqual([args, await outcome(impls.node, args)]);
  });

  it("with EventEmitter.captureRejections, a rejected 'connection' listener destroys that socket, as node:net's", async () => {
    const runs = [];
    for (const impl of [impls.node, impls.uring]) {
      const seen: string[] = [];
      // captureRejections is read when an emitter is made: on only while the server is.
      EventEmitter.captureRejections = true;
      let server: AnyServer;
      try {
        server = impl.createServer() as unknown as AnyServer;
      } finally {
        EventEmitter.captureRejections = false;
      }
      let closed!: () => void;
      const socketClosed = new Promise<void>((resolve) => (closed = resolve));
      server.on('connection', async (socket: nodeNet.Socket) => {
        socket.on('error', (e) => seen.push(`socket error: ${e.message}`));
        socket.on('close', () => {
          seen.push('socket close');
          closed();
        });
        throw new Error('boom');
      });
      server.on('error', (e: Error) => seen.push(`server error: ${e.message}`));
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const client = nodeNet.connect((server.address() as nodeNet.AddressInfo).port, '127.0.0.1');
      client.on('error', () => undefined);
      await Promise.all([once(client, 'close'), socketClosed]);
      await close(server);
      runs.push(seen);
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[0]).toEqual(['socket error: boom', 'socket close']);
  });

  it("close() removes the server's socket file, so the path can be listened on again; a failed listen leaves another's file", async () => {
    const runs = [];
    for (const [name, impl] of Object.entries(impls)) {
      const path = join(dir, `${name}-again.sock`);
      const server = impl.createServer() as unknown as AnyServer;
      const seen: unknown[] = [];
      for (let round = 0; round < 2; round++) {
        server.listen(path);
        await once(server, 'listening');
        const closed = close(server);
        seen.push(existsSync(path)); // right after close(): removed already, as libuv's pipe close does
        await closed;
      }
      // A second server on a path in use fails, and the first one's file stays.
      server.listen(path);
      await once(server, 'listening');
      const other = impl.createServer() as unknown as AnyServer;
      other.listen(path);
      const [error] = await once(other, 'error');
      seen.push((error as NodeJS.ErrnoException).code, existsSync(path));
      await close(server);
      seen.push(existsSync(path));
      runs.push(seen);
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[0]).toEqual([false, false, 'EADDRINUSE', true, false]);
  });

  it("address() of a Unix socket is its path as given, also past the 108 bytes the kernel keeps (a client's connect() to it cuts it the same) — as node:net's", async () => {
    const runs = [];
    for (const [name, impl] of Object.entries(impls)) {
      const path = join(dir, `${name}-${'x'.repeat(120)}.sock`);
      const server = impl.createServer((socket) => socket.end('hi')) as unknown as AnyServer;
      server.listen(path);
      await once(server, 'listening');
      const client = impl.connect(path) as unknown as AnySocket;
      let received = '';
      client.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
      await once(client, 'close');
      runs.push([server.address() === path, received]);
      await close(server);
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[0]).toEqual([true, 'hi']);
  });

  it("when listen() returns: bound (address() answers), listening, a second listen() throws; 'listening' from the next tick — as node:net's", async () => {
    const runs = [];
    for (const impl of [impls.node, impls.uring]) {
      const seen: unknown[] = [];
      const path = join(dir, `now-${runs.length}.sock`);
      for (const args of [[0], [{ port: 0 }], [path], [{ port: 0, host: 'localhost' }]]) {
        const server = impl.createServer() as unknown as AnyServer;
        const events: string[] = [];
        server.on('listening', () => events.push('listening'));
        server.listen(...(args as [number]));
        const a = server.address();
        let again: string;
        try {
          server.listen(0);
          again = 'no throw';
        } catch (e) {
          again = shape(e as NodeJS.ErrnoException);
        }
        seen.push({ address: a === null ? null : typeof a === 'string' ? 'a path' : `${a.family} port ${a.port > 0}`, listening: server.listening, again, events: [...events] });
        await once(server, 'listening');
        await close(server);
      }
      // Taken at once: a busy port fails from the next tick, and listen() may be called again right away.
      const busy = impl.createServer() as unknown as AnyServer;
      busy.listen(0);
      const { port } = busy.address() as nodeNet.AddressInfo;
      const server = impl.createServer() as unknown as AnyServer;
      server.listen(port);
      const early = server.address();
      const [error] = await once(server, 'error');
      server.listen(0);
      seen.push({ early, error: shape(error as NodeJS.ErrnoException).replace(String(port), 'PORT'), retried: typeof server.address() });
      await close(server);
      await close(busy);
      runs.push(seen);
    }
    expect(runs[1]).toEqual(runs[0]);
    // (a host name is looked up first: only then is node:net's server bound)
    expect(runs[0]!.map((r) => (r as { address?: unknown }).address)).toEqual(['IPv6 port true', 'IPv6 port true', 'a path', null, undefined]);
  });

  it('close() then listen() on the same port in the same tick — on the same server or a new one — listens, as node:net\'s (the port is free at once)', async () => {
    const runs = [];
    for (const impl of Object.values(impls)) {
      const seen = [];
      for (const same of [true, false]) {
        const first = impl.createServer() as unknown as AnyServer;
        first.listen(0, '127.0.0.1');
        await once(first, 'listening');
        const { port } = first.address() as nodeNet.AddressInfo;
        const second = same ? first : (impl.createServer() as unknown as AnyServer);
        first.close();
        second.listen(port, '127.0.0.1');
        const outcome = await Promise.race([once(second, 'listening').then(() => `listening ${(second.address() as nodeNet.AddressInfo).port === port}`), once(second, 'error').then(([e]) => `error ${(e as NodeJS.ErrnoException).code}`)]);
        // It serves: a connection to the port is accepted by the new listener.
        const accepted = once(second, 'connection');
        const client = nodeNet.connect(port, '127.0.0.1');
        const [socket] = await accepted;
        (socket as AnySocket).destroy();
        client.destroy();
        seen.push(outcome);
        await close(second);
        if (!same) await close(first);
      }
      runs.push(seen);
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[0]).toEqual(['listening true', 'listening true']);
  });

  it("close(cb) then listen() again at once (a restart on another port): the close's callback and 'close' still come, as node:net's", async () => {
    const run = async (impl: typeof net) => {
      const events: string[] = [];
      const server = impl.createServer() as unknown as AnyServer;
      server.on('close', () => events.push('close'));
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const closed = new Promise<void>((resolve) => server.close((e) => (events.push(`close cb ${e ? (e as NodeJS.ErrnoException).code : 'ok'}`), resolve())));
      server.listen(0, '127.0.0.1');
      await closed;
      await new Promise((resolve) => setTimeout(resolve, 20));
      events.push(`listening ${server.listening}`);
      await close(server);
      events.push('closed again');
      return events;
    };
    const node = await run(impls.node);
    expect(await run(impls.uring)).toEqual(node);
    expect(node).toEqual(['close', 'close cb ok', 'listening true', 'close', 'closed again']);
  });

  it("a connection counts until its destroy(), not its 'close'; connections outliving close() then a listen() that fails: 'close' when they are gone — as node:net's", async () => {
    const run = async (impl: typeof net, listenAgain: boolean) => {
      const events: string[] = [];
      const sides: AnySocket[] = [];
      const server = impl.createServer((socket) => {
        const s = socket as unknown as AnySocket;
        sides.push(s);
        s.on('close', () => events.push(`connection ${sides.indexOf(s)} close`));
      }) as unknown as AnyServer;
      server.on('close', () => events.push('close'));
      server.on('error', (e) => events.push(`error ${(e as NodeJS.ErrnoException).code}`));
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const { port } = server.address() as nodeNet.AddressInfo;
      const clients = [nodeNet.connect(port, '127.0.0.1'), nodeNet.connect(port, '127.0.0.1')];
      await Promise.all(clients.map((c) => once(c, 'connect')));
      while (sides.length < 2) await new Promise(setImmediate);
      sides[0]!.destroy();
      server.getConnections((e, n) => events.push(`connections ${n}`));
      await new Promise((resolve) => setTimeout(resolve, 20));
      server.close((e) => events.push(`close cb ${e ? (e as NodeJS.ErrnoException).code : 'ok'}`));
      const blocker = nodeNet.createServer().listen(0, '127.0.0.1');
      await once(blocker, 'listening');
      if (listenAgain) {
        server.listen((blocker.address() as nodeNet.AddressInfo).port, '127.0.0.1'); // EADDRINUSE: still closed
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      events.push(`listening ${server.listening}`);
      sides[1]!.destroy();
      events.push('destroyed the last');
      await new Promise((resolve) => setTimeout(resolve, 50));
      for (const c of clients) c.destroy();
      await new Promise((resolve) => blocker.close(resolve));
      return events;
    };
    for (const listenAgain of [false, true]) {
      const node = await run(impls.node, listenAgain);
      expect(await run(impls.uring, listenAgain)).toEqual(node);
      expect(node).toEqual([
        'connections 1',
        'connection 0 close',
        ...(listenAgain ? ['error EADDRINUSE'] : []),
        'listening false',
        'destroyed the last',
        'close',
        'close cb ok',
        'connection 1 close',
      ]);
    }
  });

  it("every close() of a drained server emits its own 'close' and calls back — twice while listening, again once closed (ERR_SERVER_NOT_RUNNING) — as node:net's", async () => {
    const run = async (impl: typeof net) => {
      const events: string[] = [];
      const server = impl.createServer() as unknown as AnyServer;
      server.on('close', () => events.push('close'));
      const closeWith = (name: string) => server.close((e) => events.push(`${name} ${e ? (e as NodeJS.ErrnoException).code : 'ok'}`));
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      closeWith('first');
      closeWith('second');
      await new Promise((resolve) => setTimeout(resolve, 30));
      events.push('--');
      closeWith('closed'); // on a closed server: node:net calls back; this used to wait for ever
      await new Promise((resolve) => setTimeout(resolve, 30));
      return events;
    };
    const node = await run(impls.node);
    expect(await run(impls.uring)).toEqual(node);
    expect(node).toEqual(['close', 'first ok', 'second ERR_SERVER_NOT_RUNNING', 'close', '--', 'close', 'closed ERR_SERVER_NOT_RUNNING']);
  });

  it("the prototypes' getters answer on the prototypes themselves, and close(notAFunction) ignores it — as node:net's", async () => {
    // Read as code that walks prototypes reads them (inspection, mocking): each getter's value, or that it throws.
    const getters = (proto: object) => {
      const out: Record<string, unknown> = {};
      for (let p = proto; p !== Object.prototype; p = Object.getPrototypeOf(p))
        for (const key of Object.getOwnPropertyNames(p)) {
          if (key in out || !Object.getOwnPropertyDescriptor(p, key)!.get) continue;
          try {
            out[key] = (proto as Record<string, unknown>)[key];
          } catch {
            out[key] = 'throws';
          }
        }
      return out;
    };
    for (const name of ['Socket', 'Server'] as const) {
      const theirs = getters(impls.node[name].prototype);
      const ours = getters(impls.uring[name].prototype);
      for (const [key, value] of Object.entries(ours)) expect([name, key, value]).toEqual([name, key, key in theirs ? theirs[key] : undefined]);
    }
    const runs = [];
    for (const impl of [impls.node, impls.uring]) {
      const server = impl.createServer() as unknown as AnyServer;
      const events: string[] = [];
      server.on('close', () => events.push('close'));
      server.listen(0);
      (server.close as (cb: unknown) => void)('bad argument');
      await once(server, 'close');
      runs.push(events);
    }
    expect(runs[1]).toEqual(runs[0]);
  });

  it('pauseOnConnect: an accepted socket receives nothing until resumed (the kernel holds it), with no pause event — as node:net', async () => {
    const runs = [];
    for (const impl of [impls.node, impls.uring]) {
      const server = impl.createServer({ pauseOnConnect: true }) as unknown as AnyServer;
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const client = nodeNet.connect((server.address() as nodeNet.AddressInfo).port, '127.0.0.1');
      const [socket] = (await once(server, 'connection')) as [AnySocket];
      const events: string[] = [];
      for (const name of ['pause', 'resume', 'end']) socket.on(name, () => events.push(name));
      client.end('held by the kernel');
      await new Promise((resolve) => setTimeout(resolve, 100));
      const whilePaused = { bytesRead: socket.bytesRead, flowing: socket.readableFlowing, length: socket.readableLength, events: [...events] };
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk)); // (paused explicitly: this alone does not resume it)
      socket.resume();
      await once(socket, 'end');
      runs.push({ whilePaused, got: Buffer.concat(chunks).toString(), bytesRead: socket.bytesRead, events });
      socket.destroy();
      await close(server);
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[0]).toMatchObject({ whilePaused: { bytesRead: 0, flowing: false, length: 0, events: [] }, got: 'held by the kernel', bytesRead: 18, events: ['resume', 'end'] });
  });

  it("an IPv4 client of a dual-stack server: the addresses both ends report, as node:net's (::ffff:127.0.0.1)", async () => {
    const runs = [];
    for (const impl of [impls.node, impls.uring]) {
      const server = impl.createServer() as unknown as AnyServer;
      server.listen(0); // '::', dual stack
      await once(server, 'listening');
      const { port } = server.address() as nodeNet.AddressInfo;
      const client = impl.connect(port, '127.0.0.1') as AnySocket;
      const [[accepted]] = (await Promise.all([once(server, 'connection'), once(client, 'connect')])) as [[AnySocket], unknown];
      const ends = (s: AnySocket) => [s.remoteAddress, s.remoteFamily, s.localAddress, s.localFamily, { ...(s.address() as nodeNet.AddressInfo), port: 'PORT' }];
      runs.push({ accepted: ends(accepted), client: ends(client) });
      // node:net's `timeout` is a plain property: assignable (its own pingpong test sets it).
      (accepted as { timeout: number | undefined }).timeout = 0;
      runs.push(accepted.timeout);
      client.destroy();
      accepted.destroy();
      await close(server);
    }
    expect(runs.slice(2)).toEqual(runs.slice(0, 2));
    expect((runs[0] as { accepted: unknown[] }).accepted.slice(0, 4)).toEqual(['::ffff:127.0.0.1', 'IPv6', '::ffff:127.0.0.1', 'IPv6']);
  });

  it('listen({ signal }): aborting closes the server', async () => {
    const runs = [];
    for (const impl of [impls.node, impls.uring]) {
      const controller = new AbortController();
      const server = impl.createServer() as unknown as AnyServer;
      const events: string[] = [];
      for (const name of ['listening', 'close', 'error']) server.on(name, () => events.push(name));
      server.listen({ port: 0, host: '127.0.0.1', signal: controller.signal });
      await once(server, 'listening');
      const { port } = server.address() as nodeNet.AddressInfo;
      controller.abort();
      await once(server, 'close');
      const refused = nodeNet.connect(port, '127.0.0.1');
      const [error] = await once(refused, 'error');
      runs.push({ events, listening: server.listening, refused: (error as NodeJS.ErrnoException).code });
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[0]).toEqual({ events: ['listening', 'close'], listening: false, refused: 'ECONNREFUSED' });
  });

  it('listen({ path, readableAll, writableAll }): the socket file is readable and writable by all', async () => {
    const modes = [];
    for (const [name, impl] of Object.entries(impls)) {
      for (const options of [{}, { readableAll: true }, { readableAll: true, writableAll: true }]) {
        const path = join(dir, `${name}-${Object.keys(options).length}.sock`);
        const server = impl.createServer() as unknown as AnyServer;
        server.listen({ path, ...options });
        await once(server, 'listening');
        modes.push([name, options, (statSync(path).mode & 0o777).toString(8)]);
        await close(server);
      }
    }
    const half = modes.length / 2;
    expect(modes.slice(half).map((m) => m.slice(1))).toEqual(modes.slice(0, half).map((m) => m.slice(1)));
    expect(Number.parseInt(modes[2]![2] as string, 8) & 0o666).toBe(0o666);
  });

  it('listen({ fd }) and listen({ handle: { fd } }): listens on a bound socket it is given', async () => {
    // A bound, not listening, socket from python3, inherited by a node process that listens on it
    // with the built package (as a process manager hands a socket to a server), connects and exits.
    const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    const script = `
      import * as nodeNet from 'node:net';
      const { default: uring } = await import(process.argv[1]);
      const [impl, form] = process.argv[2].split('-');
      const net = impl === 'node' ? nodeNet : uring;
      const server = net.createServer((s) => s.end('via fd'));
      const fd = Number(process.argv[3]);
      server.listen(form === 'handle' ? { handle: { fd } } : { fd }, () => {
        const c = nodeNet.connect(server.address().port, '127.0.0.1');
        let got = '';
        c.on('data', (d) => (got += d)).on('end', () => { console.log(JSON.stringify({ got, family: server.address().family })); server.close(); });
      });`;
    const { LD_PRELOAD: _sanitizer, ...env } = process.env; // python3 must not load the sanitizer run's libasan
    const run = async (kind: string) => {
      const child = spawn(
        'python3',
        ['-c', 'import socket,os,sys\ns=socket.socket()\ns.bind(("127.0.0.1",0))\nos.set_inheritable(s.fileno(),True)\nos.environ.update({"LD_PRELOAD": sys.argv[6]} if sys.argv[6] else {})\nos.execv(sys.argv[1], [sys.argv[1], "--input-type=module", "-e", sys.argv[2], sys.argv[3], sys.argv[4], str(s.fileno())])', process.execPath, script, dist, kind, '', process.env.LD_PRELOAD ?? ''],
        { stdio: ['ignore', 'pipe', 'inherit'], env },
      );
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      const [code] = await once(child, 'exit');
      return { code, out: out.trim() };
    };
    const node = await run('node');
    expect(node).toEqual({ code: 0, out: JSON.stringify({ got: 'via fd', family: 'IPv4' }) });
    expect(await run('uring')).toEqual(node);
    expect(await run('node-handle')).toEqual(node);
    expect(await run('uring-handle')).toEqual(node);
  });

  it('out of descriptors (EMFILE), connections queued are closed and the server goes on, as node:net\'s (libuv\'s reserve descriptor)', async () => {
    // A server in a process at its descriptor limit (ulimit -n), each implementation in turn:
    // three connections come while no descriptor is free, then one after some are freed.
    const dist = new URL('../dist/index.js', import.meta.url).href;
    const script = `
      import * as nodeNet from 'node:net';
      import { closeSync, openSync } from 'node:fs';
      const { default: uring, backend } = await import(process.argv[1]);
      const ours = process.argv[2] === 'uring';
      const net = ours ? uring : nodeNet;
      const loop = ours && backend() === 'io_uring' ? (await import('@uring/loop')).getLoop() : undefined;
      const submitted = () => loop?.metrics.submitted ?? 0;
      let errors = 0, connections = 0, before = 0, whileOut = 0;
      const fds = [];
      const commands = { free() { whileOut = submitted() - before; for (const fd of fds.splice(0, 16)) closeSync(fd); console.log('freed'); },
        done() { console.log(JSON.stringify({ errors, connections, whileOut })); server.close(); for (const fd of fds) closeSync(fd); process.stdin.destroy(); } };
      process.stdin.setEncoding('utf8').on('data', (d) => { for (const c of d.split('\\n').filter(Boolean)) commands[c](); });
      const server = net.createServer((s) => { connections++; s.end('hi'); }).on('error', () => errors++);
      server.listen(0, '127.0.0.1', () => {
        try { for (;;) fds.push(openSync('/dev/null', 'r')); } catch (e) { if (e.code !== 'EMFILE') throw e; }
        before = submitted();
        console.log(server.address().port);
      });`;
    const { LD_PRELOAD: preload, ...env } = process.env; // sh must not load the sanitizer run's libasan; node does
    const cwd = fileURLToPath(new URL('..', import.meta.url));
    const talk = (port: number) =>
      new Promise<string>((resolve) => {
        let got = '';
        const c = nodeNet.connect(port, '127.0.0.1');
        c.on('data', (d) => (got += d)).on('error', (e: NodeJS.ErrnoException) => (got += `<${e.code}>`)).on('close', () => resolve(got));
      });
    const run = async (impl: string) => {
      const child = spawn('sh', ['-c', 'ulimit -n 256 && if [ -n "$PRELOAD" ]; then export LD_PRELOAD="$PRELOAD"; fi && exec "$@"', 'sh', process.execPath, '--input-type=module', '-e', script, dist, impl], {
        cwd,
        stdio: ['pipe', 'pipe', 'inherit'],
        env: { ...env, PRELOAD: preload ?? '' },
      });
      const lines: string[] = [];
      const waiters: (() => void)[] = [];
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        lines.push(...d.split('\n').filter(Boolean));
        waiters.splice(0).forEach((w) => w());
      });
      const line = async () => {
        while (lines.length === 0) await new Promise<void>((resolve) => waiters.push(resolve));
        return lines.shift()!;
      };
      const port = Number(await line());
      const whileOut = await Promise.all([talk(port), talk(port), talk(port)]);
      child.stdin!.write('free\n');
      expect(await line()).toBe('freed');
      const after = await talk(port);
      child.stdin!.write('done\n');
      const stats = JSON.parse(await line()) as { errors: number; connections: number; whileOut: number };
      const [code] = await once(child, 'exit');
      return { code, whileOut, after, errors: stats.errors, connections: stats.connections, submitted: stats.whileOut };
    };
    const node = await run('node');
    expect(node).toEqual({ code: 0, whileOut: ['', '', ''], after: 'hi', errors: 0, connections: 1, submitted: 0 });
    const uring = await run('uring');
    // Ours accepted again by a poll: a few operations per connection shed, where it had armed the
    // accept again and again (and emitted 'error' each time), tens of thousands a second.
    expect(uring.submitted).toBeLessThan(50);
    expect({ ...uring, submitted: 0 }).toEqual(node);
  });

  it('listening with no descriptor free for the reserve: no error until a connection waits, and served once descriptors are free, as node:net\'s', () => {
    // The accept armed at listen() failed at once (the kernel takes a descriptor first) and its
    // EMFILE was emitted though no connection had come.
    const script = `
      import * as nodeNet from 'node:net';
      import { closeSync, openSync } from 'node:fs';
      const { default: uring } = await import(process.argv[1]);
      const net = process.argv[2] === 'uring' ? uring : nodeNet;
      await new Promise((resolve) => net.connect(1, '127.0.0.1').on('error', resolve)); // the ring made first (no listen yet: no reserve taken)
      const fds = [];
      try { for (;;) fds.push(openSync('/dev/null', 'r')); } catch (e) { if (e.code !== 'EMFILE') throw e; }
      closeSync(fds.pop()); // two free: the listening socket's, and (ours) the side ring's of its synchronous listen
      closeSync(fds.pop());
      let errors = 0, connections = 0;
      const server = net.createServer((c) => { connections++; c.end('hi'); }).on('error', () => errors++);
      server.listen(0, '127.0.0.1', () => setTimeout(() => {
        const atListen = errors;
        for (const fd of fds.splice(0, 10)) closeSync(fd);
        const c = nodeNet.connect(server.address().port, '127.0.0.1');
        let got = '';
        c.on('data', (d) => (got += d)).on('close', () => {
          for (const fd of fds) closeSync(fd);
          server.close();
          console.log(JSON.stringify({ atListen, got, errors, connections }));
        });
      }, 200));`;
    const [node, uring] = [nodeUnderNofile(128, script, ['node']), nodeUnderNofile(128, script, ['uring'])];
    expect([node.stderr, JSON.parse(node.stdout)]).toEqual(['', { atListen: 0, got: 'hi', errors: 0, connections: 1 }]);
    expect([uring.stderr, JSON.parse(uring.stdout)]).toEqual(['', JSON.parse(node.stdout)]);
  });

  it('a socket first read when no descriptor is free reads, as node:net\'s (the receive pool asks the kernel without opening one)', () => {
    // The receive pool's first use asked the kernel about the receive limit on an eventfd made
    // for it: in a process out of descriptors the first read failed with 'error' EMFILE.
    const script = `
      import * as nodeNet from 'node:net';
      import { closeSync, openSync } from 'node:fs';
      const { default: uring } = await import(process.argv[1]);
      const net = process.argv[2] === 'uring' ? uring : nodeNet;
      const server = net.createServer({ pauseOnConnect: true }, (s) => {
        const fds = [];
        try { for (;;) fds.push(openSync('/dev/null', 'r')); } catch (e) { if (e.code !== 'EMFILE') throw e; }
        const done = (what) => { for (const fd of fds) closeSync(fd); console.log(what); server.close(); };
        let got = '';
        s.setEncoding('utf8').on('data', (d) => (got += d)).on('end', () => done(got)).on('error', (e) => done('error ' + e.code));
        s.resume();
      });
      server.listen(0, '127.0.0.1', () => {
        const c = nodeNet.connect(server.address().port, '127.0.0.1', () => c.end('to a process out of descriptors'));
      });`;
    const [node, uring] = [nodeUnderNofile(256, script, ['node']), nodeUnderNofile(256, script, ['uring'])];
    expect([node.stdout.trim(), node.stderr]).toEqual(['to a process out of descriptors', '']);
    expect([uring.stdout.trim(), uring.stderr]).toEqual([node.stdout.trim(), '']);
  });

  it('listen() in a process with no descriptor free fails as node:net\'s: listen EMFILE, IPv4 tried after ::, a Unix socket\'s port -1', () => {
    const script = `
      import * as nodeNet from 'node:net';
      import { closeSync, openSync } from 'node:fs';
      const { default: uring } = await import(process.argv[1]);
      const net = process.argv[2] === 'uring' ? uring : nodeNet;
      await new Promise((resolve) => net.createServer().listen(0, '127.0.0.1', function () { this.close(resolve); })); // the ring made first
      await new Promise((resolve) => setTimeout(resolve, 50)); // (ours closes the descriptor once the ring has let go of it)
      const fds = [];
      try { for (;;) fds.push(openSync('/dev/null', 'r')); } catch (e) { if (e.code !== 'EMFILE') throw e; }
      const out = [];
      for (const args of [[0, '127.0.0.1'], [45678, '::1'], ['${dir}/emfile.sock'], [0]]) {
        out.push(await new Promise((resolve) => {
          const server = net.createServer().on('error', (e) => resolve({ message: e.message, ...e }));
          server.listen(...args, () => server.close(() => resolve('listening')));
        }));
      }
      for (const fd of fds) closeSync(fd);
      console.log(JSON.stringify(out));`;
    const [node, uring] = [nodeUnderNofile(128, script, ['node']), nodeUnderNofile(128, script, ['uring'])];
    expect(node.stderr).toBe('');
    const expected = JSON.parse(node.stdout) as unknown[];
    expect(expected).toEqual([
      { message: 'listen EMFILE: too many open files 127.0.0.1', code: 'EMFILE', errno: -24, syscall: 'listen', address: '127.0.0.1' },
      { message: 'listen EMFILE: too many open files ::1:45678', code: 'EMFILE', errno: -24, syscall: 'listen', address: '::1', port: 45678 },
      { message: `listen EMFILE: too many open files ${dir}/emfile.sock`, code: 'EMFILE', errno: -24, syscall: 'listen', address: `${dir}/emfile.sock`, port: -1 },
      { message: 'listen EMFILE: too many open files 0.0.0.0', code: 'EMFILE', errno: -24, syscall: 'listen', address: '0.0.0.0' },
    ]);
    expect([uring.stderr, JSON.parse(uring.stdout)]).toEqual(['', expected]);
  });

  it("maxConnections: connections over it are dropped with a 'drop' event naming both ends; 0 is no limit", async () => {
    const runs = [];
    for (const impl of [impls.node, impls.uring]) {
      const server = impl.createServer(((s: AnySocket) => s.on('error', () => undefined)) as never) as unknown as AnyServer;
      server.maxConnections = 1;
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const { port } = server.address() as nodeNet.AddressInfo;
      const first = nodeNet.connect(port, '127.0.0.1');
      await once(server, 'connection');
      const dropped = once(server, 'drop');
      const second = nodeNet.connect(port, '127.0.0.1').on('error', () => undefined);
      await once(second, 'connect');
      const secondPort = second.localPort;
      const [data] = (await dropped) as [Record<string, unknown>];
      await once(second, 'close'); // closed by the server
      runs.push({ ...data, localPort: data.localPort === port, remotePort: data.remotePort === secondPort });
      first.destroy();
      server.maxConnections = 0;
      const third = nodeNet.connect(port, '127.0.0.1');
      await once(server, 'connection');
      third.destroy();
      await close(server);
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[0]).toEqual({ localAddress: '127.0.0.1', localPort: true, localFamily: 'IPv4', remoteAddress: '127.0.0.1', remotePort: true, remoteFamily: 'IPv4' });
  });

  it("createServer's arguments and the options it keeps as public properties, as node:net's — set later, they apply to later connections", async () => {
    const made = (impl: typeof net, ...args: unknown[]) => {
      try {
        const server = (impl.createServer as (...a: unknown[]) => AnyServer)(...args) as AnyServer & Record<string, unknown>;
        const { allowHalfOpen, pauseOnConnect, noDelay, keepAlive, keepAliveInitialDelay, highWaterMark } = server;
        return { allowHalfOpen, pauseOnConnect, noDelay, keepAlive, keepAliveInitialDelay, highWaterMark, listeners: server.listenerCount('connection') };
      } catch (e) {
        return shape(e as NodeJS.ErrnoException).replace(/\. Received.*/, '');
      }
    };
    const cases: unknown[][] = [[], ['path'], [0], [null], [{}, 'not a function'], [() => undefined], [{ allowHalfOpen: 1, pauseOnConnect: 'x', noDelay: 1, keepAlive: 0, keepAliveInitialDelay: 2500, highWaterMark: -1 }], [{ keepAliveInitialDelay: -5, highWaterMark: 100 }, () => undefined]];
    for (const args of cases) expect([args, made(impls.uring, ...args)]).toEqual([args, made(impls.node, ...args)]);
    const runs = [];
    for (const impl of [impls.node, impls.uring]) {
      const server = impl.createServer() as unknown as AnyServer & { noDelay: boolean; highWaterMark: number };
      server.noDelay = true;
      server.highWaterMark = 1234;
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const client = nodeNet.connect((server.address() as nodeNet.AddressInfo).port, '127.0.0.1');
      const [socket] = (await once(server, 'connection')) as [AnySocket];
      runs.push({ hwm: [socket.readableHighWaterMark, socket.writableHighWaterMark] });
      client.destroy();
      socket.destroy();
      await close(server);
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[0]).toEqual({ hwm: [1234, 1234] });
  });

  it('the highWaterMark server option sizes accepted sockets, and is validated like Node', async () => {
    const runs = [];
    for (const impl of [impls.node, impls.uring]) {
      for (const highWaterMark of [1024, -1]) {
        const server = impl.createServer({ highWaterMark }, ((s: AnySocket) => s.destroy()) as never) as unknown as AnyServer;
        server.listen(0, '127.0.0.1');
        await once(server, 'listening');
        const client = nodeNet.connect((server.address() as nodeNet.AddressInfo).port, '127.0.0.1').on('error', () => undefined);
        const [socket] = (await once(server, 'connection')) as [AnySocket];
        runs.push([highWaterMark, socket.readableHighWaterMark, socket.writableHighWaterMark]);
        client.destroy();
        await close(server);
      }
    }
    expect(runs.slice(2)).toEqual(runs.slice(0, 2));
    expect(runs[0]).toEqual([1024, 1024, 1024]);
    const thrown = (impl: typeof net) => {
      try {
        impl.createServer({ highWaterMark: '1' } as never);
        return 'no error';
      } catch (e) {
        return shape(e as NodeJS.ErrnoException);
      }
    };
    expect(thrown(impls.uring)).toBe(thrown(impls.node));
  });
});
