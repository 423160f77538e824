// Compile-time check (run by `tsc` in `typecheck`): the package serves as node:net in types too —
// its values where node:net's are expected, and node:net's type names, named and under the default
// export (`import net from '@uring/net'` then `net.Socket` in a type). published-types.test.ts
// compiles the same uses against the built declarations, as a user of the package gets them.
import type * as nodeNet from 'node:net';
import net, * as named from './index.js';
import { Server as UringServer, type ListenOptions, type ServerOptions } from './server.js';
import { Socket as UringSocket, type ConnectOptions, type SocketOptions } from './socket.js';

/** true when A and B are the same type. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

// Every value of node:net's, with a type that fits node:net's.
export const asDefault: typeof nodeNet = net;
export const asNamed: typeof nodeNet = named;

// Our classes implement node:net's whole.
export const asSocket = (s: UringSocket): nodeNet.Socket => s;
export const asServer = (s: UringServer): nodeNet.Server => s;

// node:net's type names.
export const sameTypes: [
  Same<net.Socket, nodeNet.Socket>,
  Same<net.Server, nodeNet.Server>,
  Same<net.AddressInfo, nodeNet.AddressInfo>,
  Same<net.BlockList, nodeNet.BlockList>,
  Same<net.SocketAddress, nodeNet.SocketAddress>,
  Same<net.NetConnectOpts, nodeNet.NetConnectOpts>,
  Same<net.TcpNetConnectOpts, nodeNet.TcpNetConnectOpts>,
  Same<net.IpcNetConnectOpts, nodeNet.IpcNetConnectOpts>,
  Same<net.SocketConnectOpts, nodeNet.SocketConnectOpts>,
  Same<net.SocketConstructorOpts, nodeNet.SocketConstructorOpts>,
  Same<net.SocketReadyState, nodeNet.SocketReadyState>,
  Same<net.ServerOpts, nodeNet.ServerOpts>,
  Same<net.OnReadOpts, nodeNet.OnReadOpts>,
  Same<net.IPVersion, nodeNet.IPVersion>,
  Same<named.Socket, nodeNet.Socket>,
  Same<named.Server, nodeNet.Server>,
  Same<named.AddressInfo, nodeNet.AddressInfo>,
  Same<named.BlockList, nodeNet.BlockList>,
  Same<named.TcpSocketConnectOpts, nodeNet.TcpSocketConnectOpts>,
  Same<named.IpcSocketConnectOpts, nodeNet.IpcSocketConnectOpts>,
  Same<named.ConnectOpts, nodeNet.ConnectOpts>,
  Same<named.DropArgument, nodeNet.DropArgument>,
  Same<named.SocketAddressInitOptions, nodeNet.SocketAddressInitOptions>,
] = [true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true];

// What the functions and classes give is node:net's type; options typed by node:net's fit ours.
export function uses(tcp: nodeNet.TcpNetConnectOpts, listen: nodeNet.ListenOptions, server: nodeNet.ServerOpts, ctor: nodeNet.SocketConstructorOpts): void {
  const s: net.Server = net.createServer(server, (socket: net.Socket) => socket.end());
  const s2: named.Server = named.createServer((socket: named.Socket) => socket.end());
  s.listen(listen);
  const c: net.Socket = net.connect(tcp);
  const c2: net.Socket = named.createConnection({ port: 1, connectTimeout: 1000, recvTimeout: 5000 });
  const c3: net.Socket = net.connect(80, 'localhost', () => {});
  const c4: net.Socket = net.connect('/run/x.sock');
  const c5: net.Socket = new net.Socket(ctor);
  class Sub extends net.Socket {}
  const c6: net.Socket = new Sub();
  const state: net.SocketReadyState = c.readyState;
  const address = s2.address() as net.AddressInfo | null;
  void [c2, c3, c4, c5, c6, state, address];
}

// Every option node:net's types name, our option types name too (so a literal node:net's types
// take is not refused as an excess property).
type Missing<A, B> = Exclude<keyof A, keyof B>;
type None<T extends never> = T;
export type NoOptionMissing = [
  None<Missing<nodeNet.SocketConstructorOpts, SocketOptions>>,
  None<Missing<nodeNet.ServerOpts, ServerOptions>>,
  None<Missing<nodeNet.ListenOptions, ListenOptions>>,
  None<Missing<nodeNet.TcpSocketConnectOpts, ConnectOptions & SocketOptions>>,
  None<Missing<nodeNet.IpcSocketConnectOpts, ConnectOptions & SocketOptions>>,
];
