import { Linux } from './constants.js';
import { Iovec, OpenHow, SockaddrIn, SockaddrIn6, SockaddrUn, Timespec, setU64 } from './layout.js';
import { isIPv4, isIPv6 } from 'node:net';

/**
 * Encoders for the small kernel structs SQEs point at. Each returns a Buffer the caller must keep
 * referenced until the operation's CQE arrives (the kernel reads it asynchronously).
 */

/** A NUL-terminated copy of `path` for *at() ops. A path with a NUL byte is the caller's to reject. */
export function cString(path: string | Buffer): Buffer {
  if (typeof path === 'string') {
    const length = Buffer.byteLength(path);
    const out = Buffer.allocUnsafe(length + 1);
    out.write(path, 0, 'utf8');
    out[length] = 0;
    return out;
  }
  const out = Buffer.allocUnsafe(path.length + 1);
  path.copy(out, 0);
  out[path.length] = 0;
  return out;
}

/** Writes a `__kernel_timespec` for `ms` milliseconds (fractions allowed) into `out` at `offset`. */
export function writeTimespec(out: DataView, offset: number, ms: number): void {
  const sec = Math.floor(ms / 1000);
  const nsec = Math.round((ms - sec * 1000) * 1e6);
  setU64(out, offset + Timespec.sec, sec);
  setU64(out, offset + Timespec.nsec, nsec);
}

/** A new `__kernel_timespec` of `ms` milliseconds. */
export function timespec(ms: number): Buffer {
  const out = Buffer.alloc(Timespec.size);
  writeTimespec(new DataView(out.buffer, out.byteOffset, out.byteLength), 0, ms);
  return out;
}

/** An array of `struct iovec` for `(address, length)` pairs. */
export function iovecs(parts: ReadonlyArray<{ address: number; length: number }>): Buffer {
  const out = Buffer.alloc(parts.length * Iovec.size);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  parts.forEach((p, i) => {
    setU64(view, i * Iovec.size + Iovec.base, p.address);
    setU64(view, i * Iovec.size + Iovec.len, p.length);
  });
  return out;
}

/** A `struct open_how` for openat2 (5.6). */
export function openHow(flags: number, mode: number, resolve = 0): Buffer {
  const out = Buffer.alloc(OpenHow.size);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  setU64(view, OpenHow.flags, flags);
  setU64(view, OpenHow.mode, mode);
  setU64(view, OpenHow.resolve, resolve);
  return out;
}

/** A socket address as JavaScript sees it: IPv4, IPv6 or a Unix path. */
export type SocketAddress =
  | { family: 'IPv4' | 'IPv6'; address: string; port: number; flowlabel?: number; scopeId?: number }
  | { family: 'unix'; path: string };

