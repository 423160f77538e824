import { createHash, randomBytes } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { AsyncLocalStorage } from 'node:async_hooks';
import dc from 'node:diagnostics_channel';
import { once } from 'node:events';
import { closeSync, constants as fsConstants, fstatSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import * as nodeNet from 'node:net';
import { release, tmpdir } from 'node:os';
import * as http from 'node:http';
import * as tls from 'node:tls';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { getLoop } from '@uring/loop';
import { createReadStream, pipeline } from '@uring/streams';
import net, { backend, createHttpServer, sendFile } from './index.js';
import { TEST_TLS, silentListener, tcpOptions } from './testing.js';
import { RecvPool } from './recv-pool.js';

const dir = mkdtempSync(join(tmpdir(), 'uring-net-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type AnyServer = nodeNet.Server;
type AnySocket = nodeNet.Socket;
const impls = { node: nodeNet as unknown as typeof net, uring: net };

/** A server on `host`, port 0; resolves with it and its port. */
async function listening(impl: typeof net, handler: (s: AnySocket) => void, host = '127.0.0.1', options: object = {}) {
  const server = impl.createServer(options, handler as never) as unknown as AnyServer;
  server.listen(0, host);
  await once(server, 'listening');
  return { server, port: (server.address() as nodeNet.AddressInfo).port };
}

/** `content` written to a file in `dir`, open for reading while `use` runs, closed after. */
async function withFile(name: string, content: Buffer, use: (fd: number) => Promise<void>): Promise<void> {
  const file = join(dir, name);
  writeFileSync(file, content);
  const fd = openSync(file, 'r');
  try {
    await use(fd);
  } finally {
    closeSync(fd);
  }
}

const close = (server: AnyServer) => new Promise<void>((resolve) => server.close(() => resolve()));
const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function collect(socket: AnySocket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const echo = (s: AnySocket) => s.pipe(s);
const errorOf = (e: NodeJS.ErrnoException & { address?: string; port?: number }) => ({ name: e.name, message: e.message, code: e.code, errno: e.errno, syscall: e.syscall, address: e.address, port: e.port });

describe(`@uring/net (backend: ${backend()})`, () => {
  it('echo: the same bytes and the same client events as node:net', async () => {
    const run = async (impl: typeof net) => {
      const { server, port } = await listening(impl, echo as never);
      const events: string[] = [];
      const client = impl.connect(port, '127.0.0.1') as AnySocket;
      for (const e of ['connect', 'ready', 'end', 'finish']) client.on(e, () => events.push(e));
      client.on('close', (hadError) => events.push(`close ${hadError}`));
      client.end('hello, ring');
      const data = await collect(client);
      await once(client, 'close');
      await close(server);
      return { data: data.toString(), events, bytesRead: client.bytesRead, bytesWritten: client.bytesWritten, remote: [client.remoteAddress, client.remoteFamily] };
    };
    expect(await run(impls.uring)).toEqual(await run(impls.node));
  });

  it("events come in the async context of listen() and connect(), as node:net's — not in the context of the code that reaped them", async () => {
    // Client and server in one process: the client's connect and writes are submitted from
    // microtasks in the client's context, and the kernel completes the server's accept and receives
    // during that submission — they must still arrive in the server's context.
    const als = new AsyncLocalStorage<string>();
    const run = (impl: typeof net) =>
      new Promise<Record<string, string>>((done) => {
        const seen: Record<string, string> = {};
        const mark = (key: string) => (seen[key] ??= als.getStore() ?? '-');
        const server = als.run('listen', () =>
          impl.createServer((s) => {
            mark('connection');
            s.on('data', (d) => (mark('server data'), s.write(d)));
            s.on('end', () => (mark('server end'), s.end()));
            s.on('close', () => mark('server close'));
          }),
        );
        als.run('listen', () =>
          server.listen(0, '127.0.0.1', () => {
            mark('listening');
            als.run('connect', () => {
              const c = impl.connect((server.address() as nodeNet.AddressInfo).port, '127.0.0.1', () => (mark('connect'), c.write('x')));
              c.write('early', () => mark('write callback'));
              c.on('data', () => mark('client data'));
              c.on('end', () => mark('client end'));
              c.on('close', () => {
                mark('client close');
                server.close(() => done(seen));
              });
              setTimeout(() => als.run('timer', () => c.end()), 30);
            });
          }),
        );
      });
    const node = await run(impls.node);
    const ours = await run(impls.uring);
    const client = ['listening', 'connection', 'connect', 'write callback', 'client data', 'client end', 'client close'];
    expect(Object.fromEntries(client.map((k) => [k, ours[k]]))).toEqual(Object.fromEntries(client.map((k) => [k, node[k]])));
    expect(node).toMatchObject({ listening: 'listen', connection: 'listen', connect: 'connect', 'client data': 'connect', 'client close': 'connect' });
    // An accepted socket's own events: node:net's run at the top level; ours in the server's
    // listen() context — the same where listen() runs at the top level (as the next check shows).
    if (backend() === 'io_uring') expect([ours['server data'], ours['server end'], ours['server close']]).toEqual(['listen', 'listen', 'listen']);
    const topLevel = await new Promise<string[]>((resolve) => {
      const got: string[] = [];
      const server = impls.uring.createServer((s) => {
        s.on('data', () => got.push(als.getStore() ?? '-'));
        s.on('close', () => (got.push(als.getStore() ?? '-'), server.close(() => resolve(got))));
      });
      server.listen(0, '127.0.0.1', () => als.run('client', () => impls.uring.connect((server.address() as nodeNet.AddressInfo).port, '127.0.0.1').end('x')));
    });
    expect(topLevel).toEqual(['-', '-']);
  });

  it("node:net's diagnostics channels: net.client.socket, net.server.socket and the net.server.listen tracing channel, at the same points", async () => {
    const names = ['net.client.socket', 'net.server.socket', ...['asyncStart', 'asyncEnd', 'error'].map((e) => `tracing:net.server.listen:${e}`)];
    const run = async (impl: typeof net) => {
      const log: string[] = [];
      const mark = (what: string) => log.push(what);
      let server: AnyServer | undefined;
      let client: AnySocket | undefined;
      let accepted: AnySocket | undefined;
      const who = (v: unknown) => (v === server ? 'the server' : v === client ? 'the client' : v === accepted ? "the 'connection' socket" : typeof v);
      const subscribers = names.map((name) => {
        const fn = (m: unknown) => {
          const msg = m as Record<string, unknown>;
          const options = msg.options as object | undefined;
          mark(`${name} ${Object.keys(msg).join(',')} ${who(msg.server ?? msg.socket)}${options ? ` options ${Object.keys(options).join('+')}` : ''}${msg.error ? ` ${(msg.error as NodeJS.ErrnoException).code}` : ''}`);
        };
        dc.subscribe(name, fn);
        return [name, fn] as const;
      });
      try {
        server = impl.createServer((s) => {
          accepted = s as unknown as AnySocket;
          mark('connection');
          s.end();
        }) as unknown as AnyServer;
        mark('listen()');
        server.listen({ port: 0, host: 'localhost' }, () => mark('listening'));
        mark('listen() returned');
        await once(server, 'listening');
        const { address, port } = server.address() as nodeNet.AddressInfo;
        mark('connect()');
        client = impl.connect(port, address) as unknown as AnySocket;
        mark('connect() returned');
        client.resume();
        await once(client, 'close');
        const first = server;
        server = impl.createServer() as unknown as AnyServer;
        const failed = once(server, 'error');
        mark('listen() on a port in use');
        server.listen(port, address);
        await failed;
        mark('error');
        await close(first);
      } finally {
        for (const [name, fn] of subscribers) dc.unsubscribe(name, fn);
      }
      return log;
    };
    const node = await run(impls.node);
    expect(await run(impls.uring)).toEqual(node);
    expect(node).toEqual([
      'listen()',
      'tracing:net.server.listen:asyncStart server,options the server options port+host',
      'listen() returned',
      'tracing:net.server.listen:asyncEnd server the server',
      'listening',
      'connect()',
      'net.client.socket socket object', // published before connect() returns its socket
      'connect() returned',
      'connection',
      "net.server.socket socket the 'connection' socket",
      'listen() on a port in use',
      'tracing:net.server.listen:asyncStart server,options the server options port+host',
      'tracing:net.server.listen:error server,error the server EADDRINUSE',
      'error',
    ]);
  });

  const rootOnly = process.getuid?.() === 0 ? undefined : 'needs to start as root to drop privileges';
  const setuidTitle = 'a server goes on after the process drops privileges (setuid after listen, as daemons do): its connections and new ones echo, the old ring is closed';
  it.skipIf(rootOnly !== undefined)(rootOnly ? `${setuidTitle} — skipped: ${rootOnly}` : setuidTitle, () => {
    // In a process of its own (setuid is process-wide). The ring made as root refuses work after
    // setuid (CVE-2024-22017): what it held is cancelled and started again on a new loop.
    const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    const loopDist = fileURLToPath(new URL('../../loop/dist/index.js', import.meta.url));
    const script = `
      import * as nodeNet from 'node:net';
      const { default: uring } = await import(process.argv[1]);
      const { getLoop } = await import(process.argv[3]);
      const net = process.argv[2] === 'node' ? nodeNet : uring;
      const server = net.createServer((s) => s.on('data', (d) => s.write('echo ' + d)));
      await new Promise((r) => server.listen(0, '127.0.0.1', r));
      const { port } = server.address();
      const ask = (c, what) => new Promise((r) => { c.once('data', (d) => r(String(d))); c.write(what); });
      const early = nodeNet.connect(port, '127.0.0.1');
      const before = await ask(early, 'before');
      const old = net === uring && uring.backend() === 'io_uring' ? getLoop() : undefined;
      process.setgid(65534);
      process.setuid(65534);
      const same = await ask(early, 'same connection');
      const fresh = nodeNet.connect(port, '127.0.0.1');
      const late = await ask(fresh, 'new connection');
      await new Promise((r) => setTimeout(r, 50));
      const oldRingClosed = old === undefined || (!old.usable && old.ring.closed && getLoop() !== old);
      console.log(JSON.stringify({ before, same, late, uid: process.getuid(), oldRingClosed }));
      early.destroy(); fresh.destroy(); server.close();`;
    const run = (kind: string) => {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, dist, kind, loopDist], { encoding: 'utf8', timeout: 20_000 });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as Record<string, unknown>;
    };
    const node = run('node');
    expect(node).toEqual({ before: 'echo before', same: 'echo same connection', late: 'echo new connection', uid: 65534, oldRingClosed: true });
    expect(run('uring')).toEqual(node);
  });

  it('a 32 MiB transfer each way, checksummed, over IPv4, IPv6 and a Unix socket', async () => {
    const payload = randomBytes(32 << 20);
    for (const where of ['127.0.0.1', '::1', join(dir, 'big.sock')]) {
      const server = net.createServer(echo as never) as unknown as AnyServer;
      if (where.startsWith('/')) server.listen(where);
      else server.listen(0, where);
      await once(server, 'listening');
      const address = server.address();
      const client = (typeof address === 'string' ? net.connect(address) : net.connect(address!.port, where)) as AnySocket;
      const received = collect(client);
      client.end(payload);
      expect(digest(await received)).toBe(digest(payload));
      await close(server);
    }
  });

  it('half-open: with allowHalfOpen the server still writes after the client has ended', async () => {
    const { server, port } = await listening(
      net,
      (s) => {
        const chunks: Buffer[] = [];
        s.on('data', (c) => chunks.push(c));
        s.on('end', () => s.end(`got ${Buffer.concat(chunks).length} bytes`));
      },
      '127.0.0.1',
      { allowHalfOpen: true },
    );
    const client = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }) as AnySocket;
    client.end(Buffer.alloc(1000));
    expect((await collect(client)).toString()).toBe('got 1000 bytes');
    await close(server);
  });

  it('a slow reader and a fast writer: backpressure holds memory bounded', async () => {
    let serverSocket!: AnySocket;
    const total = 64 << 20;
    const { server, port } = await listening(net, (s) => {
      serverSocket = s;
      const chunk = Buffer.alloc(64 * 1024, 1);
      let sent = 0;
      const pump = () => {
        while (sent < total) {
          sent += chunk.length;
          if (!s.write(chunk)) return void s.once('drain', pump);
        }
        s.end();
      };
      pump();
    });
    const client = net.connect(port, '127.0.0.1') as AnySocket;
    client.pause();
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Paused: only what the kernel's buffers and the two streams' high-water marks hold.
    expect(client.readableLength).toBeLessThan(1 << 20);
    expect(serverSocket.writableLength).toBeLessThan(1 << 20);
    let received = 0;
    client.on('data', (c: Buffer) => (received += c.length));
    client.resume();
    await once(client, 'end');
    expect(received).toBe(total);
    await close(server);
  });

  const pool = backend() === 'io_uring' ? RecvPool.of(getLoop()) : undefined;
  const kernelLimits = pool?.limits ?? false;
  const limitSkip = pool && !kernelLimits ? 'this kernel has no byte limit for multishot recv (6.17): the one-receive-at-a-time way is tested instead' : undefined;
  const receiveWays = [
    { way: "the receive's byte limit", limits: true, skip: limitSkip },
    // Kernels before 6.17 (and the node backend, where `pool` is undefined: node:net against itself).
    { way: 'one receive at a time, as kernels without the limit', limits: false, skip: undefined },
  ];
  for (const { way, limits, skip } of receiveWays) {
    const title = `a socket not read takes one receive past its highWaterMark, as node:net: the rest stays in the kernel, and arrives whole once read (${way})`;
    it.skipIf(skip !== undefined)(skip ? `${title} — skipped: ${skip}` : title, async () => {
      if (pool) pool.limits = limits;
      try {
        const total = 32 << 20;
        const payload = randomBytes(total);
        const run = async (impl: typeof net) => {
          const { server, port } = await listening(impl, () => {});
          const accepted = once(server, 'connection') as Promise<[AnySocket]>;
          const client = impl.connect(port, '127.0.0.1') as AnySocket;
          client.end(payload); // one write: the kernel's buffers fill at once
          const [socket] = await accepted;
          await delay(300);
          const held = { bytesRead: socket.bytesRead, length: socket.readableLength, flowing: socket.readableFlowing };
          // Flowing, then paused from a 'data' listener: the receive stops near the mark again.
          let pausedAt = -1;
          const chunks: Buffer[] = [];
          socket.on('data', (chunk: Buffer) => {
            chunks.push(chunk);
            if (pausedAt < 0) {
              socket.pause();
              pausedAt = socket.bytesRead;
              setTimeout(() => socket.resume(), 200);
            }
          });
          await delay(100);
          const whilePaused = socket.bytesRead - pausedAt;
          await once(socket, 'end');
          socket.destroy();
          await close(server);
          return { held, whilePaused, whole: Buffer.concat(chunks).equals(payload.subarray(held.bytesRead - held.length)) };
        };
        const theirs = await run(impls.node);
        const ours = await run(net);
        const mark = 16 * 1024; // the default highWaterMark of both (Node 20)
        for (const r of [theirs, ours]) {
          expect(r.held.flowing).toBe(null);
          expect(r.held.length).toBe(r.held.bytesRead); // nothing read yet: all of it held by the stream
          expect(r.held.length).toBeGreaterThan(0);
          expect(r.held.length).toBeLessThanOrEqual(mark + 64 * 1024); // one read (node:net's 64 KiB) or one pool buffer past the mark
          expect(r.whole).toBe(true);
        }
        // A receive armed while data flowed may take up to its flowing limit (1 MiB) past a pause
        // — without the limit, up to the pool (4 MiB); node:net's, one read.
        expect(theirs.whilePaused).toBeLessThanOrEqual(mark + 64 * 1024);
        expect(ours.whilePaused).toBeLessThanOrEqual((limits ? 1 << 20 : 4 << 20) + 64 * 1024);
      } finally {
        if (pool) pool.limits = kernelLimits;
      }
    });
  }

  it('1,000 concurrent connections, each echoed', async () => {
    const { server, port } = await listening(net, echo as never);
    const results = await Promise.all(
      Array.from({ length: 1000 }, async (_, k) => {
        const client = net.connect(port, '127.0.0.1') as AnySocket;
        client.end(`client ${k}`);
        return (await collect(client)).toString();
      }),
    );
    expect(results).toEqual(Array.from({ length: 1000 }, (_, k) => `client ${k}`));
    await close(server);
  });

  it('a peer reset mid-write surfaces as an error on the writer, and the socket closes', async () => {
    // resetAndDestroy: an RST whatever the server has read (a plain destroy sends a FIN when the
    // receive queue happens to be empty, and the client may then end cleanly before its next write).
    const { server, port } = await listening(net, (s) => {
      s.once('data', () => s.resetAndDestroy());
    });
    const client = net.connect(port, '127.0.0.1') as AnySocket;
    const big = Buffer.alloc(1 << 20);
    const error = new Promise<NodeJS.ErrnoException>((resolve) => client.on('error', resolve));
    const write = () => {
      if (!client.destroyed) client.write(big, () => setImmediate(write));
    };
    write();
    const e = await error;
    expect(['EPIPE', 'ECONNRESET']).toContain(e.code);
    // Either the send failed (`write EPIPE`, `read ECONNRESET`) or the peer's FIN came first and
    // the next write failed as node:net's writeAfterFIN does (timing decides, as with node:net).
    if (e.syscall) expect(e.message).toBe(`${e.syscall} ${e.code}`);
    else expect(e).toMatchObject({ code: 'EPIPE', message: 'This socket has been ended by the other party' });
    await once(client, 'close');
    await close(server);
  });

  /** How a node:net client sees the connection end when `impl`'s server does `onConnection` to it after `sent` arrives: 'end' (FIN) or the error's code. */
  const howItEnds = async (impl: typeof net, onConnection: (s: AnySocket) => void, sent: string | Buffer, options: object = {}) => {
    const { server, port } = await listening(impl, onConnection, '127.0.0.1', options);
    const client = nodeNet.connect(port, '127.0.0.1');
    client.write(sent);
    client.resume();
    const [how] = await Promise.race([once(client, 'error').then(([e]) => [(e as NodeJS.ErrnoException).code]), once(client, 'end').then(() => ['end'])]);
    client.destroy();
    await close(server);
    return how;
  };

  it('destroying a socket with received data nobody read resets the connection, as close(2) does (the peer reads ECONNRESET)', async () => {
    // received by the server, never read: it is paused
    const outcome = (impl: typeof net) => howItEnds(impl, (s) => setTimeout(() => s.destroy(), 100), Buffer.alloc(10_000, 1), { pauseOnConnect: true });
    expect(await outcome(net)).toBe(await outcome(impls.node));
    expect(await outcome(impls.node)).toBe('ECONNRESET');
  });

  it("data that arrives after destroy() resets the connection (the peer reads ECONNRESET), as node:net's, whose socket leaves it in the kernel's queue", async () => {
    // The first 'data' is one receive of at most 64 KiB: the rest is still coming when the socket is destroyed.
    const outcome = (impl: typeof net) => howItEnds(impl, (s) => s.once('data', () => s.destroy()), Buffer.alloc(300_000, 1));
    expect(await outcome(net)).toBe(await outcome(impls.node));
    expect(await outcome(impls.node)).toBe('ECONNRESET');
  });

  /**
   * What `server`'s socket sees when its client, on `client`, is destroyed in the same tick as
   * the server socket writes 10 MiB to it (Node's test-net-error-twice), and what a write made
   * just before a destroy() in one tick brings the peer.
   */
  const destroyThenPeerWrites = async (serverImpl: typeof net, clientImpl: typeof net) => {
    const events: string[] = [];
    const { server, port } = await listening(serverImpl, () => {});
    const [accepted, connected] = await Promise.all([
      once(server, 'connection') as Promise<[AnySocket]>,
      new Promise<AnySocket>((resolve) => {
        const c = clientImpl.connect(port, '127.0.0.1', () => resolve(c as AnySocket)) as AnySocket;
      }),
    ]);
    const [peer] = accepted;
    peer.on('end', () => events.push('end'));
    peer.on('error', (e: NodeJS.ErrnoException) => events.push(`${e.syscall} ${e.code}`));
    const closed = new Promise((resolve) => peer.on('close', resolve)); // (once() would reject on the 'error')
    connected.destroy();
    peer.write(Buffer.alloc(10 << 20, 0x62));
    await closed;
    await close(server);
    return events;
  };

  it("destroy() ends the connection during the call, as node:net's close(2): a peer writing in the same tick gets `write EPIPE` (the FIN came first), not a reset", async () => {
    const overNode = await destroyThenPeerWrites(impls.node, impls.node);
    expect(overNode).toEqual(['write EPIPE']);
    expect(await destroyThenPeerWrites(impls.node, net)).toEqual(overNode);
    // The error alone, as node:net's: its write fails first and destroys the socket before its 'end'
    // (ours reads the FIN first, and holds that end for the send, whose EPIPE says a reset followed it).
    expect(await destroyThenPeerWrites(net, net)).toEqual(overNode);
  });

  /**
   * What a server socket writing 20 MB reports when its client, having read a little, is destroyed
   * with data unread (a reset while the server's send waits for room; Node's test-net-stream):
   * the error's message, with the server socket reading or paused.
   */
  const resetWhileWriting = async (impl: typeof net, paused: boolean) => {
    const buf = Buffer.alloc(2e6, 0x61);
    let report!: (message: string) => void;
    const seen = new Promise<string>((resolve) => (report = resolve));
    const { server, port } = await listening(impl, (s) => {
      if (paused) s.pause();
      s.on('error', (e: Error) => report(e.message)).on('end', () => report('end'));
      for (let i = 0; i < 10; i++) s.write(buf, () => {});
      s.end();
    });
    const client = nodeNet.connect(port, '127.0.0.1');
    client.once('data', () => {
      client.pause();
      setTimeout(() => client.destroy(), 20);
    });
    const message = await seen;
    await close(server);
    return message;
  };

  it("a reset while the server socket's send waits for room is `read ECONNRESET`, as node:net's (libuv reads before it writes), reading or paused", async () => {
    for (const paused of [false, true]) {
      const overNode = await resetWhileWriting(impls.node, paused);
      expect(overNode).toBe('read ECONNRESET');
      expect(await resetWhileWriting(net, paused)).toBe(overNode);
    }
  });

  it('a write made before destroy() in the same tick still reaches the peer, then the FIN — as with node:net, whose write went to the kernel at once', async () => {
    const run = async (impl: typeof net) => {
      const { server, port } = await listening(nodeNet as unknown as typeof net, () => {});
      const accepted = once(server, 'connection') as Promise<[AnySocket]>;
      const client = impl.connect(port, '127.0.0.1') as AnySocket;
      await once(client, 'connect');
      const [peer] = await accepted;
      client.write('sent before the destroy');
      client.destroy();
      const got = (await collect(peer)).toString(); // to the peer's 'end': a FIN, not a reset
      await close(server);
      return got;
    };
    expect(await run(net)).toBe(await run(impls.node));
  });

  const [major, minor] = release().split('.').map(Number) as [number, number];
  /** What `onConnection` logs on `impl`'s server socket, whose peer (node:net) never reads, until that socket closes. */
  const withSilentPeer = async (impl: typeof net, onConnection: (s: AnySocket, events: string[]) => void) => {
    const events: string[] = [];
    const { server, port } = await listening(impl, (s) => onConnection(s, events));
    const client = nodeNet.connect(port, '127.0.0.1');
    client.pause();
    await new Promise<void>((resolve) => server.on('connection', (s) => s.on('close', () => resolve())));
    client.destroy();
    await close(server);
    return events;
  };
  /** A callback's or an event's error as its code. */
  const code = (e: unknown) => (e as NodeJS.ErrnoException | null)?.code ?? e;

  it("destroy() with a write the peer never takes closes at once, as node:net's: that write's callback without an error, the queued one's ERR_STREAM_DESTROYED; bytesWritten counts whole writes", async () => {
    const run = (impl: typeof net) =>
      withSilentPeer(impl, (s, events) => {
        s.write(Buffer.alloc(8 << 20, 1), (e) => events.push(`write 8 MiB: ${code(e)}`));
        s.write(Buffer.alloc(10, 1), (e) => events.push(`write 10 B: ${code(e)}`));
        s.on('close', (hadError) => events.push(`close ${hadError}, bytesWritten ${s.bytesWritten}`));
        setTimeout(() => {
          events.push(`bytesWritten ${s.bytesWritten}`); // part of the 8 MiB sent, the rest waiting on the peer
          s.destroy();
        }, 50);
      });
    const ours = await run(net);
    expect(ours).toEqual(await run(impls.node));
    expect(ours).toEqual(['bytesWritten 8388618', 'write 8 MiB: null', 'write 10 B: ERR_STREAM_DESTROYED', 'close false, bytesWritten 8388608']);
  });

  it("destroyed by an error with a write waiting on the peer: 'error' first, then that write's callback, then 'close' — as node:net's", async () => {
    const run = (impl: typeof net) =>
      withSilentPeer(impl, (s, events) => {
        s.on('error', (e) => events.push(`error ${code(e)}`));
        s.on('close', (hadError) => events.push(`close ${hadError}`));
        s.write(Buffer.alloc(8 << 20, 1), (e) => events.push(`write: ${code(e)}`));
        s.end(() => events.push('end callback'));
        setTimeout(() => s.write('after end'), 20); // ERR_STREAM_WRITE_AFTER_END destroys the socket
      });
    const ours = await run(net);
    expect(ours).toEqual(await run(impls.node));
    expect(ours).toEqual(['error ERR_STREAM_WRITE_AFTER_END', 'write: null', 'end callback', 'close true']);
  });

  const hasPbufStatus = major > 6 || (major === 6 && minor >= 8);
  const wholeSkip = backend() !== 'io_uring' ? "the receive pool is the io_uring backend's" : !hasPbufStatus ? "reading the buffer ring's head needs Linux 6.8 (PBUF_STATUS)" : undefined;
  const wholeTitle = 'sockets destroyed while their data arrives give every receive buffer back: the pool stays whole';
  it.skipIf(wholeSkip !== undefined)(wholeSkip ? `${wholeTitle} — skipped: ${wholeSkip}` : wholeTitle, async () => {
    // Each destroy() comes with receives still in flight, whose CQEs carry pool buffers; lost, 64
    // such connections would leave every socket of the thread one shared buffer.
    const { server, port } = await listening(net, (s) => (s as AnySocket).once('data', () => s.destroy()));
    for (let k = 0; k < 80; k++) {
      const client = nodeNet.connect(port, '127.0.0.1', () => client.write(Buffer.alloc(300_000, 1)));
      client.on('error', () => {}); // ECONNRESET, as the test above shows
      await new Promise((resolve) => client.on('close', resolve));
    }
    await close(server);
    expect(RecvPool.of(getLoop()).available()).toBe(64);
  });

  it("destroying a socket whose received data sits unread in the stream's buffer ends the connection with a FIN, as node:net's (the kernel's queue is empty)", async () => {
    const readOneAndDestroy = (s: AnySocket) =>
      s.once('readable', () => {
        s.read(1); // the rest stays in the stream's buffer, read out of the kernel already
        s.destroy();
      });
    const outcome = (impl: typeof net) => howItEnds(impl, readOneAndDestroy, '123 and more');
    expect(await outcome(net)).toBe(await outcome(impls.node));
    expect(await outcome(impls.node)).toBe('end');
  });

  it("a socket destroyed on 'end' (as node:http's client does) has its 'close' in the same event-loop turn, before the next turn's timers — as node:net's", async () => {
    const runs = [];
    for (const impl of [impls.node, net]) {
      const { server, port } = await listening(nodeNet as unknown as typeof net, (s) => s.end('bye'));
      const client = impl.connect(port, '127.0.0.1') as AnySocket;
      const order: string[] = [];
      client.resume();
      client.on('end', () => {
        const until = performance.now() + 3;
        while (performance.now() < until); // a 1 ms timer is due by the next turn's timers phase
        setTimeout(() => order.push('timer'), 0);
        client.destroy();
      });
      await new Promise<void>((resolve) => client.on('close', () => (order.push('close'), resolve())));
      await new Promise((resolve) => setTimeout(resolve, 10));
      runs.push(order);
      await close(server);
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[0]).toEqual(['close', 'timer']);
  });

  it('a write after the peer ended the connection (no allowHalfOpen) fails like node:net: EPIPE, callback, destroyed', async () => {
    const outcome = async (impl: typeof net) => {
      const { server, port } = await listening(impl, (s) => s.end());
      const client = impl.connect(port, '127.0.0.1') as AnySocket;
      const events: string[] = [];
      client.on('error', (e: NodeJS.ErrnoException) => events.push(`error ${e.code} ${e.message}`));
      const closed = new Promise((resolve) => client.on('close', resolve)).then(() => events.push('close'));
      client.resume();
      await once(client, 'end');
      const written = await new Promise<NodeJS.ErrnoException | null | undefined>((resolve) => client.write('late', resolve));
      await closed;
      await close(server);
      return { callback: written && { code: written.code, message: written.message }, destroyed: client.destroyed, events };
    };
    const ours = await outcome(net);
    expect(ours).toEqual(await outcome(impls.node));
    expect(ours.callback).toEqual({ code: 'EPIPE', message: 'This socket has been ended by the other party' });
  });

  it('server close with open connections: no new connections, "close" after the last one ends', async () => {
    const sockets: AnySocket[] = [];
    const { server, port } = await listening(net, (s) => sockets.push(s));
    const client = net.connect(port, '127.0.0.1') as AnySocket;
    await once(client, 'connect');
    while (sockets.length === 0) await new Promise((resolve) => setImmediate(resolve));
    let closed = false;
    server.close(() => (closed = true));
    expect(server.address()).toBe(null);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toBe(false);
    const count = await new Promise<number>((resolve) => server.getConnections((_e, n) => resolve(n)));
    expect(count).toBe(1);
    const refused = net.connect(port, '127.0.0.1') as AnySocket;
    expect((await once(refused, 'error'))[0].code).toBe('ECONNREFUSED');
    client.end();
    sockets[0]!.end();
    await once(server, 'close');
    expect(closed).toBe(true);
  });

  it('errors shaped like node:net: refused connections, ports in use, bad ports and hosts', async () => {
    const connectError = async (impl: typeof net, ...args: unknown[]) => {
      const client = (impl.connect as (...a: unknown[]) => AnySocket)(...args);
      const [e] = await once(client, 'error');
      return errorOf(e);
    };
    const { server, port } = await listening(impls.node, () => undefined);
    await close(server);
    expect(await connectError(impls.uring, port, '127.0.0.1')).toEqual(await connectError(impls.node, port, '127.0.0.1'));
    expect(await connectError(impls.uring, join(dir, 'nobody.sock'))).toEqual(await connectError(impls.node, join(dir, 'nobody.sock')));
    const notFound = await connectError(impls.uring, 80, 'no-such-host.invalid');
    expect(notFound.code).toBe('ENOTFOUND');

    for (const bad of [70000, -1, 'abc', 1.5, {}]) {
      const thrown = (impl: typeof net) => {
        try {
          const socket = impl.connect(bad as number, '127.0.0.1') as AnySocket;
          socket.on('error', () => undefined).destroy(); // 'abc' is a path to both: it fails later, asynchronously
          return 'no error';
        } catch (e) {
          return errorOf(e as NodeJS.ErrnoException);
        }
      };
      expect(thrown(impls.uring)).toEqual(thrown(impls.node));
    }

    const taken = await listening(impls.node, () => undefined, '127.0.0.1');
    const listenError = async (impl: typeof net) => {
      const s = impl.createServer() as AnyServer;
      s.listen(taken.port, '127.0.0.1');
      const [e] = await once(s, 'error');
      return errorOf(e);
    };
    expect(await listenError(impls.uring)).toEqual(await listenError(impls.node));
    await close(taken.server);
    const listenThrows = (impl: typeof net) => {
      try {
        (impl.createServer() as AnyServer).listen(70000);
        return 'no error';
      } catch (e) {
        return errorOf(e as NodeJS.ErrnoException);
      }
    };
    expect(listenThrows(impls.uring)).toEqual(listenThrows(impls.node));

    // new Socket({ fd }) checks the fd as Node does (a bad one reached the ring as another fd).
    for (const fd of ['x', 1.5, -1, 2 ** 31]) {
      const thrown = (impl: typeof net) => {
        try {
          new impl.Socket({ fd: fd as number }).destroy();
          return 'no error';
        } catch (e) {
          return errorOf(e as NodeJS.ErrnoException);
        }
      };
      expect(thrown(impls.uring)).toMatchObject({ code: expect.stringMatching(/^ERR_/) });
      expect(thrown(impls.uring)).toEqual(thrown(impls.node));
    }
  });

  it('connectTimeout ends an attempt the peer never answers with connect ETIMEDOUT, and validates like Node', async () => {
    const { port, stop } = await silentListener();
    const started = Date.now();
    const client = net.connect({ port, host: '127.0.0.1', connectTimeout: 200 }) as AnySocket;
    const [error] = await once(client, 'error');
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(errorOf(error)).toEqual({ name: 'Error', message: `connect ETIMEDOUT 127.0.0.1:${port}`, code: 'ETIMEDOUT', errno: -110, syscall: 'connect', address: '127.0.0.1', port });
    await once(client, 'close');
    expect(client.destroyed).toBe(true);
    await stop();

    // Under the limit: connected, and nothing fires later — also with limits past 2^31 - 1 ms,
    // which a plain setTimeout() (the fallback's timers) would fire after 1 ms.
    const { server, port: open } = await listening(net, echo);
    for (const limit of [100, 2 ** 40]) {
      const io = limit > 100 ? { recvTimeout: limit, sendTimeout: limit } : {}; // (100 ms idle would end it: their job)
      const ok = net.connect({ port: open, host: '127.0.0.1', connectTimeout: limit, ...io }) as AnySocket;
      const errors: unknown[] = [];
      ok.on('error', (e) => errors.push(e));
      ok.resume();
      await Promise.race([once(ok, 'connect'), once(ok, 'close')]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect([limit, errors, ok.destroyed]).toEqual([limit, [], false]);
      ok.destroy();
    }
    await close(server);

    for (const [bad, code] of [['1', 'ERR_INVALID_ARG_TYPE'], [-1, 'ERR_OUT_OF_RANGE'], [Number.NaN, 'ERR_OUT_OF_RANGE'], [Infinity, 'ERR_OUT_OF_RANGE']] as const) {
      expect(() => net.connect({ port: open, host: '127.0.0.1', connectTimeout: bad as number })).toThrow(expect.objectContaining({ code }));
    }
  });

  it('recvTimeout ends a connection that receives nothing while reading with read ETIMEDOUT; data and pauses hold it off', async () => {
    // A server that sends a byte every 40 ms for a while, then nothing.
    const { server, port } = await listening(net, (s) => {
      let n = 0;
      const tick = setInterval(() => {
        if (s.destroyed || ++n > 8) return clearInterval(tick);
        s.write('x');
      }, 40);
      s.on('error', () => undefined);
      s.on('close', () => clearInterval(tick));
    });
    const started = Date.now();
    const client = net.connect({ port, host: '127.0.0.1', recvTimeout: 150 }) as AnySocket;
    let received = 0;
    client.on('data', (chunk) => (received += chunk.length));
    const [error] = await once(client, 'error');
    // All 8 bytes came (40 ms apart, under the limit), then 150 ms of silence.
    expect(received).toBe(8);
    expect(Date.now() - started).toBeGreaterThanOrEqual(8 * 40 + 100);
    expect(errorOf(error)).toEqual({ name: 'Error', message: 'read ETIMEDOUT', code: 'ETIMEDOUT', errno: -110, syscall: 'read', address: undefined, port: undefined });
    await once(client, 'close');

    // A paused socket is not reading: it is not timed until it resumes.
    const quiet = await listening(net, (s) => s.on('error', () => undefined));
    const paused = net.connect({ port: quiet.port, host: '127.0.0.1' }) as AnySocket;
    await once(paused, 'connect');
    paused.pause();
    net.setIoTimeouts(paused, { recvTimeout: 100 });
    const errors: Error[] = [];
    paused.on('error', (e) => errors.push(e));
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(errors).toEqual([]);
    expect(paused.destroyed).toBe(false);
    const resumedAt = Date.now();
    const closed = new Promise((resolve) => paused.on('close', resolve)); // (once() would reject on the 'error')
    paused.resume();
    await closed;
    expect(Date.now() - resumedAt).toBeGreaterThanOrEqual(80);
    expect(errors.map((e) => (e as NodeJS.ErrnoException).code)).toEqual(['ETIMEDOUT']);
    await Promise.all([close(server), close(quiet.server)]);
  });

  it('sendTimeout ends a connection whose peer takes no data with write ETIMEDOUT; recvTimeout 0 turns it off; both validate like Node', async () => {
    // The peer reads nothing: once both socket buffers are full, a send makes no progress.
    const accepted: AnySocket[] = [];
    const { server, port } = await listening(net, (s) => {
      s.pause();
      s.on('error', () => undefined);
      accepted.push(s);
    });
    const client = net.connect({ port, host: '127.0.0.1', sendTimeout: 200 }) as AnySocket;
    await once(client, 'connect');
    const started = Date.now();
    client.write(Buffer.alloc(64 << 20));
    const [error] = await once(client, 'error');
    expect(errorOf(error)).toEqual({ name: 'Error', message: 'write ETIMEDOUT', code: 'ETIMEDOUT', errno: -110, syscall: 'write', address: undefined, port: undefined });
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    await once(client, 'close');

    // Timeouts set and then turned off: a quiet connection stays up.
    const calm = net.connect({ port, host: '127.0.0.1', recvTimeout: 50 }) as AnySocket;
    await once(calm, 'connect');
    net.setIoTimeouts(calm, { recvTimeout: 0 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(calm.destroyed).toBe(false);
    calm.destroy();
    for (const s of accepted) s.destroy(); // paused, they would never see their peers go
    await close(server);

    for (const [bad, code] of [['1', 'ERR_INVALID_ARG_TYPE'], [-1, 'ERR_OUT_OF_RANGE'], [Number.NaN, 'ERR_OUT_OF_RANGE'], [Infinity, 'ERR_OUT_OF_RANGE']] as const) {
      expect(() => net.connect({ port, host: '127.0.0.1', recvTimeout: bad as number })).toThrow(expect.objectContaining({ code, message: expect.stringContaining('options.recvTimeout') }));
      expect(() => net.connect({ port, host: '127.0.0.1', sendTimeout: bad as number })).toThrow(expect.objectContaining({ code, message: expect.stringContaining('options.sendTimeout') }));
    }
    expect(() => net.setIoTimeouts({} as AnySocket, {})).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });

  it('two copies of @uring/net in one process (a duplicated dependency) share the thread loop and both receive', async () => {
    // The built package imported twice (a query makes a second module instance), as npm can
    // install it twice: both copies' sockets read through the same ring, each on a buffer group
    // of its own (the second found the first's id taken: EEXIST).
    const dist = new URL('../dist/index.js', import.meta.url).href;
    const script = `
      const a = (await import(process.argv[1])).default;
      const b = (await import(process.argv[1] + '?copy=2')).default;
      if (a === b) throw new Error('one module instance, not two');
      const server = a.createServer((s) => s.on('data', (d) => s.write(d)));
      server.listen(0, '127.0.0.1', () => {
        const c = b.connect(server.address().port, '127.0.0.1', () => c.write('ping'));
        c.on('data', (d) => { process.stdout.write(String(d)); c.destroy(); server.close(); });
      });`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, dist], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    const [code] = await once(child, 'exit');
    expect({ code, out, err }).toEqual({ code: 0, out: 'ping', err: '' });
  });

  it('new Socket() then connect(), and new Server(), work on either backend, and instanceof holds', async () => {
    const accepted: AnySocket[] = [];
    const server = new net.Server(((s: AnySocket) => {
      accepted.push(s);
      s.end('hello');
    }) as never) as unknown as AnyServer;
    expect(server).toBeInstanceOf(net.Server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const socket = new net.Socket() as unknown as AnySocket;
    expect(socket).toBeInstanceOf(net.Socket);
    socket.connect((server.address() as nodeNet.AddressInfo).port, '127.0.0.1');
    expect(String(await collect(socket))).toBe('hello');
    expect(accepted[0]).toBeInstanceOf(net.Socket);
    expect(net.connect((server.address() as nodeNet.AddressInfo).port, '127.0.0.1').on('error', () => undefined).destroy()).toBeInstanceOf(net.Socket);
    class Mine extends net.Socket {}
    expect(new Mine()).toBeInstanceOf(net.Socket);
    expect(new Mine()).toBeInstanceOf(Mine);
    expect(new net.Socket()).not.toBeInstanceOf(Mine);
    // Called without new, as node:net's function constructors allow.
    expect((net.Socket as unknown as () => unknown)()).toBeInstanceOf(net.Socket);
    expect((net.Server as unknown as () => unknown)()).toBeInstanceOf(net.Server);
    await close(server);
  });

  it('a subclass of Server and of Socket listens and connects on either backend', async () => {
    class Greeter extends net.Server {
      greeting = 'hello';
    }
    class Client extends net.Socket {
      received = '';
    }
    const server = new Greeter((s) => (s as unknown as AnySocket).end(server.greeting));
    expect(server).toBeInstanceOf(net.Server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = new Client();
    client.connect((server.address() as nodeNet.AddressInfo).port, '127.0.0.1');
    client.on('data', (d: Buffer) => (client.received += String(d)));
    await once(client, 'end');
    expect(client.received).toBe('hello');
    expect(client).toBeInstanceOf(Client);
    expect(client).toBeInstanceOf(net.Socket);
    // The subclass sits on the active backend's class: node:net's in the fallback.
    expect(client instanceof nodeNet.Socket).toBe(net.backend() === 'node');
    client.destroy();
    await close(server as unknown as AnyServer);
  });

  it("events in node:net's order: connect after the caller's ticks, writes and ends before connecting, a second connect, destroy", async () => {
    const { server, port } = await listening(impls.node, (s) => {
      s.on('error', () => undefined);
      s.on('data', (d) => {
        if (String(d).includes('bye')) s.end('ok');
      });
    });
    const NAMES = ['connect', 'ready', 'data', 'end', 'finish', 'prefinish', 'close', 'error', 'pause', 'resume'];
    const describeArg = (a: unknown) => (a instanceof Error ? `${(a as NodeJS.ErrnoException).code}: ${a.message.replace(/:\d+/g, ':<port>')}` : Buffer.isBuffer(a) ? `<${a}>` : a);
    const watch = (s: AnySocket, log: unknown[]) => {
      for (const name of NAMES) s.on(name, (...args: unknown[]) => log.push([name, ...args.map(describeArg)]));
      return new Promise((resolve) => s.once('close', resolve));
    };
    const scenarios: Record<string, (impl: typeof net, log: unknown[]) => Promise<unknown>> = {
      async connectAfterTicks(impl, log) {
        const s = impl.connect(port, '127.0.0.1') as AnySocket;
        process.nextTick(() => log.push('tick'));
        queueMicrotask(() => log.push('microtask'));
        const closed = watch(s, log);
        await once(s, 'connect');
        s.write('bye');
        return closed;
      },
      async encodingPauseResume(impl, log) {
        const s = impl.connect(port, '127.0.0.1') as AnySocket;
        const closed = watch(s, log);
        s.setEncoding('utf8');
        await once(s, 'connect');
        s.pause();
        log.push(`paused ${s.isPaused()}`);
        s.resume();
        s.write('bye', (e) => log.push(`write callback ${e}`));
        await closed;
        log.push(`bytes ${s.bytesRead} ${s.bytesWritten} ${s.readyState}`);
      },
      async destroySoon(impl, log) {
        const s = impl.connect(port, '127.0.0.1') as AnySocket;
        const closed = watch(s, log);
        s.write('no reply to this');
        s.destroySoon();
        return closed;
      },
      async destroyWithError(impl, log) {
        const s = impl.connect(port, '127.0.0.1') as AnySocket;
        const closed = watch(s, log);
        await once(s, 'connect');
        s.destroy(new Error('boom'));
        return closed;
      },
      async writeNeverConnected(impl, log) {
        const s = new impl.Socket() as unknown as AnySocket;
        const closed = watch(s, log);
        s.write('x', (e) => log.push(`write callback ${(e as NodeJS.ErrnoException | null)?.code}`));
        return closed;
      },
      async endNeverConnected(impl, log) {
        const s = new impl.Socket() as unknown as AnySocket;
        const closed = watch(s, log);
        s.end(() => log.push('end callback'));
        await delay(20);
        log.push(`destroyed ${s.destroyed}`);
        s.destroy();
        return closed;
      },
      async connectTwice(impl, log) {
        const s = impl.connect(port, '127.0.0.1') as AnySocket;
        const closed = watch(s, log);
        s.connect(port, '127.0.0.1');
        return closed;
      },
      async connectTwiceRefused(impl, log) {
        const s = impl.connect(1, '127.0.0.1') as AnySocket; // nothing listens on port 1
        const closed = watch(s, log);
        s.connect(1, '127.0.0.1');
        return closed;
      },
      async connectWhenConnected(impl, log) {
        // node:net calls connect(2) again: the kernel finishes a completed nonblocking connect with 0 once.
        const s = impl.connect(port, '127.0.0.1') as AnySocket;
        const closed = watch(s, log);
        await once(s, 'connect');
        const local = s.localPort;
        s.connect(port, '127.0.0.1', () => log.push('callback'));
        log.push(`${s.connecting} ${s.readyState}`);
        await once(s, 'connect');
        log.push(`${s.connecting} ${s.readyState} same local port ${s.localPort === local}`);
        s.connect(port, '127.0.0.1'); // a second time: EISCONN, as node:net's (the kernel's answer)
        log.push(`${s.connecting} ${s.readyState}`);
        return closed;
      },
      async timeoutProperty(impl, log) {
        const s = new impl.Socket() as unknown as AnySocket;
        log.push(s.timeout);
        s.setTimeout(1000);
        log.push(s.timeout);
        s.setTimeout(0);
        log.push(s.timeout);
        s.destroy();
      },
    };
    for (const [name, scenario] of Object.entries(scenarios)) {
      const logs = [];
      for (const impl of [impls.node, impls.uring]) {
        const log: unknown[] = [];
        await scenario(impl, log);
        logs.push(log);
      }
      expect([name, logs[1]]).toEqual([name, logs[0]]);
    }
    await close(server);
  });

  it("the peer's FIN while our end() is in flight: 'end' after 'finish', as node:net's", async () => {
    // Both call shutdown(2) at once and call back later; the FIN the peer's destroy() sent in the
    // same tick can be reaped before that callback. (With IORING_OP_SHUTDOWN, run by an io-wq
    // worker, ours even completed after it.)
    const run = async (impl: typeof net) => {
      let peer: AnySocket | undefined;
      const { server, port } = await listening(nodeNet as unknown as typeof net, (s) => (peer = s));
      const s = impl.connect({ port, host: '127.0.0.1', allowHalfOpen: true }) as AnySocket;
      await once(s, 'connect');
      while (!peer) await new Promise(setImmediate);
      const log: string[] = [];
      for (const name of ['data', 'end', 'prefinish', 'finish', 'close']) s.on(name, () => log.push(name));
      s.resume();
      peer.destroy(); // close(2) now: the FIN is on its way before our end()
      s.end();
      await once(s, 'close');
      await close(server);
      return log;
    };
    const node = await run(impls.node);
    expect(node).toEqual(['prefinish', 'finish', 'end', 'close']);
    for (let i = 0; i < 5; i++) expect(await run(impls.uring)).toEqual(node);
  });

  it('end() sends the FIN at once with shutdown(2), no ring operation (IORING_OP_SHUTDOWN would wake an io-wq worker)', async () => {
    let peer: AnySocket | undefined;
    const { server, port } = await listening(nodeNet as unknown as typeof net, (p) => (peer = p));
    const s = net.connect(port, '127.0.0.1') as AnySocket;
    await once(s, 'connect');
    while (!peer) await new Promise(setImmediate);
    peer.resume();
    const peerEnded = once(peer, 'end');
    const loop = backend() === 'io_uring' ? getLoop() : undefined;
    const submitted = loop?.metrics.submitted;
    const finished = once(s, 'finish');
    s.end();
    await peerEnded;
    expect(loop?.metrics.submitted).toBe(submitted);
    await finished;
    s.destroy();
    await close(server);
  });

  it("a socket's properties and setTimeout's checks as node:net's: connecting, connected, destroyed", async () => {
    const { server, port } = await listening(impls.node, (s) => s.on('error', () => undefined));
    const show = (f: () => unknown) => {
      try {
        const r = f();
        return r instanceof nodeNet.Socket || r instanceof net.Socket ? 'the socket' : String(r);
      } catch (e) {
        return `throws ${(e as NodeJS.ErrnoException).code} ${(e as Error).message}`;
      }
    };
    const props = (s: AnySocket) => `${s.pending} ${s.connecting} ${s.readyState} ${s.remoteAddress} ${s.remoteFamily} ${s.localAddress} ${s.localFamily} ${JSON.stringify(Object.keys(s.address()))}`;
    const probes: Record<string, (s: AnySocket) => string | Promise<string>> = {
      connecting: (s) => props(s),
      connected: async (s) => (await once(s, 'connect'), props(s)),
      destroyed: async (s) => (await once(s, 'connect'), s.destroy(), props(s)),
      peerReadBeforeDestroy: async (s) => (await once(s, 'connect'), s.remoteAddress, s.destroy(), `${s.remoteAddress} ${s.localAddress}`),
      timeoutBadCallback: (s) => show(() => s.setTimeout(10, 'x' as never)) + ' | ' + show(() => s.setTimeout(0, 42 as never)),
      timeoutBadValue: (s) => show(() => s.setTimeout(Number.NaN)) + ' | ' + show(() => s.setTimeout('5' as never)) + ` | ${s.timeout}`,
      timeoutDestroyed: (s) => (s.destroy(), show(() => s.setTimeout(5)) + ' ' + show(() => s.setTimeout('x' as never)) + ` ${s.timeout}`),
    };
    for (const [name, probe] of Object.entries(probes)) {
      const results = [];
      for (const impl of [impls.node, impls.uring]) {
        const s = impl.connect(port, '127.0.0.1') as AnySocket;
        s.on('error', () => undefined);
        results.push(await probe(s));
        s.destroy();
      }
      expect([name, results[1]]).toEqual([name, results[0]]);
    }
    await close(server);
  });

  it("readable: false and writable: false start that side ended, as node:net's: nothing read, or a write after end", async () => {
    const received: string[] = [];
    const server = nodeNet.createServer((s) => {
      s.on('error', () => undefined); // the client may close on unread data: a reset
      s.on('data', (d) => received.push(String(d)));
      s.write('hello');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as nodeNet.AddressInfo;
    const runs: unknown[][] = [];
    for (const impl of [impls.node, impls.uring]) {
      const run: unknown[] = [];
      for (const options of [{ readable: false }, { writable: false }, { readable: false, writable: true }]) {
        received.length = 0;
        const s = new impl.Socket(options) as unknown as AnySocket;
        const events: string[] = [];
        s.on('data', (d) => events.push(`data ${d}`));
        for (const name of ['end', 'finish']) s.on(name, () => events.push(name));
        s.on('error', (e: NodeJS.ErrnoException) => events.push(`error ${e.code}`));
        s.connect(port, '127.0.0.1');
        await once(s, 'connect');
        const state = { readable: s.readable, writable: s.writable, readyState: s.readyState, readableEnded: s.readableEnded, writableEnded: s.writableEnded };
        const closed = new Promise<boolean>((resolve) => s.on('close', resolve)); // (events.once would reject on the 'error')
        const wrote = s.write('x', (e) => events.push(`write ${(e as NodeJS.ErrnoException | null)?.code ?? 'done'}`));
        s.end();
        const hadError = await closed;
        await new Promise((resolve) => setTimeout(resolve, 20)); // the server's read of what was sent
        run.push({ options, state, wrote, events, hadError, serverGot: received.join('') });
      }
      runs.push(run);
    }
    server.close();
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[0]![0]).toMatchObject({ state: { readable: false, readyState: 'writeOnly' }, wrote: true, events: ['write done', 'finish'], serverGot: 'x' });
    expect(runs[0]![1]).toMatchObject({ state: { writable: false, readyState: 'readOnly' }, wrote: false, events: ['write ERR_STREAM_WRITE_AFTER_END', 'error ERR_STREAM_WRITE_AFTER_END'], hadError: true, serverGot: '' });
  });

  it('setNoDelay and setKeepAlive set what node:net sets, connected or not yet, and from connect and server options', async () => {
    const runs = [];
    for (const impl of [impls.node, impls.uring]) {
      const accepted: AnySocket[] = [];
      const server = impl.createServer({ noDelay: true, keepAlive: true, keepAliveInitialDelay: 2000 }, ((s: AnySocket) => accepted.push(s)) as never) as unknown as AnyServer;
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const { port } = server.address() as nodeNet.AddressInfo;
      const options = (s: AnySocket) => tcpOptions(s.localPort!, port);
      const run: Record<string, unknown> = {};
      const a = impl.connect({ port, host: '127.0.0.1', noDelay: true, keepAlive: true, keepAliveInitialDelay: 5000 }) as AnySocket;
      await once(a, 'connect');
      run.fromOptions = options(a);
      const b = new impl.Socket() as unknown as AnySocket;
      b.setNoDelay();
      b.setKeepAlive(true, 3000);
      b.connect(port, '127.0.0.1');
      await once(b, 'connect');
      run.setBefore = options(b);
      b.setKeepAlive(true, 1500);
      run.delayChanged = options(b);
      b.setKeepAlive(false);
      b.setNoDelay(false);
      run.off = options(b);
      run.accepted = tcpOptions(port, a.localPort!);
      expect(accepted.length).toBeGreaterThan(0);
      a.destroy();
      b.destroy();
      await close(server);
      runs.push(run);
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[0]).toMatchObject({ fromOptions: { noDelay: 1, keepAlive: 1, idle: 5, interval: 1, count: 10 }, delayChanged: { idle: 1 }, off: { noDelay: 0, keepAlive: 0 }, accepted: { noDelay: 1, keepAlive: 1, idle: 2 } });
    for (const make of [(impl: typeof net) => impl.connect({ port: 1, host: '127.0.0.1', keepAliveInitialDelay: '5' as never }), (impl: typeof net) => impl.createServer({ keepAliveInitialDelay: '5' as never })]) {
      const thrown = (impl: typeof net) => {
        try {
          const made = make(impl) as unknown as { on?: (e: string, f: () => void) => void; destroy?: () => void };
          made.on?.('error', () => undefined);
          made.destroy?.();
          return 'no error';
        } catch (e) {
          return errorOf(e as NodeJS.ErrnoException);
        }
      };
      expect(thrown(impls.uring)).toEqual(thrown(impls.node));
      expect(thrown(impls.node)).not.toBe('no error');
    }
  });

  it('socket options and timeouts: setNoDelay, setKeepAlive, setTimeout emits "timeout"', async () => {
    const { server, port } = await listening(net, () => undefined);
    const client = net.connect(port, '127.0.0.1') as AnySocket;
    await once(client, 'connect');
    expect(client.setNoDelay(true)).toBe(client);
    expect(client.setKeepAlive(true, 1000)).toBe(client);
    const started = Date.now();
    client.setTimeout(50);
    await once(client, 'timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(40);
    expect(() => client.setTimeout(-1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    client.destroy();
    await once(client, 'close');
    await close(server);
  });

  it("setTimeout past 2^31 - 1 ms is cut to it with node:net's TimeoutOverflowWarning — not a timer of 1 ms", async () => {
    const { server, port } = await listening(net, (socket) => socket.resume());
    const runs = [];
    for (const impl of Object.values(impls)) {
      const client = impl.connect(port, '127.0.0.1') as AnySocket;
      await once(client, 'connect');
      const warnings: string[] = [];
      const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
      process.on('warning', onWarning);
      let fired = 0;
      client.setTimeout(2 ** 53, () => fired++);
      await delay(60);
      process.off('warning', onWarning);
      runs.push({ timeout: client.timeout, fired, warnings });
      client.destroy();
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[0]).toEqual({ timeout: 2 ** 53, fired: 0, warnings: ['TimeoutOverflowWarning: 9007199254740992 does not fit into a 32-bit signed integer.\nTimer duration was truncated to 2147483647.'] });
    await close(server);
  });

  it('setTimeout: activity starts the idle timer over; it fires once idle, again after more activity, and never once cleared', async () => {
    const { server, port } = await listening(net, (socket) => socket.resume());
    const client = net.connect(port, '127.0.0.1') as AnySocket;
    await once(client, 'connect');
    let timeouts = 0;
    client.on('timeout', () => timeouts++);
    client.setTimeout(400);
    // A write every 40 ms for 1.2 s: three idle timeouts' worth of time, never 400 ms idle.
    for (let k = 0; k < 30; k++) {
      await new Promise((resolve) => client.write('x', resolve));
      await delay(40);
    }
    expect(timeouts).toBe(0);
    await once(client, 'timeout');
    expect(timeouts).toBe(1);
    await new Promise((resolve) => client.write('y', resolve)); // activity after it fired arms it again
    await once(client, 'timeout');
    expect(timeouts).toBe(2);
    client.setTimeout(0);
    await new Promise((resolve) => client.write('z', resolve));
    await delay(600);
    expect(timeouts).toBe(2);
    client.destroy();
    await once(client, 'close');
    await close(server);
  });

  it('sendFile: a file range between other writes, in order, the socket left open; a closed socket rejects', async () => {
    const content = randomBytes(3 << 20);
    await withFile('send-file.bin', content, async (fd) => {
      const sent: number[] = [];
      let settled!: (outcome: string) => void;
      const afterClose = new Promise<string>((resolve) => (settled = resolve));
      const handlers = [
        async (socket: AnySocket) => {
          socket.write('head:');
          sent.push(await sendFile(socket, fd, 5, 2 << 20));
          sent.push(await sendFile(socket, fd, (3 << 20) - 10)); // to the end
          socket.end(':tail');
        },
        async (socket: AnySocket) => {
          socket.resume();
          await once(socket, 'close');
          sendFile(socket, fd).then(
            () => settled('resolved'),
            (error) => settled(error.code),
          );
        },
      ];
      const { server, port } = await listening(net, ((socket: AnySocket) => void handlers.shift()!(socket)) as never);
      const client = net.connect(port, '127.0.0.1') as AnySocket;
      const got = await collect(client);
      const expected = Buffer.concat([Buffer.from('head:'), content.subarray(5, 5 + (2 << 20)), content.subarray(-10), Buffer.from(':tail')]);
      expect(got.length).toBe(expected.length);
      expect(digest(got)).toBe(digest(expected));
      expect(sent).toEqual([2 << 20, 10]);
      const other = net.connect(port, '127.0.0.1') as AnySocket;
      await once(other, 'connect');
      other.end();
      expect(await afterClose).toBe('ERR_SOCKET_CLOSED');
      await close(server);
    });
  });

  it('sendFile: writes made after the call — at once, and while it runs — follow the file, whole, to a peer that reads slowly', async () => {
    // Found by hand (2026-12-06): a 24 MiB write made right after sendFile() was interleaved with
    // the file's bytes on the ring (its send beside the splice), and one made while it ran landed
    // amid them in the fallback (createReadStream piped into the socket).
    const content = randomBytes(8 << 20);
    await withFile('send-file-order.bin', content, async (fd) => {
      const [atOnce, meanwhile, after] = [randomBytes(6 << 20), randomBytes(6 << 20), Buffer.from(':end')];
      let sent: number | undefined;
      const { server, port } = await listening(net, (async (socket: AnySocket) => {
        const done = sendFile(socket, fd);
        socket.write(atOnce);
        await new Promise((resolve) => setTimeout(resolve, 20));
        socket.write(meanwhile);
        sent = await done;
        socket.end(after);
      }) as never);
      const client = nodeNet.connect(port, '127.0.0.1');
      client.pause(); // the kernel's buffers fill: the writes wait for room
      await new Promise((resolve) => setTimeout(resolve, 100));
      client.resume();
      const got = await collect(client as unknown as AnySocket);
      const expected = Buffer.concat([content, atOnce, meanwhile, after]);
      expect(got.length).toBe(expected.length);
      expect(got.equals(expected)).toBe(true);
      expect(sent).toBe(content.length);
      await close(server);
    });
  });

  it('sendFile: corked among writes it keeps its place; aborted midway, what follows comes after the part sent; a socket destroyed midway rejects ERR_SOCKET_CLOSED and leaves the fd open', async () => {
    const content = randomBytes(16 << 20);
    await withFile('send-file-abort.bin', content, async (fd) => {
      const outcomes: unknown[] = [];
      const handlers = [
        async (socket: AnySocket) => {
          socket.cork();
          socket.write('a');
          const done = sendFile(socket, fd, 0, 5);
          socket.write('b');
          socket.uncork();
          outcomes.push(await done);
          socket.end();
        },
        async (socket: AnySocket) => {
          const controller = new AbortController();
          const done = sendFile(socket, fd, 0, Infinity, { signal: controller.signal });
          setTimeout(() => controller.abort(), 30);
          outcomes.push(await done.catch((error) => error.name));
          socket.end('after');
        },
        async (socket: AnySocket) => {
          const done = sendFile(socket, fd);
          setTimeout(() => socket.destroy(), 30);
          outcomes.push(await done.catch((error) => error.code));
        },
      ];
      const { server, port } = await listening(net, ((socket: AnySocket) => void handlers.shift()!(socket)) as never);
      const read = async (pauseFirst: boolean) => {
        const client = nodeNet.connect(port, '127.0.0.1');
        client.on('error', () => undefined); // the destroyed one may reset
        if (pauseFirst) {
          client.pause(); // the file waits for room when the abort or destroy comes
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        const chunks: Buffer[] = [];
        client.on('data', (d) => chunks.push(d));
        client.resume();
        await once(client, 'close');
        return Buffer.concat(chunks);
      };
      expect((await read(false)).toString('latin1')).toBe(`a${content.subarray(0, 5).toString('latin1')}b`);
      const aborted = await read(true);
      const part = aborted.length - 'after'.length;
      expect(part).toBeGreaterThan(0);
      expect(part).toBeLessThan(content.length);
      expect(aborted.subarray(0, part).equals(content.subarray(0, part))).toBe(true);
      expect(aborted.subarray(part).toString()).toBe('after');
      await read(true);
      expect(outcomes).toEqual([5, 'AbortError', 'ERR_SOCKET_CLOSED']);
      expect(fstatSync(fd).size).toBe(content.length); // the fd is still the caller's (the fallback's read stream closed it)
      await close(server);
    });
  });

  it('sendFile: aborted as soon as it starts, none of the file goes out, and what follows does', async () => {
    await withFile('send-file-abort-at-once.bin', randomBytes(1 << 20), async (fd) => {
      let outcome: unknown;
      const { server, port } = await listening(net, (async (socket: AnySocket) => {
        const controller = new AbortController();
        const done = sendFile(socket, fd, 0, Infinity, { signal: controller.signal }); // its turn comes at once: nothing queued before it
        controller.abort(); // the fallback's first read is in flight: its piece must not go out
        outcome = await done.catch((error) => error.name);
        socket.end('after');
      }) as never);
      const client = nodeNet.connect(port, '127.0.0.1');
      const got = await collect(client as unknown as AnySocket);
      expect(outcome).toBe('AbortError');
      expect(got.toString()).toBe('after');
      await close(server);
    });
  });

  it('pipeline(createReadStream(file), socket) takes the kernel path into a @uring/net socket', async () => {
    const file = join(dir, 'pipeline.bin');
    const content = randomBytes((5 << 20) + 11);
    writeFileSync(file, content);
    const received: Promise<Buffer>[] = [];
    const { server, port } = await listening(net, ((s: AnySocket) => received.push(collect(s))) as never);
    const socket = net.connect(port, '127.0.0.1') as AnySocket & { sendFile?: (...a: unknown[]) => Promise<number> };
    await once(socket, 'connect');
    let sendFileCalls = 0;
    if (socket.sendFile) {
      const original = socket.sendFile.bind(socket);
      socket.sendFile = (...a: unknown[]) => (sendFileCalls++, original(...a));
    }
    await pipeline(createReadStream(file, { start: 7 }), socket);
    const got = await received[0]!;
    expect(digest(got)).toBe(digest(content.subarray(7)));
    expect(sendFileCalls).toBe(backend() === 'io_uring' ? 1 : 0);
    await close(server);
  });

  it("pipeline(createReadStream(file), socket) whose peer resets: rejects with the connection's error (ECONNRESET or EPIPE), as stream/promises' pipeline does, not ERR_SOCKET_CLOSED", async () => {
    const file = join(dir, 'pipeline-reset.bin');
    writeFileSync(file, randomBytes(4 << 20));
    const { pipeline: nodePipeline } = await import('node:stream/promises');
    const outcomes = [];
    for (const run of [nodePipeline, pipeline] as (typeof pipeline)[]) {
      const server = nodeNet.createServer((s) => s.once('data', () => s.resetAndDestroy()));
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const socket = net.connect((server.address() as nodeNet.AddressInfo).port, '127.0.0.1') as AnySocket;
      await once(socket, 'connect');
      outcomes.push(await run(createReadStream(file), socket).then(() => 'resolved', (e: NodeJS.ErrnoException) => e.code));
      await close(server);
    }
    expect(outcomes[0]).toBe('ECONNRESET');
    // Ours: the socket's error where the reset destroyed it first (it was ERR_SOCKET_CLOSED); EPIPE
    // where the splice met the reset first — the kernel hands ECONNRESET to one operation only.
    expect(['ECONNRESET', 'EPIPE']).toContain(outcomes[1]);
  });

  it("createHttpServer's server acts as http.createServer's: close, getConnections, maxConnections and 'drop', listening", async () => {
    const makers = [(h?: http.RequestListener) => http.createServer(h), (h?: http.RequestListener) => createHttpServer(h)];
    const hello: http.RequestListener = (_req, res) => res.end('x');
    const scenarios: Record<string, (make: (typeof makers)[number], log: unknown[]) => Promise<void>> = {
      async closeNotListening(make, log) {
        const s = make();
        s.close((e) => log.push(`callback ${(e as NodeJS.ErrnoException | undefined)?.code}`));
        s.on('close', () => log.push('close'));
        await delay(30);
      },
      async closeTwice(make, log) {
        const s = make();
        s.listen(0, '127.0.0.1');
        await once(s, 'listening');
        s.close((e) => log.push(`first ${(e as NodeJS.ErrnoException | undefined)?.code}`));
        s.close((e) => log.push(`second ${(e as NodeJS.ErrnoException | undefined)?.code}`));
        await delay(50);
      },
      async connections(make, log) {
        const s = make(hello);
        s.maxConnections = 1;
        s.on('drop', (d?: { remoteAddress?: string }) => log.push(`drop ${d?.remoteAddress}`));
        s.listen(0, '127.0.0.1');
        await once(s, 'listening');
        log.push(`listening ${s.listening}`);
        const { port } = s.address() as nodeNet.AddressInfo;
        const a = nodeNet.connect(port, '127.0.0.1');
        await once(s, 'connection');
        log.push(await new Promise((resolve) => s.getConnections((e, n) => resolve(`connections ${e} ${n}`))));
        const b = nodeNet.connect(port, '127.0.0.1').on('error', () => undefined);
        b.resume();
        await once(b, 'close');
        a.destroy();
        s.close();
        await once(s, 'close');
        log.push(`listening ${s.listening} ${s.address()}`);
      },
      // node:http starts a timer at each 'listening' that checks requests against headersTimeout
      // and requestTimeout; its close stops it (else it runs on, every 30 s, and holds the server).
      async checkTimerStopped(make, log) {
        const s = make(hello);
        const timer = () => {
          const key = Object.getOwnPropertySymbols(s).find((k) => k.description === 'http.server.connectionsCheckingInterval');
          return key && ((s as unknown as Record<symbol, { _destroyed: boolean }>)[key]?._destroyed ? 'stopped' : 'running');
        };
        for (let round = 0; round < 2; round++) {
          s.listen(0, '127.0.0.1');
          await once(s, 'listening');
          log.push(`listening: ${timer()}`);
          await new Promise((resolve) => s.close(resolve));
          log.push(`closed: ${timer()}`);
        }
      },
    };
    const logs0: Record<string, unknown[]> = {}; // node:http's
    for (const [name, scenario] of Object.entries(scenarios)) {
      const logs = [];
      for (const make of makers) {
        const log: unknown[] = [];
        await scenario(make, log);
        logs.push(log);
      }
      logs0[name] = logs[0]!;
      expect([name, logs[1]]).toEqual([name, logs[0]]);
    }
    expect(logs0.checkTimerStopped).toEqual(['listening: running', 'closed: stopped', 'listening: running', 'closed: stopped']);
  });

  it("createHttpServer's connections get http.createServer's socket options: TCP_NODELAY by default, keepAlive, highWaterMark", async () => {
    const runs = [];
    for (const make of [http.createServer, createHttpServer] as ((options: http.ServerOptions) => http.Server)[]) {
      const run: unknown[] = [];
      for (const options of [{}, { noDelay: false, keepAlive: true, keepAliveInitialDelay: 3000, highWaterMark: 1000 }]) {
        const server = make(options);
        const kept = server as unknown as Record<string, unknown>;
        run.push(['noDelay', 'keepAlive', 'keepAliveInitialDelay', 'highWaterMark', 'allowHalfOpen'].map((k) => kept[k]));
        server.listen(0, '127.0.0.1');
        await once(server, 'listening');
        const port = (server.address() as nodeNet.AddressInfo).port;
        const client = nodeNet.connect(port, '127.0.0.1');
        const [socket] = (await once(server, 'connection')) as [AnySocket];
        const { noDelay, keepAlive, idle } = tcpOptions(port, socket.remotePort!);
        run.push({ noDelay, keepAlive, idle: keepAlive ? idle : 'off', hwm: socket.readableHighWaterMark });
        client.destroy();
        socket.destroy();
        await close(server as unknown as AnyServer);
      }
      runs.push(run);
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[0]![1]).toEqual({ noDelay: 1, keepAlive: 0, idle: 'off', hwm: 16384 });
  });

  it('more writes than one writev takes (IOV_MAX, 1024) go out together in order: corked small writes, and a response node:http writes in 1 KiB pieces', async () => {
    const digestBack = (s: AnySocket) => {
      const chunks: Buffer[] = [];
      s.on('data', (chunk: Buffer) => chunks.push(chunk)).on('end', () => s.end(digest(Buffer.concat(chunks))));
    };
    const { server, port } = await listening(nodeNet as unknown as typeof net, digestBack, '127.0.0.1', { allowHalfOpen: true });
    const client = net.connect(port, '127.0.0.1') as AnySocket;
    await once(client, 'connect');
    const pieces = Array.from({ length: 3000 }, (_, k) => `${k},`);
    client.cork();
    for (const piece of pieces) client.write(piece);
    client.uncork();
    client.end();
    expect((await collect(client)).toString()).toBe(digest(Buffer.from(pieces.join(''))));
    expect(client.bytesWritten).toBe(pieces.join('').length);
    await close(server);

    const web = createHttpServer((_req, res) => {
      for (let k = 0; k < 1024; k++) res.write(`${String(k).padStart(1023, '.')}\n`);
      res.end('!');
    });
    web.listen(0, '127.0.0.1');
    await once(web, 'listening');
    const response = await fetch(`http://127.0.0.1:${(web.address() as nodeNet.AddressInfo).port}/`);
    const body = await response.text();
    expect([response.status, body.length, body.slice(0, 1024), body.slice(-1025)]).toEqual([200, 1024 * 1024 + 1, `${'.'.repeat(1023)}0`.slice(-1023) + '\n', `${'.'.repeat(1019)}1023\n!`]);
    await close(web as unknown as AnyServer);
  });

  it('node:http over the sockets: fetch gets correct responses, keep-alive included', async () => {
    const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        res.setHeader('content-type', 'text/plain');
        res.end(`${req.method} ${req.url} ${body.length}`);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as nodeNet.AddressInfo;
    const sockets = new Set<unknown>();
    server.on('connection', (s) => sockets.add(s));
    for (let k = 0; k < 5; k++) {
      const res = await fetch(`http://127.0.0.1:${port}/path/${k}`, { method: 'POST', body: 'x'.repeat(k * 1000) });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/plain');
      expect(res.headers.get('connection')).toBe('keep-alive');
      expect(await res.text()).toBe(`POST /path/${k} ${k * 1000}`);
    }
    for (let k = 0; k < 5; k++) expect(await (await fetch(`http://127.0.0.1:${port}/get/${k}`)).text()).toBe(`GET /get/${k} 0`);
    // Keep-alive: connections are reused (fetch opens a second one for request bodies, on node:net too).
    expect(sockets.size).toBeLessThanOrEqual(2);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const glibc = (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header.glibcVersionRuntime;
  const poolSkip =
    backend() !== 'io_uring' ? "the receive pool is the io_uring backend's"
    : !glibc ? 'the C library is not glibc'
    : /libasan/.test(process.env.LD_PRELOAD ?? '') ? "malloc is AddressSanitizer's"
    : undefined;
  const poolTitle = "the receive pool raises glibc's malloc thresholds, so received chunks' memory is kept, not trimmed";
  it.skipIf(poolSkip !== undefined)(poolSkip ? `${poolTitle} — skipped: ${poolSkip}` : poolTitle, () => {
    // In a process of its own: a 2 MiB Buffer is mmap'd by malloc until a socket has received
    // (the pool releases a 4 MiB block: mmap threshold 4 MiB, trim threshold 8 MiB), then it
    // comes from an arena (see recv-pool.ts): the main one, the [heap] — or, when a V8 helper
    // thread holds the main arena's lock at that moment, another. A chunk mmap'd on its own is a
    // mapping of its own, its data 16 bytes (the chunk's header) past the mapping's start; an
    // arena's chunk never is (a mapping of an arena begins with the arena's own header). (Told
    // apart by the page offset alone, an arena chunk that happened to sit 16 bytes into a page
    // read as mmap'd: a flake, one clean-clone CI run in several.)
    const dist = (name: string) => JSON.stringify(fileURLToPath(new URL(`../../${name}/dist/index.js`, import.meta.url)));
    const script = `
      import { readFileSync } from 'node:fs';
      import { once } from 'node:events';
      import * as nodeNet from 'node:net';
      import { addressOf } from ${dist('abi')};
      import net from ${dist('net')};
      const keep = [];
      const mappingStarts = () => new Set(readFileSync('/proc/self/maps', 'utf8').split('\\n').filter(Boolean).map((l) => parseInt(l.split('-')[0], 16)));
      const fromHeap = () => { const b = Buffer.allocUnsafeSlow(2 << 20); keep.push(b); return !mappingStarts().has(addressOf(b) - 16); };
      const before = fromHeap();
      const server = nodeNet.createServer((s) => s.end('hello')).listen(0, '127.0.0.1');
      await once(server, 'listening');
      const socket = net.connect(server.address().port, '127.0.0.1');
      let got = '';
      socket.on('data', (d) => (got += d));
      await once(socket, 'end');
      server.close();
      console.log(JSON.stringify({ before, got, after: fromHeap() }));`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual({ before: false, got: 'hello', after: true });
  });

  it("node:http's client over the sockets: an Agent's createConnection, keep-alive reusing one socket", async () => {
    const server = http.createServer((req, res) => res.end(`hello ${req.url}`));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as nodeNet.AddressInfo;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const made: unknown[] = [];
    agent.createConnection = ((options: nodeNet.TcpNetConnectOpts) => {
      const socket = net.connect({ port: options.port, host: options.host });
      made.push(socket);
      return socket;
    }) as typeof agent.createConnection;
    const get = (path: string) =>
      new Promise<string>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d));
          res.on('end', () => resolve(body));
        }).on('error', reject);
      });
    expect([await get('/a'), await get('/b'), await get('/c')]).toEqual(['hello /a', 'hello /b', 'hello /c']);
    expect(made.length).toBe(1);
    expect(made[0]).toBeInstanceOf(net.Socket);
    agent.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("new Socket({ fd }): a FIFO read and written as node:net's (node:net's Socket underneath, instanceof ours), a file or a closed descriptor refused with ERR_INVALID_FD_TYPE", async () => {
    const run = async (impl: typeof net) => {
      const fifo = join(dir, `fifo-${impl === net ? 'uring' : 'node'}`);
      spawnSync('mkfifo', [fifo]);
      const readEnd = openSync(fifo, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
      const writeEnd = openSync(fifo, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
      const reader = new impl.Socket({ fd: readEnd, readable: true, writable: false }) as unknown as AnySocket;
      const writer = new impl.Socket({ fd: writeEnd, readable: false, writable: true }) as unknown as AnySocket;
      const isSocket = reader instanceof impl.Socket && writer instanceof impl.Socket;
      const writerClosed = once(writer, 'close');
      writer.end('through a fifo');
      const text = String(await collect(reader));
      await writerClosed;
      const refused: unknown[] = [];
      const file = openSync(fileURLToPath(import.meta.url), 'r');
      for (const fd of [file, 2 ** 30]) {
        try {
          new impl.Socket({ fd }).destroy();
          refused.push('taken');
        } catch (error) {
          refused.push([(error as NodeJS.ErrnoException).code, (error as Error).message]);
        }
      }
      closeSync(file);
      return { isSocket, text, refused };
    };
    const theirs = await run(impls.node);
    expect(theirs).toEqual({
      isSocket: true,
      text: 'through a fifo',
      refused: [
        ['ERR_INVALID_FD_TYPE', 'Unsupported fd type: FILE'],
        ['ERR_INVALID_FD_TYPE', 'Unsupported fd type: UNKNOWN'],
      ],
    });
    expect(await run(impls.uring)).toEqual(theirs);
  });

  it("bufferSize: undefined before connect() and once destroyed, writableLength while connecting and connected — as node:net's", async () => {
    const { server, port } = await listening(nodeNet as unknown as typeof net, (s) => s.resume());
    const run = async (impl: typeof net) => {
      const seen: unknown[] = [];
      const socket = new impl.Socket() as unknown as AnySocket;
      seen.push(socket.bufferSize);
      socket.connect(port, '127.0.0.1');
      socket.write('while connecting');
      seen.push(socket.bufferSize);
      await once(socket, 'connect');
      socket.end();
      await once(socket, 'finish');
      seen.push(socket.bufferSize);
      socket.destroy();
      seen.push(socket.bufferSize);
      await once(socket, 'close');
      seen.push(socket.bufferSize);
      return seen;
    };
    const theirs = await run(impls.node);
    expect(theirs).toEqual([undefined, 16, 0, undefined, undefined]);
    expect(await run(impls.uring)).toEqual(theirs);
    await close(server);
  });

  it("a Unix socket's address() is {}, client and accepted, for a path and an abstract name; the server's is its name — as node:net's", async () => {
    const run = async (impl: typeof net, name: string) => {
      const server = impl.createServer() as unknown as AnyServer;
      const accepted = new Promise<unknown>((resolve) => server.once('connection', (s: AnySocket) => (resolve(s.address()), s.end())));
      server.listen(name);
      await once(server, 'listening');
      const client = impl.connect(name) as unknown as AnySocket;
      await once(client, 'connect');
      const result = { server: server.address(), client: client.address(), accepted: await accepted, remote: client.remoteAddress };
      client.resume();
      await once(client, 'close');
      await close(server);
      return result;
    };
    for (const name of [join(dir, 'address.sock'), `\0uring-address-${process.pid}`]) {
      const theirs = await run(impls.node, name);
      expect(theirs).toEqual({ server: name, client: {}, accepted: {}, remote: undefined });
      expect(await run(impls.uring, name)).toEqual(theirs);
    }
  });

  it("a connected socket as a child process's stdout (spawn's stdio: the child writes to its descriptor), and a destroyed one refused — as node:net's", async () => {
    const run = async (impl: typeof net) => {
      const received: Buffer[] = [];
      const { server, port } = await listening(nodeNet as unknown as typeof net, (s) => {
        s.on('data', (d: Buffer) => received.push(d));
        s.on('end', () => s.end());
      });
      const socket = impl.connect(port, '127.0.0.1') as unknown as AnySocket;
      await once(socket, 'connect');
      socket.write('parent first\n');
      const child = spawn('sh', ['-c', 'echo from the child'], { stdio: ['ignore', socket, 'inherit'] });
      const [code] = await once(child, 'exit');
      socket.resume(); // read on to the server's end, so the socket closes
      socket.end('parent last\n');
      await once(socket, 'close');
      let refused: unknown;
      try {
        spawn('true', [], { stdio: ['ignore', socket, 'inherit'] });
      } catch (error) {
        refused = (error as NodeJS.ErrnoException).code;
      }
      await close(server);
      return { code, text: Buffer.concat(received).toString(), refused };
    };
    const theirs = await run(impls.node);
    expect(theirs).toEqual({ code: 0, text: 'parent first\nfrom the child\nparent last\n', refused: 'ERR_INVALID_ARG_VALUE' });
    expect(await run(impls.uring)).toEqual(theirs);
  });

  it('TLS over the sockets: tls.connect({ socket }) and a TLSSocket on an accepted socket', async () => {
    // Server: node:tls on sockets this package accepted (as https would take them); client:
    // node:tls on a socket this package connected. Both ends' TLS runs over our sockets.
    const { server, port } = await listening(net, (raw) => {
      const secure = new tls.TLSSocket(raw, { isServer: true, ...TEST_TLS });
      secure.on('data', (d: Buffer) => secure.end(`secure ${d}`));
    });
    const raw = net.connect(port, '127.0.0.1');
    const client = tls.connect({ socket: raw as AnySocket, ca: TEST_TLS.cert, servername: 'localhost' });
    await once(client, 'secureConnect');
    expect(client.authorized).toBe(true);
    expect(client.getProtocol()).toMatch(/^TLSv1\.[23]$/);
    client.write('hello');
    expect(String(await collect(client as AnySocket))).toBe('secure hello');
    await close(server);
  });
});
