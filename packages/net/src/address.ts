import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { describeReceived, type SocketAddress } from '@uring/abi';

/** Node's ERR_SOCKET_BAD_PORT. */
export function badPort(name: string, port: unknown, allowZero = true): RangeError & { code: string } {
  const error = new RangeError(`${name} should be ${allowZero ? '>=' : '>'} 0 and < 65536. Received ${describeReceived(port)}.`) as RangeError & { code: string };
  error.code = 'ERR_SOCKET_BAD_PORT';
  return error;
}

/** Node's validatePort: a number or numeric string in [0, 65536). */
export function validatePort(port: unknown, name = 'Port', allowZero = true): number {
  if (
    (typeof port !== 'number' && typeof port !== 'string') ||
    (typeof port === 'string' && port.trim().length === 0) ||
    +port !== +port >>> 0 ||
    +port > 0xffff ||
    (+port === 0 && !allowZero)
  )
    throw badPort(name, port, allowZero);
  return +port | 0;
}

/** Node's toNumber (lib/net.js): a non-negative number, or false. */
export function toNumber(x: unknown): number | false {
  const n = Number(x);
  return n >= 0 ? n : false;
}

/** Node's isPipeName: a string that is not a non-negative number names a Unix socket. */
export function isPipeName(s: unknown): s is string {
  return typeof s === 'string' && toNumber(s) === false;
}

/**
 * Node's normalizeArgs, shared by connect() and listen(): (options[, cb]) — a copy of options —,
 * (path[, …][, cb]), or ([port][, host][, …][, cb]).
 */
export function normalizeArgs<T extends { port?: unknown; host?: string; path?: string }>(args: readonly unknown[]): [T, (() => void) | undefined] {
  const last = args[args.length - 1];
  const cb = typeof last === 'function' ? (last as () => void) : undefined;
  if (args.length === 0) return [{} as T, undefined];
  const [first, second] = args;
  if (typeof first === 'object' && first !== null) return [{ ...(first as T) }, cb];
  if (isPipeName(first)) return [{ path: first } as T, cb];
  const options = { port: first } as T;
  if (args.length > 1 && typeof second === 'string') options.host = second;
  return [options, cb];
}

/** An IP literal as is; a name through dns.lookup (getaddrinfo, the order Node 20 uses: verbatim). */
export async function resolveHost(host: string, family?: number): Promise<{ address: string; family: 4 | 6 }> {
  const literal = isIP(host);
  if (literal) return { address: host, family: literal as 4 | 6 };
  const r = await lookup(host, family ? { family } : {});
  return { address: r.address, family: r.family as 4 | 6 };
}

/** A SocketAddress for an IP and port. */
export function ipAddress(address: string, port: number): SocketAddress {
  return isIP(address) === 6 ? { family: 'IPv6', address, port } : { family: 'IPv4', address, port };
}

/** Node's `{ address, family, port }` from a decoded sockaddr ('' family for Unix). */
export function addressInfo(addr: SocketAddress | undefined): { address: string; family: string; port: number } | string | undefined {
  if (!addr) return undefined;
  if (addr.family === 'unix') return addr.path;
  return { address: addr.address, family: addr.family, port: addr.port };
}