function ipv6Bytes(address: string, out: Buffer, offset: number): void {
  let text = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1]!.split('.').map(Number);
    text = text.slice(0, -v4[1]!.length) + `${((a! << 8) | b!).toString(16)}:${((c! << 8) | d!).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  groups.forEach((g, i) => out.writeUInt16BE(Number.parseInt(g, 16), offset + i * 2));
}

/**
 * Encodes a socket address as `struct sockaddr_in`, `sockaddr_in6` or `sockaddr_un`. Returns the
 * buffer (sized for the struct) and the length to pass as `addrlen`.
 */
export function encodeSockaddr(addr: SocketAddress): { buffer: Buffer; length: number } {
  if (addr.family === 'unix') {
    const path = Buffer.from(addr.path);
    const buffer = Buffer.alloc(SockaddrUn.size);
    buffer.writeUInt16LE(Linux.AF_UNIX, SockaddrUn.family);
    path.copy(buffer, SockaddrUn.path, 0, Math.min(path.length, SockaddrUn.pathMax));
    // Abstract sockets (leading NUL) are not NUL-terminated; the length says where they end.
    const length = SockaddrUn.path + path.length + (path[0] === 0 ? 0 : 1);
    return { buffer, length: Math.min(length, SockaddrUn.size) };
  }
  if (addr.family === 'IPv4') {
    if (!isIPv4(addr.address)) throw new TypeError(`Invalid IPv4 address: ${addr.address}`);
    const buffer = Buffer.alloc(SockaddrIn.size);
    buffer.writeUInt16LE(Linux.AF_INET, SockaddrIn.family);
    buffer.writeUInt16BE(addr.port, SockaddrIn.port);
    addr.address.split('.').forEach((octet, i) => (buffer[SockaddrIn.addr + i] = Number(octet)));
    return { buffer, length: SockaddrIn.size };
  }
  if (!isIPv6(addr.address)) throw new TypeError(`Invalid IPv6 address: ${addr.address}`);
  const buffer = Buffer.alloc(SockaddrIn6.size);
  buffer.writeUInt16LE(Linux.AF_INET6, SockaddrIn6.family);
  buffer.writeUInt16BE(addr.port, SockaddrIn6.port);
  buffer.writeUInt32BE(addr.flowlabel ?? 0, SockaddrIn6.flowinfo);
  ipv6Bytes(addr.address.replace(/%.*$/, ''), buffer, SockaddrIn6.addr);
  buffer.writeUInt32LE(addr.scopeId ?? 0, SockaddrIn6.scopeId);
  return { buffer, length: SockaddrIn6.size };
}

/** Decodes a `struct sockaddr_*` of `length` bytes (as accept/recvmsg fill it). */
export function decodeSockaddr(buffer: Uint8Array, length = buffer.byteLength): SocketAddress | undefined {
  const b = Buffer.from(buffer.buffer, buffer.byteOffset, Math.min(length, buffer.byteLength));
  if (b.length < 2) return undefined;
  const family = b.readUInt16LE(0);
  if (family === Linux.AF_INET && b.length >= SockaddrIn.size) {
    return { family: 'IPv4', address: [...b.subarray(4, 8)].join('.'), port: b.readUInt16BE(SockaddrIn.port) };
  }
  if (family === Linux.AF_INET6 && b.length >= SockaddrIn6.size) {
    const groups: string[] = [];
    for (let i = 0; i < 8; i++) groups.push(b.readUInt16BE(SockaddrIn6.addr + i * 2).toString(16));
    // Compress the longest run of zero groups, as inet_ntop does.
    let best = -1;
    let bestLen = 1;
    for (let i = 0; i < 8; ) {
      let j = i;
      while (j < 8 && groups[j] === '0') j++;
      if (j - i > bestLen) [best, bestLen] = [i, j - i];
      i = j === i ? i + 1 : j;
    }
    let address =
      best < 0 ? groups.join(':') : `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
    // An IPv4 address inside (IPv4-mapped ::ffff:a.b.c.d, or IPv4-compatible ::a.b.c.d): its last
    // 32 bits in dotted decimal, as inet_ntop (and libuv's, for node:net's remoteAddress) writes them.
    if (best === 0 && (bestLen === 6 || (bestLen === 5 && groups[5] === 'ffff'))) {
      address = `::${bestLen === 5 ? 'ffff:' : ''}${[...b.subarray(SockaddrIn6.addr + 12, SockaddrIn6.addr + 16)].join('.')}`;
    }
    return {
      family: 'IPv6',
      address,
      port: b.readUInt16BE(SockaddrIn6.port),
      flowlabel: b.readUInt32BE(SockaddrIn6.flowinfo),
      scopeId: b.readUInt32LE(SockaddrIn6.scopeId),
    };
  }
  if (family === Linux.AF_UNIX) {
    const raw = b.subarray(SockaddrUn.path);
    const end = raw[0] === 0 ? raw.length : raw.indexOf(0) < 0 ? raw.length : raw.indexOf(0);
    return { family: 'unix', path: raw.subarray(0, end).toString() };
  }
  return undefined;
}

