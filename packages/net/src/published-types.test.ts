import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileBesideNode, diagnosticLines } from '@uring/ring/test';

// The built declarations (dist/index.d.ts, .d.cts) as a TypeScript user of the package gets them:
// code typed against node:net compiles unchanged with '@uring/net' in its place — ES module and
// CommonJS, the default export used as a namespace of types, named imports — and what node:net's
// types reject, ours reject too. Each source is compiled for both modules, so it is known to be
// right for node:net's own types.
const packageDir = fileURLToPath(new URL('..', import.meta.url));

const ESM = `
import net from 'MODULE';
import * as star from 'MODULE';
import { createServer, connect, createConnection, Socket, Server, BlockList, SocketAddress, isIP, type AddressInfo, type TcpNetConnectOpts, type SocketReadyState, type ListenOptions, type ServerOpts, type SocketConstructorOpts, type NetConnectOpts, type LookupFunction } from 'MODULE';

const server: net.Server = net.createServer((socket: net.Socket) => { socket.end(); });
server.listen({ port: 0, host: '127.0.0.1' } satisfies net.ListenOptions, () => {
  const { port } = server.address() as net.AddressInfo;
  const options: net.TcpNetConnectOpts = { port, host: '127.0.0.1', noDelay: true };
  const client: net.Socket = net.connect(options, () => client.end());
  const state: net.SocketReadyState = client.readyState;
  const lookup: net.LookupFunction = (host, _options, callback) => callback(null, host, 4);
  const read: net.OnReadOpts = { buffer: Buffer.alloc(16), callback: () => true };
  const family: net.IPVersion = 'ipv4';
  const blocked: net.BlockList = new net.BlockList();
  const address: net.SocketAddress = new net.SocketAddress({ address: '127.0.0.1' });
  const opts: [net.ServerOpts, net.SocketConstructorOpts, net.NetConnectOpts, net.IpcNetConnectOpts, net.SocketConnectOpts] = [{}, {}, { path: '/tmp/s' }, { path: '/tmp/s' }, { port: 1 }];
  console.log(state, lookup, read, family, blocked, address, opts);
});
class Pinger extends net.Socket { ping(): boolean { return this.write('ping'); } }
class Counting extends Server { count = 0; }
const s2: Server = createServer({ allowHalfOpen: true } satisfies ServerOpts);
const s3: star.Server = star.createServer();
const a = s2.address() as AddressInfo | null;
const o: TcpNetConnectOpts = { port: 80 };
const c: Socket = connect(o);
const c2: Socket = createConnection(80, 'localhost');
const c3: star.Socket = star.connect('/tmp/s', () => {});
const c4: Socket = new Socket({ allowHalfOpen: true, readable: true, writable: false });
const c5: SocketConstructorOpts = { fd: 3 };
const r: SocketReadyState = c.readyState;
const l: ListenOptions = { port: 0 };
const n: NetConnectOpts = { port: 1 };
const lf: LookupFunction | undefined = undefined;
console.log(Pinger, Counting, s3, a, c2, c3, c4, c5, r, l, n, lf, isIP('::1'), new BlockList(), new SocketAddress({ address: '::1', family: 'ipv6' }));
`;

const CJS = `
import net = require('MODULE');
const server: net.Server = net.createServer((socket: net.Socket) => socket.pipe(socket));
const client: net.Socket = net.createConnection({ port: 1 } satisfies net.NetConnectOpts);
const info = server.address() as net.AddressInfo | null;
console.log(client.remoteAddress, info);
`;

// What node:net's types reject: a port of the wrong type, an unknown option, a socket as a server.
const WRONG = `
import net from 'MODULE';
net.connect({ port: 'eighty', host: 1 });
net.createServer({ allowHalfOpen: 'yes' });
const server: net.Server = new net.Socket();
console.log(server);
`;

const MODULES: Record<string, [node: string, ours: string]> = { MODULE: ['node:net', '@uring/net'] };

describe('the published types, as a user compiles them', () => {
  it("code typed against node:net compiles against @uring/net: ES module, CommonJS, default export as a namespace", async () => {
    expect(await compileBesideNode(packageDir, MODULES, { 'esm.mts': ESM, 'cjs.cts': CJS })).toEqual({ node: [], ours: [] });
  }, 60_000);

  it("what node:net's types reject, ours reject on the same lines", async () => {
    const { node, ours } = await compileBesideNode(packageDir, MODULES, { 'wrong.mts': WRONG });
    expect(node.length).toBeGreaterThanOrEqual(3);
    expect(diagnosticLines(ours)).toEqual(diagnosticLines(node));
  }, 60_000);
});
