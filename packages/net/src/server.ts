import { AsyncResource } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import { getDefaultHighWaterMark } from 'node:stream';
import { chmodSync, statSync, unlinkSync } from 'node:fs';
import { isIP } from 'node:net';
import { Errno, FD_MAX, Linux, close as closeFd, invalidArgType, invalidArgValue, netError, outOfDescriptors, uringError, type SocketAddress } from '@uring/abi';
import { getLoop, type Multishot } from '@uring/loop';
import { closeOnAbort, validateSignal } from './abort.js';
import { addressInfo, ipAddress, isPipeName, normalizeArgs, resolveHost, toNumber, validatePort } from './address.js';
import { Socket, codedError, kKnownFamily, kReleaseConnection, validateKeepAliveDelay } from './socket.js';
import { serverListen, serverSocket } from './diagnostics.js';
import { inClusterWorker, queryPrimary, takeDescriptor, type ClusterConnection, type ClusterHandle, type ClusterQuery } from './cluster.js';
import * as ops from './socket-ops.js';
import { emitUncaught } from './uncaught.js';
import { holdReserve, shedQueuedConnections } from './emfile.js';

/** node:net createServer options: allowHalfOpen, pauseOnConnect, and socket options for accepted connections. */
export interface ServerOptions {
  allowHalfOpen?: boolean;
  pauseOnConnect?: boolean;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  /** The readable and writable highWaterMark of accepted sockets (default: the streams' default). */
  highWaterMark?: number;
}

/**
 * node:net listen options: port and host, or a Unix path (readableAll / writableAll make its file
 * readable / writable by all), with backlog, ipv6Only, exclusive (in a cluster worker: bind here
 * rather than share the primary's socket), and a signal that closes the server.
 */
export interface ListenOptions {
  port?: number | string | null;
  host?: string;
  path?: string;
  backlog?: number;
  ipv6Only?: boolean;
  exclusive?: boolean;
  readableAll?: boolean;
  writableAll?: boolean;
  signal?: AbortSignal;
  /** A socket descriptor to listen on (bound, or listening already), as node:net's `listen({ fd })`. */
  fd?: number;
  /** An object standing for the options, as node:net reads `listen({ handle: { fd } })` (a handle of its own: an object with `fd`). */
  handle?: ListenOptions;
  _handle?: ListenOptions;
}

/** What listen() was asked for, checked: a port (on `host`, or every address) or a Unix path. */
type ListenPlan = { backlog: number; ipv6Only: boolean; exclusive: boolean } & ({ port: number; host: string | undefined } | { path: string; readableAll: boolean; writableAll: boolean } | { fd: number });

/**
 * close(cb)'s callback, as net.Server's: on `emitter`'s 'close', with ERR_SERVER_NOT_RUNNING when
 * the server was not listening. Shared with createHttpServer, whose http server emits the 'close'.
 */
export function closeCallback(emitter: EventEmitter, wasListening: boolean, cb: ((error?: Error) => void) | undefined): void {
  if (typeof cb !== 'function') return; // anything else is ignored, as node:net ignores it
  if (wasListening) emitter.once('close', cb);
  else emitter.once('close', () => cb(codedError('Server is not running.', 'ERR_SERVER_NOT_RUNNING')));
}

/**
 * listen()'s arguments as Node's Server.prototype.listen reads them: port 0 when none is given
 * (or `port: undefined | null`), the backlog from the options or from the arguments, a falsy host
 * for every address; ERR_INVALID_ARG_VALUE for options with neither a port nor a path.
 */
