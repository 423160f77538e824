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
