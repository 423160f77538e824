/**
 * @uring/net — node:net's TCP and Unix stream sockets on io_uring: `import net from '@uring/net'`.
 * Where io_uring is unusable (seccomp, kernel.io_uring_disabled, an old kernel, URING_DISABLE=1)
 * every export is node:net's own, with the same API; `backend()` says which is active.
 */
import * as http from 'node:http';
import * as nodeNet from 'node:net';
import type { NetConnectOpts } from 'node:net';
import { FD_MAX, Op, invalidArgType } from '@uring/abi';
import { getLoop } from '@uring/loop';
import { uringUsable } from '@uring/streams';
import { httpOver } from './http.js';
import { limitConnect, validateConnectTimeout } from './connect-timeout.js';
import type { LookupFunction } from './connect.js';
import { limitNodeIo, validateIoTimeouts, type IoTimeouts } from './io-timeouts.js';
import { sendFile } from './send-file.js';
import { handleType } from './socket-ops.js';
import { Server as UringServer, type ListenOptions, type ServerOptions } from './server.js';
import { Socket as UringSocket, normalizeConnectArgs, type ConnectOptions, type SocketOptions, type UringConnectOptions } from './socket.js';
import { clientSocket } from './diagnostics.js';

/** The ring ops a socket needs: socket (5.19) and bind/listen (6.11) are the newest. */
const NEEDED = [Op.SOCKET, Op.CONNECT, Op.ACCEPT, Op.RECV, Op.SEND, Op.SHUTDOWN, Op.BIND, Op.LISTEN];

let usable: boolean | undefined;
/** Whether this thread serves sockets through io_uring: usable, and the kernel has every op (probed). */
function uring(): boolean {
  if (usable !== undefined) return usable;
  usable = uringUsable() && NEEDED.every((op) => getLoop().ring.supports(op));
  return usable;
}

/** 'io_uring', or 'node' where calls go to node:net. */
export function backend(): 'io_uring' | 'node' {
  return uring() ? 'io_uring' : 'node';
}

/**
 * The class exported under node:net's name: ours where the backend is io_uring, node:net's where
 * it is not — for `new`, for `instanceof`, and for a subclass (`class X extends net.Server`
 * inherits the active backend's prototype and constructor, so it listens and connects on either).
 * Called without `new`, it constructs, as node:net's Socket and Server (function constructors) do.
 *
 * The backend is chosen on first use, not at import: the loop's ring takes the process's
 * credentials when it is made (see @uring/loop's identity guard). The proxy's target is a plain
 * function, whose `prototype` (writable) may be reported as the chosen class's; a class's own
 * `prototype` (read-only, non-configurable) could not be.
 */
function byBackend<T extends abstract new (...args: never[]) => object>(ours: T, theirs: new (...args: never[]) => object, theirsFor?: (args: unknown[], direct: boolean) => boolean): T {
  const chosen = (): Function => (uring() ? ours : theirs);
  const stand = function () {} as unknown as T;
  Object.defineProperty(stand, 'name', { value: ours.name });
  // What `theirsFor` sent to node:net's class although the backend is ours (it may also throw, for
  // arguments neither class takes): instances of the export all the same.
  const theirsMade = new WeakSet<object>();
  // `instanceof` of the export asks the chosen class; of a subclass (which inherits this), the subclass.
  const hasInstance = function (this: unknown, value: unknown): boolean {
    if (this !== exported) return Function.prototype[Symbol.hasInstance].call(this, value);
    return value instanceof chosen() || (typeof value === 'object' && value !== null && theirsMade.has(value));
  };
  const construct = (args: unknown[], newTarget: Function): object => {
    if (theirsFor && uring() && theirsFor(args, newTarget === exported)) {
      const made = Reflect.construct(theirs, args);
      theirsMade.add(made);
      return made;
    }
    return Reflect.construct(chosen(), args, newTarget === exported ? chosen() : newTarget);
  };
  const exported: T = new Proxy(stand, {
    construct: (_target, args, newTarget) => construct(args, newTarget),
    apply: (_target, _this, args) => construct(args, exported),
    get(_target, key) {
      if (key === Symbol.hasInstance) return hasInstance;
      const cls = chosen();
      return key === 'prototype' ? cls.prototype : Reflect.get(cls, key);
    },
    set: (_target, key, value) => Reflect.set(chosen(), key, value),
    has: (_target, key) => Reflect.has(chosen(), key),
    getPrototypeOf: () => Object.getPrototypeOf(chosen()),
    ownKeys: () => Reflect.ownKeys(chosen()),
    // `prototype` as the stand-in's own (writable, non-configurable: a proxy must not report it otherwise) with the chosen value.
    getOwnPropertyDescriptor: (target, key) =>
      key === 'prototype' ? { ...Reflect.getOwnPropertyDescriptor(target, key), value: chosen().prototype } : Reflect.getOwnPropertyDescriptor(chosen(), key),
  });
  return exported;
}