function listenPlan(args: unknown[], options: ListenOptions): ListenPlan {
  const backlogFromArgs = toNumber(args.length > 1 && args[1]) || toNumber(args.length > 2 && args[2]);
  const ipv6Only = Boolean(options.ipv6Only);
  const exclusive = Boolean(options.exclusive);
  if (typeof options.fd === 'number' && options.fd >= 0) return { fd: options.fd, backlog: backlogFromArgs || 511, ipv6Only, exclusive };
  if (args.length === 0 || typeof args[0] === 'function' || (options.port === undefined && 'port' in options) || options.port === null) options.port = 0;
  if (typeof options.port === 'number' || typeof options.port === 'string') {
    const port = validatePort(options.port, 'options.port');
    // node:net hands a host to dns.lookup(), which throws this at once
    if (options.host && typeof options.host !== 'string') throw invalidArgType('hostname', 'of type string', options.host);
    return { port, host: options.host || undefined, backlog: options.backlog || backlogFromArgs || 511, ipv6Only, exclusive };
  }
  if (options.path && isPipeName(options.path)) {
    if (options.path[0] === '\0' && (options.readableAll || options.writableAll))
      throw invalidArgValue('options', options, 'can not set readableAll or writableAllt to true when path is abstract unix socket');
    return { path: options.path, readableAll: options.readableAll === true, writableAll: options.writableAll === true, backlog: options.backlog || backlogFromArgs || 511, ipv6Only, exclusive };
  }
  if (!('port' in options || 'path' in options)) throw invalidArgValue('options', options, 'must have the property "port" or "path"');
  throw invalidArgValue('options', options);
}

/** `make()`'s descriptor or -errno, also where it throws a system error (runNow's side ring, out of descriptors). */
function outOfRing(make: () => number): number {
  try {
    return make();
  } catch (error) {
    const errno = (error as NodeJS.ErrnoException).errno;
    if (typeof errno === 'number' && errno < 0) return errno;
    throw error;
  }
}

/** The addresses a plan without a host name to look up listens on: IPv6 (dual stack) where available, else IPv4, as Node's. */
function candidates(plan: ListenPlan): SocketAddress[] {
  if ('fd' in plan) return [];
  if ('path' in plan) return [{ family: 'unix', path: plan.path }];
  if (plan.host !== undefined) return [ipAddress(plan.host, plan.port)];
  return [ipAddress('::', plan.port), ipAddress('0.0.0.0', plan.port)];
}

/**
 * What a cluster worker asks the primary for, as node:net's listenInCluster: the address looked up
 * (or null for every address, IPv4's type then), the port; a path with port and type -1.
 */
function clusterQuery(addrs: SocketAddress[], plan: ListenPlan): ClusterQuery {
  const flags = plan.ipv6Only ? UV_TCP_IPV6ONLY : 0;
  if (!('port' in plan)) return { address: 'path' in plan ? plan.path : null, port: -1, addressType: -1, flags, backlog: plan.backlog };
  const at = plan.host === undefined ? undefined : addrs[0];
  const address = at && at.family !== 'unix' ? at.address : null;
  return { address, port: plan.port, addressType: at?.family === 'IPv6' ? 6 : 4, flags, backlog: plan.backlog };
}

/** libuv's flag for an IPv6-only TCP bind, as the cluster primary reads it. */
const UV_TCP_IPV6ONLY = 1;

/** uv_pipe_chmod: adds read (and/or write) permission for everyone to a Unix socket's file. */
function chmodAll(path: string, readable: boolean, writable: boolean): void {
  const wanted = (readable ? 0o444 : 0) | (writable ? 0o222 : 0);
  if (wanted === 0 || path[0] === '\0') return;
  try {
    const { mode } = statSync(path);
    if ((mode & wanted) !== wanted) chmodSync(path, (mode | wanted) & 0o7777);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw uringError(-(e.errno === undefined ? Errno.EINVAL : Math.abs(e.errno)), 'uv_pipe_chmod');
  }
}

/**
 * How the cluster's own close of a worker's server (`worker.disconnect()`) closes it: the server's
 * close(cb) by default; createHttpServer's http server puts its own there, which also closes idle
 * keep-alive connections — as the cluster closes node:http's server, the owner of its handle.
 */
export const kClusterClose = Symbol('uring.clusterClose');

/**
 * node:net's Server on io_uring: socket, bind and listen are ring operations, and one multishot
 * accept (5.19) delivers every connection. Events listening, connection, close, error; `close()`
 * stops accepting at once and emits 'close' when the last connection has closed, as Node's.
 */
