import { EventEmitter } from 'node:events';
import { Errno, Linux, netError, type SocketAddress } from '@uring/abi';
import { getLoop, type Multishot } from '@uring/loop';
import { addressInfo, ipAddress, resolveHost, validatePort } from './address.js';
import { Socket } from './socket.js';
import * as ops from './socket-ops.js';

/** node:net createServer options: allowHalfOpen, pauseOnConnect, and socket options for accepted connections. */
export interface ServerOptions {
  allowHalfOpen?: boolean;
  pauseOnConnect?: boolean;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
}

/** node:net listen options: port and host, or a Unix path, with backlog, ipv6Only, exclusive, signal. */
export interface ListenOptions {
  port?: number | string;
  host?: string;
  path?: string;
  backlog?: number;
  ipv6Only?: boolean;
  exclusive?: boolean;
  signal?: AbortSignal;
}

function codedError(message: string, code: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

/** Node's normalization of listen()'s arguments. */
function listenArgs(args: unknown[]): [ListenOptions, (() => void) | undefined] {
  const cb = typeof args[args.length - 1] === 'function' ? (args.pop() as () => void) : undefined;
  const [first, second, third] = args;
  if (first !== null && typeof first === 'object') return [{ ...(first as ListenOptions) }, cb];
  if (typeof first === 'string' && Number.isNaN(Number(first))) return [{ path: first, backlog: second as number }, cb];
  const options: ListenOptions = { port: (first ?? 0) as number };
  if (typeof second === 'string') Object.assign(options, { host: second, backlog: third as number });
  else if (typeof second === 'number') options.backlog = second;
  return [options, cb];
}

/**
 * node:net's Server on io_uring: socket, bind and listen are ring operations, and one multishot
 * accept (5.19) delivers every connection. Events listening, connection, close, error; `close()`
 * stops accepting at once and emits 'close' when the last connection has closed, as Node's.
 */
export class Server extends EventEmitter {
  #fd = -1;
  #accept: Multishot | undefined;
  #connections = new Set<Socket>();
  #address: SocketAddress | undefined;
  #unref = false;
  #closing = false;
  readonly #options: ServerOptions;
  maxConnections: number | undefined;

  constructor(options?: ServerOptions | ((socket: Socket) => void), connectionListener?: (socket: Socket) => void) {
    super();
    if (typeof options === 'function') {
      connectionListener = options;
      options = {};
    }
    this.#options = { ...(options ?? {}) };
    if (connectionListener) this.on('connection', connectionListener);
  }

  get listening(): boolean {
    return this.#fd !== -1 && !this.#closing;
  }

  /** listen([port[, host[, backlog]]][, cb]), listen(path[, backlog][, cb]), listen(options[, cb]). */
  listen(...args: unknown[]): this {
    const [options, cb] = listenArgs(args);
    if (this.#fd !== -1 && !this.#closing) throw codedError('Listen method has been called more than once without closing.', 'ERR_SERVER_ALREADY_LISTEN');
    let port = 0;
    if (options.path === undefined) port = validatePort(options.port ?? 0, 'options.port');
    if (cb) this.once('listening', cb);
    this.#closing = false;
    this.#closeEmitted = false;
    this.#start(options, port).catch((error: Error) => process.nextTick(() => this.emit('error', error)));
    return this;
  }

  async #start(options: ListenOptions, port: number): Promise<void> {
    const backlog = options.backlog ?? 511;
    let candidates: SocketAddress[];
    if (options.path !== undefined) candidates = [{ family: 'unix', path: options.path }];
    else if (options.host !== undefined) candidates = [ipAddress((await resolveHost(options.host)).address, port)];
    else candidates = [ipAddress('::', port), ipAddress('0.0.0.0', port)]; // IPv6 (dual stack) where available, as Node
    let lastError: unknown;
    for (const addr of candidates) {
      const net = addr.family === 'unix' ? { address: addr.path, describe: true } : { address: addr.address, port, describe: true };
      let fd = -1;
      try {
        fd = await ops.socket(ops.domainOf(addr), net);
        if (addr.family !== 'unix') ops.setIntOption(fd, Linux.SOL_SOCKET, Linux.SO_REUSEADDR, 1);
        if (addr.family === 'IPv6') ops.setIntOption(fd, Linux.IPPROTO_IPV6, Linux.IPV6_V6ONLY, options.ipv6Only ? 1 : 0);
        await ops.bind(fd, addr, net);
        await ops.listen(fd, backlog, net);
      } catch (error) {
        if (fd !== -1) await ops.close(fd).catch(() => undefined);
        lastError = error;
        if ((error as NodeJS.ErrnoException).code === 'EAFNOSUPPORT') continue;
        throw error;
      }
      if (this.#closing) {
        await ops.close(fd);
        return;
      }
      this.#fd = fd;
      this.#address = ops.sockName(fd, false) ?? addr;
      this.#arm();
      this.emit('listening');
      return;
    }
    throw lastError;
  }

  /** One multishot accept for all connections; re-armed if the kernel ends it (e.g. EMFILE). */
  #arm(): void {
    const fd = this.#fd;
    const loop = getLoop();
    this.#accept = loop.multishot((s, i) => s.prepMultishotAccept(i, fd, 0, 0, Linux.SOCK_CLOEXEC), {
      syscall: 'accept',
      unref: this.#unref,
      onCqe: (res) => this.#onAccept(res),
      rearm: (res) => !this.#closing && res !== -Errno.ECANCELED,
    });
    this.#accept.done.catch((error: Error) => {
      if (!this.#closing) this.emit('error', error);
    });
  }

  #onAccept(res: number): void {
    if (res < 0) {
      if (res !== -Errno.ECANCELED && !this.#closing) this.emit('error', netError(res, 'accept'));
      return;
    }
    if (this.#closing || (this.maxConnections !== undefined && this.#connections.size >= this.maxConnections)) {
      ops.close(res).catch(() => undefined);
      return;
    }
    const socket = new Socket({ fd: res, allowHalfOpen: this.#options.allowHalfOpen });
    socket.server = this;
    if (this.#options.noDelay) socket.setNoDelay(true);
    if (this.#options.keepAlive) socket.setKeepAlive(true, this.#options.keepAliveInitialDelay);
    this.#connections.add(socket);
    socket.once('close', () => {
      this.#connections.delete(socket);
      this.#emitCloseIfDrained();
    });
    if (this.#options.pauseOnConnect) socket.pause();
    this.emit('connection', socket);
  }

  address(): { address: string; family: string; port: number } | string | null {
    return this.#fd === -1 || this.#closing ? null : (addressInfo(this.#address) ?? null);
  }

  /** Stops accepting; 'close' follows once every connection has closed. */
  close(cb?: (error?: Error) => void): this {
    const wasListening = this.#fd !== -1 && !this.#closing;
    if (cb) {
      if (wasListening) this.once('close', cb);
      else this.once('close', () => cb(codedError('Server is not running.', 'ERR_SERVER_NOT_RUNNING')));
    }
    this.#closing = true;
    if (this.#fd !== -1) {
      const fd = this.#fd;
      this.#fd = -1;
      this.#accept?.cancel();
      const accepting = this.#accept?.done.catch(() => undefined) ?? Promise.resolve();
      this.#accept = undefined;
      this.#pendingClose = accepting.then(() => ops.close(fd)).catch(() => undefined);
    }
    this.#emitCloseIfDrained();
    return this;
  }

  #pendingClose: Promise<unknown> = Promise.resolve();
  #closeEmitted = false;

  #emitCloseIfDrained(): void {
    if (!this.#closing || this.#connections.size > 0) return;
    const closing = this.#pendingClose;
    this.#pendingClose = closing.then(() =>
      process.nextTick(() => {
        if (!this.#closing || this.#connections.size > 0 || this.#closeEmitted) return;
        this.#closeEmitted = true;
        this.emit('close');
      }),
    );
  }

  getConnections(cb: (error: Error | null, count: number) => void): this {
    process.nextTick(cb, null, this.#connections.size);
    return this;
  }

  ref(): this {
    this.#unref = false;
    this.#accept?.ref();
    return this;
  }

  unref(): this {
    this.#unref = true;
    this.#accept?.unref();
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.listening) return;
    await new Promise<void>((resolve) => this.close(() => resolve()));
  }
}