/**
 * node:net's Socket on io_uring (see socket.ts); node:net's own where io_uring is unusable. As a
 * type, node:net's Socket: what a socket of either backend is (ours implements it whole — checked
 * at compile time in types.test-d.ts), so code typed against node:net compiles against this too.
 */
export const Socket: typeof UringSocket = byBackend(UringSocket, nodeNet.Socket, nodeNetForFd);

/**
 * `new Socket({ fd })` takes what node:net's takes (its createHandle): a socket's descriptor is
 * ours; a FIFO's — constructed directly — is node:net's Socket (a libuv pipe), as the ring's
 * receives and sends take sockets only (a subclass of ours given one stays ours, its prototype
 * being ours); anything else is node:net's ERR_INVALID_FD_TYPE at once. Only a descriptor a user
 * gives is looked at: a server constructs its accepted sockets from socket.ts, without these calls.
 */
function nodeNetForFd(args: unknown[], direct: boolean): boolean {
  const fd = (args[0] as SocketOptions | null | undefined)?.fd;
  if (typeof fd !== 'number' || !Number.isInteger(fd) || fd < 0 || fd > FD_MAX) return false; // the constructor's validation speaks
  const type = handleType(fd);
  if (type === 'FIFO') return direct;
  if (type === 'TCP' || type === 'PIPE') return false;
  throw Object.assign(new TypeError(`Unsupported fd type: ${type}`), { code: 'ERR_INVALID_FD_TYPE' });
}
export type Socket = nodeNet.Socket;
/** node:net's Server on io_uring (see server.ts); node:net's own where io_uring is unusable. As a type, node:net's Server. */
export const Server: typeof UringServer = byBackend(UringServer, nodeNet.Server);
export type Server = nodeNet.Server;

/** net.createServer: ([options][, connectionListener]), as node:net's. */
export function createServer(connectionListener?: (socket: Socket) => void): Server;
export function createServer(options?: ServerOptions, connectionListener?: (socket: Socket) => void): Server;
export function createServer(options?: ServerOptions | ((socket: Socket) => void), connectionListener?: (socket: Socket) => void): Server {
  if (!uring()) return nodeNet.createServer(options as nodeNet.ServerOpts, connectionListener);
  return new UringServer(options, connectionListener);
}

/** net.connect / net.createConnection: (options[, cb]), (port[, host][, cb]), (path[, cb]), as node:net's. */
export function connect(options: NetConnectOpts & UringConnectOptions, connectionListener?: () => void): Socket;
export function connect(port: number, host?: string, connectionListener?: () => void): Socket;
export function connect(path: string, connectionListener?: () => void): Socket;
export function connect(...args: unknown[]): Socket {
  if (!uring()) {
    const [options] = normalizeConnectArgs(args);
    const limit = validateConnectTimeout(options.connectTimeout);
    validateIoTimeouts(options); // before connecting, as Node validates
    const socket = (nodeNet.connect as (...a: unknown[]) => nodeNet.Socket)(...args);
    limitConnect(socket, limit, options.path || options.host || 'localhost', options.path ? undefined : Number(options.port));
    if (options.recvTimeout !== undefined || options.sendTimeout !== undefined) limitNodeIo(socket, options);
    return socket;
  }
  const [options] = normalizeConnectArgs(args);
  // As node:net's connect: the options make the Socket too (its buffer sizes, noDelay, keepAlive,
  // signal…) — but not an fd. `options` is normalizeConnectArgs' own copy, so it is changed in
  // place: a spread with a property added (`{ ...options, fd: undefined }`) took V8's generic
  // copy, and the Socket constructor's reads of such an object were slower too — ~13 µs a
  // connect() in a loop of connections (scratch, 2026-12-07), 4% of a client connection's CPU.
  if ((options as SocketOptions).fd !== undefined) (options as SocketOptions).fd = undefined;
  const socket = new UringSocket(options as ConnectOptions & SocketOptions);
  if (clientSocket.hasSubscribers) clientSocket.publish({ socket });
  // `timeout` is net.connect()'s option, not socket.connect()'s: set here, before connecting, as node:net's.
  if (options.timeout) socket.setTimeout(options.timeout);
  return socket.connect(...args);
}

export const createConnection = connect;

/**
 * Sets receive and send timeouts that end the connection (see IoTimeouts) on a socket of either
 * backend — one this package's connect() made, or one its server accepted: `read ETIMEDOUT` after
 * `recvTimeout` ms without data while reading, `write ETIMEDOUT` after `sendTimeout` ms in which
 * the peer took none of the written data. 0 turns one off; an absent one is left as it is.
 */
export function setIoTimeouts(socket: Socket | nodeNet.Socket, options: IoTimeouts): void {
  if (socket instanceof UringSocket) {
    socket.setIoTimeouts(options);
    return;
  }
  if (!(socket instanceof nodeNet.Socket)) throw invalidArgType('socket', 'an instance of Socket', socket);
  limitNodeIo(socket, options);
}

