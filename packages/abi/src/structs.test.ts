import { SocketAddress } from 'node:net';
import { describe, expect, it } from 'vitest';
import { cString, decodeSockaddr, encodeSockaddr, iovecs, timespec } from './structs.js';

describe('structs', () => {
  it('cString appends one NUL, for strings and Buffers', () => {
    expect([...cString('ab')]).toEqual([97, 98, 0]);
    expect([...cString(Buffer.from('é'))]).toEqual([0xc3, 0xa9, 0]);
    expect(cString('').length).toBe(1);
  });

  it('timespec splits milliseconds into seconds and nanoseconds', () => {
    const ts = timespec(1500.25);
    expect(ts.readBigInt64LE(0)).toBe(1n);
    expect(ts.readBigInt64LE(8)).toBe(500_250_000n);
  });

  it('iovecs writes base/len pairs', () => {
    const v = iovecs([{ address: 0x1_0000_0010, length: 5 }, { address: 8, length: 9 }]);
    expect(v.length).toBe(32);
    expect(v.readBigUInt64LE(0)).toBe(0x1_0000_0010n);
    expect(v.readBigUInt64LE(8)).toBe(5n);
    expect(v.readBigUInt64LE(24)).toBe(9n);
  });

  it('round-trips IPv4, IPv6 and Unix socket addresses', () => {
    for (const addr of [
      { family: 'IPv4', address: '127.0.0.1', port: 8080 },
      { family: 'IPv6', address: '::1', port: 443, flowlabel: 0, scopeId: 0 },
      { family: 'IPv6', address: 'fe80::1:2', port: 1, flowlabel: 0, scopeId: 3 },
      { family: 'IPv6', address: '2001:db8::ff00:42:8329', port: 9, flowlabel: 0, scopeId: 0 },
      { family: 'unix', path: '/tmp/uring.sock' },
    ] as const) {
      const { buffer, length } = encodeSockaddr(addr);
      expect(decodeSockaddr(buffer, length)).toEqual(addr);
    }
    expect(encodeSockaddr({ family: 'IPv4', address: '1.2.3.4', port: 0x1234 }).buffer.subarray(0, 8)).toEqual(
      Buffer.from([2, 0, 0x12, 0x34, 1, 2, 3, 4]),
    );
    expect(encodeSockaddr({ family: 'unix', path: '/a' }).length).toBe(2 + 2 + 1);
  });

  it('maps IPv4-in-IPv6 and rejects invalid addresses', () => {
    const { buffer } = encodeSockaddr({ family: 'IPv6', address: '::ffff:127.0.0.1', port: 1 });
    expect(decodeSockaddr(buffer)).toMatchObject({ address: '::ffff:127.0.0.1' });
    // Written as inet_ntop writes them — node:net's remoteAddress of an IPv4 peer on a dual-stack
    // server — checked against Node's own formatting (SocketAddress, libuv's uv_ip6_name).
    const ours = (address: string) => (decodeSockaddr(encodeSockaddr({ family: 'IPv6', address, port: 1 }).buffer) as { address: string }).address;
    const nodes = (address: string) => new SocketAddress({ address, family: 'ipv6' }).address;
    const cases = ['::ffff:7f00:1', '::ffff:0:0', '::1.2.3.4', '::ffff:1:2', '::1', '::', '1::ffff:1.2.3.4', '::ffff:0:1.2.3.4', '0:0:0:0:ffff:ffff::', 'fe80::1', '2001:db8:0:0:1:0:0:1'];
    expect(cases.map(ours)).toEqual(cases.map(nodes));
    expect(ours('::1.2.3.4')).toBe('::1.2.3.4');
    expect(() => encodeSockaddr({ family: 'IPv4', address: '999.1.1.1', port: 1 })).toThrow(TypeError);
  });
});