export class Server extends EventEmitter {
  #fd = -1;
  /** In a cluster worker: what the primary handed for this listen (see cluster.ts), and its own close. */
  #cluster: ClusterHandle | undefined;
  #release: (() => void) | undefined;
  #accept: Multishot | undefined;
  /**
   * The async context of the listen() call, as node:net's server handle carries it: 'connection'
   * (and so the accepted socket's events) comes in it, whatever code reaped the accept.
   */
  #scope: AsyncResource | undefined;
  #connections = new Set<Socket>();
  #address: SocketAddress | undefined;
  #unref = false;
  #closing = false;
  /** Counts listen() calls: a host name's lookup that finds it moved on, or the server closed, is dropped (node:net's _listeningId). */
  #attempt = 0;
  /** Unset until assigned, as node:net's (no own property: `declare` makes none). */
  declare maxConnections: number;
  /**
   * Never set, as on node:net's Server, which no longer has it (DEP0020); declared because
   * @types/node still lists it, so that ours is assignable to node:net's Server type.
   */
  declare connections: number;
  // The options, as node:net's Server keeps them: public, read for each connection accepted.
  allowHalfOpen: boolean;
  pauseOnConnect: boolean;
  noDelay: boolean;
  keepAlive: boolean;
  /** In whole seconds, as node:net's (~~(ms / 1000)). */
  keepAliveInitialDelay: number;
  /** Accepted sockets' readable and writable highWaterMark. */
  highWaterMark: number;

