import * as dns from 'node:dns';
import type { EventEmitter } from 'node:events';
import * as nodeNet from 'node:net';
import { Errno, Linux, invalidArgType, netError, validateInteger, type NetErrorContext, type SocketAddress } from '@uring/abi';
import { AbortError, type CancelSignal } from '@uring/loop';
import { ipAddress, validatePort } from './address.js';
import { connectTimedOut } from './connect-timeout.js';
import * as ops from './socket-ops.js';
import { emitUncaught } from './uncaught.js';

/** An address to connect to, as dns.lookup gives it. */
export interface Target {
  address: string;
  family: 4 | 6;
}

/** node:net's `lookup` option: dns.lookup's signature (with `all`, the callback gets every address). */
export type LookupFunction = (
  hostname: string,
  options: dns.LookupOptions,
  callback: (error: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void,
) => void;

/** The TCP part of connect()'s options, as node:net's lookupAndConnect reads them. */
export interface TcpConnectOptions {
  port?: number | string;
  host?: string;
  family?: number | string;
  hints?: number;
  lookup?: LookupFunction;
  localAddress?: string;
  localPort?: number;
  autoSelectFamily?: boolean;
  autoSelectFamilyAttemptTimeout?: number;
}

/** A TCP connect, validated: where to, from where, and how hosts with several addresses are tried. */
export interface TcpPlan {
  host: string;
  port: number;
  localAddress: string | undefined;
  localPort: number | undefined;
  autoSelectFamily: boolean;
  /** ms each address but the last gets under autoSelectFamily (Node: at least 10). */
  attemptTimeout: number;
}

/** Node's ERR_INVALID_IP_ADDRESS. */
function invalidIp(ip: unknown): TypeError & { code: string } {
  return Object.assign(new TypeError(`Invalid IP address: ${ip}`), { code: 'ERR_INVALID_IP_ADDRESS' });
}

/** Node's ERR_INVALID_ADDRESS_FAMILY. */
function invalidFamily(family: unknown, host: unknown, port: unknown): RangeError & { code: string } {
  return Object.assign(new RangeError(`Invalid address family: ${family} ${host}:${port}`), { code: 'ERR_INVALID_ADDRESS_FAMILY', host, port });
}

/** Node's NodeAggregateError: every attempt's error, the first one's code. */
function allFailed(errors: Error[]): AggregateError & { code?: string } {
  return Object.assign(new AggregateError(errors), { code: (errors[0] as NodeJS.ErrnoException | undefined)?.code });
}

/**
 * Checks a TCP connect's options in node:net's order (lookupAndConnect), throwing its errors:
 * localAddress an IP (ERR_INVALID_IP_ADDRESS), localPort a number, the port, autoSelectFamily a
 * boolean, autoSelectFamilyAttemptTimeout an int32 ≥ 1 (raised to 10). The defaults are node:net's
 * own (net.setDefaultAutoSelectFamily… set them for both modules).
 */
export function planTcp(options: TcpConnectOptions): TcpPlan {
  const { localAddress, localPort } = options;
  if (localAddress && !nodeNet.isIP(localAddress)) throw invalidIp(localAddress);
  if (localPort && typeof localPort !== 'number') throw invalidArgType('options.localPort', 'of type number', localPort);
  if (typeof options.port !== 'number' && typeof options.port !== 'string') throw invalidArgType('options.port', 'of type number or string', options.port);
  const port = validatePort(options.port);
  let { autoSelectFamily, autoSelectFamilyAttemptTimeout: attemptTimeout } = options;
  if (autoSelectFamily != null) {
    if (typeof autoSelectFamily !== 'boolean') throw invalidArgType('options.autoSelectFamily', 'of type boolean', autoSelectFamily);
  } else autoSelectFamily = nodeNet.getDefaultAutoSelectFamily();
  if (attemptTimeout != null) {
    validateInteger(attemptTimeout, 'options.autoSelectFamilyAttemptTimeout', 1, 2 ** 31 - 1);
    attemptTimeout = Math.max(attemptTimeout, 10);
  } else attemptTimeout = nodeNet.getDefaultAutoSelectFamilyAttemptTimeout();
  return { host: options.host || 'localhost', port, localAddress: localAddress || undefined, localPort: localPort || undefined, autoSelectFamily, attemptTimeout };
}

/**
 * Where a failed attempt's socket was bound (getsockname before it is closed): node:net names it in
 * the EALREADY of a second connect() made while the first was under way, whose connect(2) had bound it.
 */
export const kAttemptLocal = Symbol('attemptLocal');

/** The socket a connect runs for: it is told what happens ('lookup', 'connectionAttempt'…) and may stop connecting meanwhile. */
type Connecting = EventEmitter & { readonly connecting: boolean; [kAttemptLocal]?: SocketAddress | undefined };

/**
 * Resolves `plan.host` as node:net does: `options.lookup` (validated) or dns.lookup, called now —
 * what it throws, connect() throws — with Node's dns options (the family, `hints`, ADDRCONFIG
 * when neither is given); every address of the host under autoSelectFamily (then the first of
 * each family leads, the families alternate, no address twice), else one. Emits 'lookup' for
 * each address, as Node does. Resolves the addresses to try, or undefined when the socket stopped
 * connecting meanwhile; rejects with the lookup's error or Node's ERR_INVALID_IP_ADDRESS /
 * ERR_INVALID_ADDRESS_FAMILY for what a custom lookup gave.
 */
export function lookupTargets(socket: Connecting, plan: TcpPlan, options: TcpConnectOptions): Promise<Target[] | undefined> {
  if (options.lookup != null && typeof options.lookup !== 'function') throw invalidArgType('options.lookup', 'of type function', options.lookup);
  const lookup = (options.lookup ?? dns.lookup) as LookupFunction;
  const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : (options.family as number | undefined);
  const dnsOptions: dns.LookupOptions = { family, hints: options.hints || 0 };
  if (family !== 4 && family !== 6 && dnsOptions.hints === 0) dnsOptions.hints = dns.ADDRCONFIG;
  const { host } = plan;
  // The lookup is called here, not in a Promise executor, which would turn its throw into a rejection.
  let resolve!: (targets: Target[] | undefined) => void;
  let reject!: (error: Error) => void;
  const targets = new Promise<Target[] | undefined>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  if (family !== 4 && family !== 6 && !plan.localAddress && plan.autoSelectFamily) {
    dnsOptions.all = true;
    lookup(host, dnsOptions, (error, addresses) => {
      if (!socket.connecting) return resolve(undefined);
      if (error) {
        socket.emit('lookup', error, undefined, undefined, host);
        return reject(error);
      }
      const list = addresses as dns.LookupAddress[];
      const groups: [Target[], Target[]] = [[], []];
      let first: number | undefined;
      for (const { address, family: type } of list) {
        socket.emit('lookup', null, address, type, host);
        if (!socket.connecting) return resolve(undefined);
        if (!nodeNet.isIP(address) || (type !== 4 && type !== 6)) continue;
        first ??= type;
        const group = groups[type === first ? 0 : 1];
        if (!group.some((t) => t.address === address)) group.push({ address, family: type });
      }
      if (groups[0].length === 0) {
        const head = list[0];
        return reject(head === undefined || !nodeNet.isIP(head.address) ? invalidIp(head?.address) : invalidFamily(head.family, options.host, options.port));
      }
      const ordered: Target[] = [];
      for (let i = 0; i < Math.max(groups[0].length, groups[1].length); i++) {
        if (i < groups[0].length) ordered.push(groups[0][i]!);
        if (i < groups[1].length) ordered.push(groups[1][i]!);
      }
      resolve(ordered);
    });
    return targets;
  }
  lookup(host, dnsOptions, (error, address, type) => {
    socket.emit('lookup', error, address, type, host);
    if (!socket.connecting) return resolve(undefined);
    if (error) return reject(error);
    if (typeof address !== 'string' || !nodeNet.isIP(address)) return reject(invalidIp(address));
    if (type !== 4 && type !== 6) return reject(invalidFamily(type, options.host, options.port));
    resolve([{ address, family: type }]);
  });
  return targets;
}

/**
 * A connection attempt that failed: in binding its local end, in connecting, or in making its
 * socket where node:net makes it in the connect (told as a failed attempt only among several).
 */
class AttemptFailed extends Error {
  constructor(
    readonly stage: 'bind' | 'connect' | 'socket',
    readonly error: Error,
  ) {
    super(error.message);
  }
}

/** Closes an attempt's descriptor, whatever happened to it (errors closing a failed attempt are not the connect's). */
const discard = (fd: number) => ops.close(fd).catch(() => undefined);

/**
 * Where a listener of 'connectionAttempt', 'connectionAttemptFailed' or 'connectionAttemptTimeout'
 * threw (an uncaught exception): node:net's connect stops there, in the middle of the callback that
 * emitted it — no connect(2) after the first, no 'error' or next address after the others — and
 * its socket stays as it is until destroyed. So does this one: it waits for the destroy, and then
 * rejects with an AbortError as a destroyed connect does.
 */
async function stopHere(signal: CancelSignal): Promise<never> {
  if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', resolve, { once: true }));
  throw new AbortError(undefined, { cause: signal.reason });
}

/**
 * One attempt: a socket, its local end bound if asked (SO_REUSEADDR first, as libuv binds), then
 * connect under `timeout` ms (0: none) — 'connectionAttempt' just before. Resolves the connected
 * descriptor; on any failure closes it and rejects (AbortError when `signal` ended it).
 */
async function attempt(socket: Connecting, addr: SocketAddress, net: NetErrorContext, local: SocketAddress | undefined, family: 4 | 6 | undefined, signal: CancelSignal, timeout: number): Promise<number> {
  const fd = await ops.socket(ops.domainOf(addr), net).catch((error: NodeJS.ErrnoException) => {
    throw typeof error.errno === 'number' ? socketFailed(socket, error.errno, addr, net, local, family) : error;
  });
  try {
    if (signal.aborted) throw new AbortError(undefined, { cause: signal.reason });
    if (local && local.family !== 'unix') {
      // node:net binds the local address as one of the remote address's family (TCPWrap's bind or
      // bind6), so one of the other family does not parse there: EINVAL, before any bind(2).
      if (local.family !== addr.family) throw new AttemptFailed('bind', netError(-Errno.EINVAL, 'bind', { address: local.address, port: local.port }));
      ops.setIntOption(fd, Linux.SOL_SOCKET, Linux.SO_REUSEADDR, 1);
      await ops.bindLocal(fd, local, { address: local.address, port: local.port }).catch((error: Error) => {
        throw new AttemptFailed('bind', error);
      });
      if (signal.aborted) throw new AbortError(undefined, { cause: signal.reason });
    }
    // Not for a Unix socket: node:net's tells only a TCP attempt ('connectionAttemptFailed' comes for both).
    if (addr.family !== 'unix' && !emitUncaught(socket, 'connectionAttempt', net.address, net.port, family)) await stopHere(signal);
    await ops.connect(fd, addr, net, signal, timeout).catch((error: Error) => {
      throw error instanceof AbortError ? error : new AttemptFailed('connect', error);
    });
    return fd;
  } catch (error) {
    socket[kAttemptLocal] = ops.sockName(fd, false);
    await discard(fd);
    throw error;
  }
}

/**
 * A socket(2) that failed (EMFILE, ENFILE…) told as node:net tells it: libuv makes the socket in
 * the bind of a local address, else in the connect — so a `bind` error naming the local end; or
 * 'connectionAttempt', then a `connect` error whose details name a local end it never had
 * (`- Local (undefined:undefined)`: node:net's _getsockname() of no socket); a Unix socket's
 * connect fails as its connect would.
 */
function socketFailed(socket: Connecting, errno: number, addr: SocketAddress, net: NetErrorContext, local: SocketAddress | undefined, family: 4 | 6 | undefined): AttemptFailed {
  if (addr.family === 'unix') return new AttemptFailed('connect', netError(errno, 'connect', net));
  if (local && local.family !== 'unix') return new AttemptFailed('bind', netError(errno, 'bind', { address: local.address, port: local.port }));
  emitUncaught(socket, 'connectionAttempt', net.address, net.port, family);
  const error = netError(errno, 'connect', { address: net.address, port: net.port });
  const message = `${error.message} - Local (undefined:undefined)`;
  error.stack = error.stack?.replace(error.message, message);
  error.message = message;
  return new AttemptFailed('socket', error);
}

/**
 * Connects a Unix socket to `path`, or a TCP socket to the one address a host had: Node's
 * internalConnect, with 'connectionAttempt' and, when it fails, 'connectionAttemptFailed'.
 * `connectTimeout` (ms, 0: none) limits the connect. Resolves the connected descriptor.
 */
export function connectOne(socket: Connecting, target: Target | { path: string }, plan: TcpPlan | undefined, signal: CancelSignal, connectTimeout: number): Promise<number> {
  if ('path' in target) return connectTo(socket, { family: 'unix', path: target.path }, { address: target.path }, undefined, undefined, signal, connectTimeout);
  const { address, family } = target;
  const { local, net } = endpoints(plan!, address, family);
  return connectTo(socket, ipAddress(address, plan!.port), net, local, family, signal, connectTimeout);
}

/**
 * Where an attempt to `address` leaves from — `plan.localAddress`, or the wildcard address of its
 * family when only a local port is asked; none when neither is — and the error context naming
 * both ends (the local one when a port was asked, as node:net's).
 */
function endpoints(plan: TcpPlan, address: string, family: 4 | 6): { local: SocketAddress | undefined; net: NetErrorContext } {
  const { port, localPort, localAddress: asked } = plan;
  if (!asked && !localPort) return { local: undefined, net: { address, port } };
  const localAddress = asked ?? (family === 4 ? '0.0.0.0' : '::');
  return { local: ipAddress(localAddress, localPort ?? 0), net: localPort ? { address, port, local: { address: localAddress, port: localPort } } : { address, port } };
}

async function connectTo(socket: Connecting, addr: SocketAddress, net: NetErrorContext, local: SocketAddress | undefined, family: 4 | 6 | undefined, signal: CancelSignal, timeout: number): Promise<number> {
  try {
    return await attempt(socket, addr, net, local, family, signal, timeout);
  } catch (error) {
    if (!(error instanceof AttemptFailed)) throw error;
    if (error.stage === 'connect' && !emitUncaught(socket, 'connectionAttemptFailed', net.address, net.port, family, error.error)) return stopHere(signal);
    throw error.error;
  }
}

/**
 * Connects to the first of `targets` that answers — node:net's autoSelectFamily (Happy Eyeballs,
 * as Node 20 does it): one attempt at a time in the order given, each address recorded in
 * `autoSelectFamilyAttemptedAddresses`; one that fails ('connectionAttemptFailed') goes on to the
 * next at once, and each but the last is given `plan.attemptTimeout` ms, then closed
 * ('connectionAttemptTimeout', counted as `connect ETIMEDOUT`) for the next. A local port is bound
 * on the wildcard address of each attempt's family; a bind that fails counts as that attempt's
 * failure. When all fail, an AggregateError of every attempt's error with the first one's code.
 * `connectTimeout` (ms, 0: none) limits the whole: past it, the attempt under way ends the connect
 * with its `connect ETIMEDOUT`. Resolves the connected descriptor.
 */
export async function connectFirst(
  socket: Connecting & { autoSelectFamilyAttemptedAddresses?: string[] },
  targets: readonly Target[],
  plan: TcpPlan,
  signal: CancelSignal,
  connectTimeout: number,
): Promise<number> {
  const { port } = plan;
  const deadline = connectTimeout > 0 ? performance.now() + connectTimeout : Infinity;
  const attempted: string[] = [];
  socket.autoSelectFamilyAttemptedAddresses = attempted;
  const errors: Error[] = [];
  for (let i = 0; i < targets.length; i++) {
    const { address, family } = targets[i]!;
    const last = i === targets.length - 1;
    const { local, net } = endpoints(plan, address, family); // (several addresses come only without a localAddress)
    const left = deadline - performance.now();
    if (left <= 0) throw connectTimedOut(address, port);
    const attemptLimit = last ? Infinity : plan.attemptTimeout;
    const limit = Math.min(attemptLimit, left);
    attempted.push(`${address}:${port}`);
    try {
      return await attempt(socket, ipAddress(address, port), net, local, family, signal, Number.isFinite(limit) ? Math.ceil(limit) : 0);
    } catch (error) {
      if (!(error instanceof AttemptFailed)) throw error;
      const cause = error.error as NodeJS.ErrnoException;
      const timedOut = error.stage === 'connect' && cause.code === 'ETIMEDOUT' && Number.isFinite(limit);
      if (timedOut && left <= attemptLimit) throw cause; // connectTimeout ran out, not the attempt's own time
      errors.push(cause);
      if (timedOut ? !emitUncaught(socket, 'connectionAttemptTimeout', address, port, family) : error.stage !== 'bind' && !emitUncaught(socket, 'connectionAttemptFailed', address, port, family, cause)) {
        return stopHere(signal);
      }
      if (!socket.connecting) throw new AbortError();
    }
  }
  throw allFailed(errors);
}