/** http.createServer whose connections are @uring/net sockets (node:http's parser on io_uring I/O). */
export function createHttpServer(listener?: http.RequestListener): http.Server;
export function createHttpServer(options: http.ServerOptions, listener?: http.RequestListener): http.Server;
export function createHttpServer(...args: unknown[]): http.Server {
  return httpOver(() => (uring() ? new UringServer() : undefined), ...(args as Parameters<typeof http.createServer>));
}

export const { isIP, isIPv4, isIPv6 } = nodeNet;
/**
 * node:net's own, for either backend: the address-family defaults connect() reads (autoSelectFamily
 * and its attempt timeout — set through either module, they apply to both), BlockList and SocketAddress.
 */
export const { getDefaultAutoSelectFamily, setDefaultAutoSelectFamily, getDefaultAutoSelectFamilyAttemptTimeout, setDefaultAutoSelectFamilyAttemptTimeout } = nodeNet;
export const BlockList = nodeNet.BlockList;
export type BlockList = nodeNet.BlockList;
export const SocketAddress = nodeNet.SocketAddress;
export type SocketAddress = nodeNet.SocketAddress;
export { sendFile, type IoTimeouts };
/** Ours: node:net's options and @uring/net's own (a value typed by node:net's option types fits them). */
export { type ListenOptions, type ServerOptions, type SocketOptions, type ConnectOptions, type UringConnectOptions };
export type { LookupFunction };
/** The rest of node:net's types, under their names there. */
export type {
  AddressInfo,
  ConnectOpts,
  DropArgument,
  IPVersion,
  IpcNetConnectOpts,
  IpcSocketConnectOpts,
  NetConnectOpts,
  OnReadOpts,
  ServerOpts,
  SocketAddressInitOptions,
  SocketConnectOpts,
  SocketConstructorOpts,
  SocketReadyState,
  TcpNetConnectOpts,
  TcpSocketConnectOpts,
} from 'node:net';
/** node:net's alias of Socket. */
export const Stream = Socket;

const net = {
  createServer,
  connect,
  createConnection,
  createHttpServer,
  sendFile,
  setIoTimeouts,
  isIP,
  isIPv4,
  isIPv6,
  Server,
  Socket,
  Stream,
  backend,
  getDefaultAutoSelectFamily,
  setDefaultAutoSelectFamily,
  getDefaultAutoSelectFamilyAttemptTimeout,
  setDefaultAutoSelectFamilyAttemptTimeout,
  BlockList,
  SocketAddress,
};
/**
 * The types under the default export too, as node:net's: `import net from '@uring/net'` then
 * `net.Socket`, `net.AddressInfo`… in a type. (A namespace of types only: it merges with the
 * object above and adds nothing at run time.)
 */
declare namespace net {
  export type Socket = nodeNet.Socket;
  export type Server = nodeNet.Server;
  export type BlockList = nodeNet.BlockList;
  export type SocketAddress = nodeNet.SocketAddress;
  export type AddressInfo = nodeNet.AddressInfo;
  export type ConnectOpts = nodeNet.ConnectOpts;
  export type DropArgument = nodeNet.DropArgument;
  export type IPVersion = nodeNet.IPVersion;
  export type IpcNetConnectOpts = nodeNet.IpcNetConnectOpts;
  export type IpcSocketConnectOpts = nodeNet.IpcSocketConnectOpts;
  export type NetConnectOpts = nodeNet.NetConnectOpts;
  export type OnReadOpts = nodeNet.OnReadOpts;
  export type ServerOpts = nodeNet.ServerOpts;
  export type SocketAddressInitOptions = nodeNet.SocketAddressInitOptions;
  export type SocketConnectOpts = nodeNet.SocketConnectOpts;
  export type SocketConstructorOpts = nodeNet.SocketConstructorOpts;
  export type SocketReadyState = nodeNet.SocketReadyState;
  export type TcpNetConnectOpts = nodeNet.TcpNetConnectOpts;
  export type TcpSocketConnectOpts = nodeNet.TcpSocketConnectOpts;
  export type LookupFunction = OwnLookupFunction;
  export type ListenOptions = OwnListenOptions;
  export type ServerOptions = OwnServerOptions;
  export type SocketOptions = OwnSocketOptions;
  export type ConnectOptions = OwnConnectOptions;
  export type IoTimeouts = OwnIoTimeouts;
  export type UringConnectOptions = OwnUringConnectOptions;
}
// Our types under names the namespace above does not hide (its `ListenOptions = ListenOptions`
// would name itself — and the declaration bundler writes any import of one so).
type OwnLookupFunction = LookupFunction;
type OwnListenOptions = ListenOptions;
type OwnServerOptions = ServerOptions;
type OwnSocketOptions = SocketOptions;
type OwnConnectOptions = ConnectOptions;
type OwnIoTimeouts = IoTimeouts;
type OwnUringConnectOptions = UringConnectOptions;
export default net;