  constructor(options?: ServerOptions | ((socket: Socket) => void) | null, connectionListener?: (socket: Socket) => void) {
    super();
    if (typeof options === 'function') {
      connectionListener = options;
      options = {};
    } else if (options !== null && options !== undefined && typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    const o: ServerOptions = { ...(options ?? {}) };
    validateKeepAliveDelay(o.keepAliveInitialDelay);
    if (o.highWaterMark !== undefined && typeof o.highWaterMark !== 'number') throw invalidArgType('options.highWaterMark', 'of type number', o.highWaterMark);
    this.allowHalfOpen = o.allowHalfOpen || false;
    this.pauseOnConnect = Boolean(o.pauseOnConnect);
    this.noDelay = Boolean(o.noDelay);
    this.keepAlive = Boolean(o.keepAlive);
    this.keepAliveInitialDelay = ~~(Math.max(o.keepAliveInitialDelay ?? 0, 0) / 1000);
    this.highWaterMark = o.highWaterMark === undefined || o.highWaterMark < 0 ? getDefaultHighWaterMark(false) : o.highWaterMark; // Node: the default then
    if (typeof connectionListener === 'function') this.on('connection', connectionListener);
  }

  get listening(): boolean {
    if (!(#fd in this)) return false; // on Server.prototype itself, as node:net's
    return this.#active;
  }

  /** Listening: on a socket of its own, or on the cluster primary's. */
  get #active(): boolean {
    return (this.#fd !== -1 || this.#cluster !== undefined) && !this.#closing;
  }

  /**
   * listen([port[, host[, backlog]]][, cb]), listen(path[, backlog][, cb]), listen(options[, cb]).
   * As node:net's: the socket is bound and listening when this returns (address() answers at
   * once) unless a host name must be looked up first; 'listening' and errors come from the next tick.
   */
  listen(...args: unknown[]): this {
    const [given, cb] = normalizeArgs<ListenOptions>(args);
    if (this.#active) throw codedError('Listen method has been called more than once without closing.', 'ERR_SERVER_ALREADY_LISTEN');
    // As node:net's: a `_handle` or `handle` given stands for the options from here on — an object
    // with `fd` is listened on (listen({ handle: { fd } })), and so is whatever else it says.
    const options = given._handle || given.handle || given;
    if (serverListen.hasSubscribers) serverListen.asyncStart.publish({ server: this, options: given });
    if (cb) this.once('listening', cb);
    const { signal } = options;
    if (signal !== undefined) validateSignal(signal, 'options.signal');
    const plan = listenPlan(args, options);
    this.#scope = new AsyncResource('URING_SERVER');
    this.#closing = false;
    const attempt = ++this.#attempt;
    // Aborted already: closed from the next tick, before 'listening' — which then never comes — as node:net's.
    if (signal) closeOnAbort(this, signal, () => this.close());
    const emitError = (error: unknown) => process.nextTick(() => this.emit('error', error));
    // A bind or listen that fails is the tracing channel's error too; a lookup that fails is not, as in node:net.
    const fail = (error: unknown) => {
      if (serverListen.hasSubscribers) serverListen.error.publish({ server: this, error });
      emitError(error);
    };
    if ('port' in plan && plan.host !== undefined && !isIP(plan.host)) {
      // Looked up first, as node:net's: not bound (nor listening) until then. Closed, or listen()
      // called again, meanwhile: this listen is over.
      const current = () => attempt === this.#attempt && !this.#closing;
      resolveHost(plan.host).then(
        ({ address }) => current() && this.#listenNow([ipAddress(address, plan.port)], plan, fail, attempt),
        (error: unknown) => current() && emitError(error),
      );
    } else this.#listenNow(candidates(plan), plan, fail, attempt);
    return this;
  }

  /**
   * #bindAndListen, with `fail` given what goes wrong (node:net's errors come from the next tick);
   * in a cluster worker, unless `exclusive`, the primary's socket instead (as node:net's, which
   * routes a port or a path there; a descriptor is listened on here).
   */
  #listenNow(addrs: SocketAddress[], plan: ListenPlan, fail: (error: unknown) => void, attempt: number): void {
    try {
      if ('fd' in plan) this.#adopt(plan.fd, plan.backlog);
      else if (!plan.exclusive && inClusterWorker()) this.#listenInCluster(clusterQuery(addrs, plan), plan, attempt);
      else this.#bindAndListen(addrs, plan);
    } catch (error) {
      fail(error);
    }
  }

  /**
   * Listens on the cluster primary's socket, as node:net's listenInCluster: the primary binds (once
   * for all workers asking for the same address) and answers over IPC. A listen() or close() made
   * meanwhile drops the answer. A bind error is 'error' with syscall 'bind' and the address asked
   * for (`bind EADDRINUSE null:8080` where none was), as Node's; so is a socket bound to another
   * port than the one asked for (node:net's checkBindError).
   */
  #listenInCluster(query: ClusterQuery, plan: ListenPlan, attempt: number): void {
    queryPrimary(this, query, (status, handle) => {
      if (attempt !== this.#attempt || this.#closing) {
        handle?.close();
        return;
      }
      let errno = status;
      if (errno === 0 && handle && query.port > 0 && handle.getsockname) {
        const out: { port?: number } = {};
        if (handle.getsockname(out) === 0 && out.port !== query.port) errno = -Errno.EADDRINUSE;
      }
      if (errno !== 0 || !handle) {
        handle?.close();
        this.emit('error', netError(errno === 0 ? -Errno.EINVAL : errno, 'bind', { address: query.address, port: query.port }));
        return;
      }
      try {
        this.#useClusterHandle(handle, query, plan.backlog);
      } catch (error) {
        this.emit('error', error);
      }
    });
  }

  /**
   * Round-robin (the primary's default): connections come through the handle's `onconnection`,
   * each adopted onto the ring. Shared (`NODE_CLUSTER_SCHED_POLICY=none`): the handle is the bound
   * socket itself; we listen and accept on a descriptor of our own for it. Either way the cluster's
   * own close of the handle — `worker.disconnect()` — closes this server and waits for its 'close',
   * as it does node:net's.
   */
  #useClusterHandle(handle: ClusterHandle, query: ClusterQuery, backlog: number): void {
    const release = handle.close;
    this.#cluster = handle;
    this.#release = () => release.call(handle);
    handle.close = (callback?: () => void) => {
      this[kClusterClose](typeof callback === 'function' ? () => callback() : undefined);
    };
    if (typeof handle.fd === 'number' && handle.fd >= 0) {
      const fd = takeDescriptor(handle.fd, false);
      const listen = fd < 0 ? fd : ops.listenNow(fd, backlog);
      if (listen < 0) {
        if (fd >= 0) closeFd(fd);
        this.close();
        throw netError(listen, 'listen', { address: query.address ?? undefined, port: query.port, describe: true });
      }
      if (this.#unref) handle.unref?.();
      this.#listening(fd, ops.sockName(fd, false) ?? { family: 'unix', path: query.address ?? '' });
      return;
    }
    handle.onconnection = (status, connection) => this.#onClusterConnection(status, connection);
    handle.listen?.(backlog);
    const out: { address?: string; port?: number } = {};
    this.#address =
      handle.getsockname && handle.getsockname(out) === 0 && typeof out.address === 'string' ? ipAddress(out.address, out.port ?? 0) : { family: 'unix', path: query.address ?? '' };
    if (this.#unref) handle.unref?.();
    if (serverListen.hasSubscribers) serverListen.asyncEnd.publish({ server: this });
    process.nextTick(() => {
      if (this.#cluster === handle && !this.#closing) this.emit('listening');
    });
  }

  /** A connection the primary accepted: a descriptor of our own for it (blocking, as an accepted one), libuv's handle closed. */
  #onClusterConnection(status: number, connection: ClusterConnection | undefined): void {
    if (status !== 0 || !connection) {
      this.emit('error', netError(status === 0 ? -Errno.EBADF : status, 'accept'));
      return;
    }
    const fd = typeof connection.fd === 'number' && connection.fd >= 0 ? takeDescriptor(connection.fd, true) : -Errno.EBADF;
    connection.close();
    if (fd < 0) {
      this.emit('error', netError(fd, 'accept'));
      return;
    }
    this.#onAccept(fd);
  }

  /**
   * socket, bind and listen on the first of `addrs` the kernel takes (an IPv6 socket where IPv6 is
   * off is EAFNOSUPPORT), done before this returns (ops.socketNow…: Loop.runNow); throws what fails.
   */
  #bindAndListen(addrs: SocketAddress[], plan: ListenPlan): void {
    let lastError: unknown;
    for (const [k, addr] of addrs.entries()) {
      const net = addr.family === 'unix' ? { address: addr.path, describe: true } : { address: addr.address, port: addr.port, describe: true };
      let fd = -1;
      let bound: string | undefined; // this attempt's socket file
      let listening = false;
      try {
        // A socket that cannot be made (EMFILE…; runNow's side ring too) is reported as 'listen', as node:net's.
        fd = outOfRing(() => ops.socketNow(ops.domainOf(addr)));
        if (fd < 0) throw netError(fd, 'listen', net);
        if (addr.family !== 'unix') ops.setIntOption(fd, Linux.SOL_SOCKET, Linux.SO_REUSEADDR, 1);
        if (addr.family === 'IPv6') ops.setIntOption(fd, Linux.IPPROTO_IPV6, Linux.IPV6_V6ONLY, plan.ipv6Only ? 1 : 0);
        let bind = ops.bindNow(fd, addr);
        // libuv's uv_pipe_bind reports a Unix socket path in a missing directory (ENOENT) as
        // EACCES, "for compatibility with Windows" — and so node:net does.
        if (bind === -Errno.ENOENT && addr.family === 'unix') bind = -Errno.EACCES;
        if (bind < 0) throw netError(bind, 'listen', net); // reported as 'listen', as Node reports a server's bind
        if (addr.family === 'unix' && addr.path[0] !== '\0') this.#boundPath = bound = addr.path;
        listening = true;
        const listen = ops.listenNow(fd, plan.backlog);
        if (listen < 0) throw netError(listen, 'listen', net);
        if ('path' in plan) chmodAll(plan.path, plan.readableAll, plan.writableAll);
      } catch (error) {
        if (fd >= 0) closeFd(fd);
        this.#unlinkPath(bound);
        lastError = error;
        const { code, errno, syscall } = error as NodeJS.ErrnoException;
        // node:net's listen errors on a Unix socket carry the port a pipe has for it: -1.
        if (addr.family === 'unix' && syscall === 'listen') (error as { port?: number }).port = -1;
        // Without a host, node:net binds `::` and, when that fails, `0.0.0.0` — any failure up
        // to the bind but EADDRINUSE, which libuv holds back until the listen(2).
        if (k < addrs.length - 1 && !listening && code !== 'EADDRINUSE' && typeof errno === 'number') continue;
        throw error;
      }
      // A Unix socket's address() is its path as given, as node:net's (the kernel keeps the first 108 bytes of a longer one, as libuv's bind).
      this.#listening(fd, addr.family === 'unix' ? addr : (ops.sockName(fd, false) ?? addr));
      this.#ownPort = addr.family !== 'unix';
      return;
    }
    throw lastError;
  }

  /** listen({ fd }): listen(2) on a descriptor given (libuv's listen on an opened handle); anything but a socket is EINVAL, as Node's. */
  #adopt(fd: number, backlog: number): void {
    const addr = Number.isInteger(fd) && fd <= FD_MAX ? ops.sockName(fd, false) : undefined; // stored into SQEs: 0.5 must not become fd 0
    if (!addr) throw netError(-Errno.EINVAL, 'listen', { describe: true });
    const listen = ops.listenNow(fd, backlog);
    if (listen < 0) throw netError(listen, 'listen', { describe: true });
    this.#listening(fd, ops.sockName(fd, false) ?? addr);
  }

  /** Listening on `fd`: accepting from now on, 'listening' from the next tick unless closed (or listening anew) by then. */
  #listening(fd: number, addr: SocketAddress): void {
    this.#fd = fd;
    this.#address = addr;
    holdReserve();
    this.#arm();
    if (serverListen.hasSubscribers) serverListen.asyncEnd.publish({ server: this });
    process.nextTick(() => {
      if (this.#fd === fd && !this.#closing) this.emit('listening');
    });
  }

  /**
   * One multishot accept for all connections, re-armed when the kernel ends it — or, with `poll`,
   * first a poll for the next connection, then the accept (see #outOfDescriptors) — armed so,
   * `afterPoll`: a connection is known to wait.
   */
  #arm(poll = false, afterPoll = false): void {
    const fd = this.#fd;
    const loop = getLoop();
    // A closed server's accept ends after close() returns — with -EINVAL where close() shut its
    // socket down — maybe after a listen() that followed: what it still hands over is not the
    // new socket's (a connection it took is closed).
    const current = (res: number) => {
      if (this.#accept === accept) return true;
      if (res >= 0) ops.close(res).catch(() => undefined);
      return false;
    };
    const accept: Multishot = poll
      ? loop.multishot((s, i) => s.prepPollAdd(i, fd, Linux.POLLIN), { syscall: 'poll', unref: this.#unref, onCqe: () => undefined, rearm: () => false })
      : loop.multishot((s, i) => s.prepMultishotAccept(i, fd, 0, 0, Linux.SOCK_CLOEXEC), {
          syscall: 'accept',
          unref: this.#unref,
          onCqe: (res) => current(res) && (this.#scope ? this.#scope.runInAsyncScope(this.#onAccept, this, res) : this.#onAccept(res)),
          rearm: (res) => !this.#closing && this.#accept === accept && res !== -Errno.ECANCELED && !outOfDescriptors(res),
        });
    this.#accept = accept;
    const live = () => this.#accept === accept && !this.#closing;
    // The loop was retired after a credentials change (a daemon's setuid() after listen): it
    // cancelled this accept; accepting goes on from getLoop()'s new loop, as node:net's server does.
    const again = () => live() && this.#fd === fd && loop.credentialsChanged;
    accept.done.then(
      () => (again() ? this.#arm() : poll && live() && this.#arm(false, true)),
      (error: NodeJS.ErrnoException) => {
        if (again()) this.#arm();
        else if (!live()) return;
        else if (!poll && outOfDescriptors(error.errno)) this.#outOfDescriptors(fd, error.errno!, afterPoll);
        else emitUncaught(this, 'error', error); // (in a promise's reaction: see emitUncaught)
      },
    );
  }

  /**
   * The accept ended for want of a descriptor (`res`: -EMFILE, -ENFILE): the connections queued
   * are shed, as libuv's server sheds them (see emfile.ts), and the next accept waits for a
   * connection by a poll — armed now, it would end at once, as the kernel's accept takes a
   * descriptor before it looks for a connection — so each connection that comes while the
   * process is still out of them is shed in turn, and none is lost once it is not.
   */
  #outOfDescriptors(fd: number, res: number, connectionWaiting: boolean): void {
    holdReserve(); // none was free for it at listen(): perhaps one is now
    const error = shedQueuedConnections(fd, res);
    this.#arm(true);
    // No reserve held: the accept's error, as libuv's UV_EMFILE — once a connection is known to
    // wait (the poll said so): an accept armed while out of descriptors fails, connection or not.
    if (error < 0 && connectionWaiting) emitUncaught(this, 'error', netError(error, 'accept'));
  }

  #onAccept(res: number): void {
    if (res < 0) {
      if (res !== -Errno.ECANCELED && res !== -Errno.ECONNABORTED && !this.#closing) this.emit('error', netError(res, 'accept')); // (libuv passes over ECONNABORTED too)
      return;
    }
    if (this.#closing) {
      ops.close(res).catch(() => undefined);
      return;
    }
    if (this.maxConnections && this.#connections.size >= this.maxConnections) {
      this.#drop(res);
      return;
    }
    const { highWaterMark } = this;
    const socket = new Socket({ fd: res, allowHalfOpen: this.allowHalfOpen, readableHighWaterMark: highWaterMark, writableHighWaterMark: highWaterMark, pauseOnCreate: this.pauseOnConnect });
    socket.server = this;
    if (this.#address) socket[kKnownFamily](this.#address.family === 'unix');
    if (this.noDelay) socket.setNoDelay(true);
    if (this.keepAlive) socket.setKeepAlive(true, this.keepAliveInitialDelay * 1000);
    this.#connections.add(socket);
    socket[kReleaseConnection] = () => {
      this.#connections.delete(socket);
      this.#emitCloseIfDrained();
    };
    this.emit('connection', socket);
    if (serverSocket.hasSubscribers) serverSocket.publish({ socket });
  }

  /** Over maxConnections (0: no limit, as Node): 'drop' with both ends of a TCP connection (none for Unix), and the connection closed. */
  #drop(fd: number): void {
    const local = ops.sockName(fd, false);
    const remote = ops.sockName(fd, true);
    if (local?.family === 'unix' || remote?.family === 'unix') this.emit('drop');
    else {
      const data = Object.create(null) as Record<string, unknown>;
      data.localAddress = local?.address;
      data.localPort = local?.port;
      data.localFamily = local?.family;
      data.remoteAddress = remote?.address;
      data.remotePort = remote?.port;
      data.remoteFamily = remote?.family;
      this.emit('drop', data);
    }
    ops.close(fd).catch(() => undefined);
  }

  /**
   * With EventEmitter.captureRejections on, a 'connection' listener whose promise rejects destroys
   * that socket with the error, as node:net's Server does; a rejection from another event is 'error'.
   */
  override [EventEmitter.captureRejectionSymbol](error: Error, event: string | symbol, socket?: Socket): void {
    if (event === 'connection' && socket) socket.destroy(error);
    else this.emit('error', error);
  }

  address(): { address: string; family: string; port: number } | string | null {
    return this.#active ? (addressInfo(this.#address) ?? null) : null;
  }

  /** Stops accepting; 'close' follows once every connection has closed. */
  close(cb?: (error?: Error) => void): this {
    const wasListening = this.#active;
    closeCallback(this, wasListening, cb);
    this.#closing = true;
    if (this.#cluster !== undefined) {
      const release = this.#release;
      this.#cluster = undefined;
      this.#release = undefined;
      release?.(); // tells the primary, as node:net's close of the handle does
    }
    if (this.#fd !== -1) {
      const fd = this.#fd;
      this.#fd = -1;
      this.#unlinkPath();
      // The port free now, as node:net's close(2) frees it, though the descriptor closes only once
      // the kernel has ended the accept: a listening TCP socket shut down leaves LISTEN (its queued
      // connections reset, the accept ends), so a listen() on the port in this same tick — a
      // restart — binds (SO_REUSEADDR). Only a socket this server made: an adopted one ({ fd },
      // a handle) may be another process's too, which shutdown(2) would stop as well.
      if (this.#ownPort) ops.shutdownBoth(fd);
      this.#ownPort = false;
      this.#accept?.cancel();
      const accepting = this.#accept?.done.catch(() => undefined) ?? Promise.resolve();
      this.#accept = undefined;
      const closed = accepting.then(() => ops.close(fd)).catch(() => undefined);
      this.#pendingClose = closed;
      this.#fdClosing = closed;
      void closed.then(() => {
        if (this.#fdClosing === closed) this.#fdClosing = undefined;
      });
    }
    this.#emitCloseIfDrained();
    return this;
  }

  /**
   * The socket file this server bound (not an abstract name, not an adopted fd's): removed when the
   * server closes — at close(), before 'close', as libuv's pipe close does for node:net — so the
   * path can be listened on again.
   */
  #boundPath: string | undefined;
  /** Listening on a TCP socket this server made (bind and listen here): close() frees its port at once. */
  #ownPort = false;

  /** Removes the socket file `path` this server bound (by default the one it listens on). */
  #unlinkPath(path = this.#boundPath): void {
    if (path === undefined) return;
    if (this.#boundPath === path) this.#boundPath = undefined;
    try {
      unlinkSync(path);
    } catch {
      // Gone already, or replaced by its owner: nothing of ours to remove (libuv ignores this too).
    }
  }

  #pendingClose: Promise<unknown> = Promise.resolve();
  /** The listening socket's close while it is under way (its multishot accept cancelled first). */
  #fdClosing: Promise<unknown> | undefined;

  /**
   * Closed and drained: 'close' follows (once the listening socket's close is done) — for every
   * close() that finds the server so, as node:net's _emitCloseIfDrained, so each close(cb) is called
   * back (a close of a closed server with ERR_SERVER_NOT_RUNNING); also when listen() is called
   * again meanwhile, so a close's callback is not lost to a restart on another port. As node:net's,
   * whose test is that it has no handle: not while a listen() after the close listens (connections
   * outliving the close then drain with no 'close'), but after one that failed (EADDRINUSE) or is
   * still looking its host up. A connection counts until its destroy(), not its 'close'.
   */
  #emitCloseIfDrained(): void {
    if (this.#fd !== -1 || this.#cluster !== undefined || this.#connections.size > 0) return;
    const emit = () => this.emit('close');
    // Nothing being closed: from the next tick, as node:net's.
    if (this.#fdClosing === undefined) process.nextTick(emit);
    else this.#pendingClose = this.#pendingClose.then(() => process.nextTick(emit));
  }

  [kClusterClose](cb?: () => void): void {
    this.close(cb);
  }

  getConnections(cb: (error: Error | null, count: number) => void): this {
    process.nextTick(cb, null, this.#connections.size);
    return this;
  }

  ref(): this {
    this.#unref = false;
    this.#accept?.ref();
    this.#cluster?.ref?.();
    return this;
  }

  unref(): this {
    this.#unref = true;
    this.#accept?.unref();
    this.#cluster?.unref?.();
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.listening) return;
    await new Promise<void>((resolve) => this.close(() => resolve()));
  }
}
