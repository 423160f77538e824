import { openSync, renameSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { check, errnoName, hasErrno, netError, outOfDescriptors, uringError } from './errors.js';

function thrown(fn: () => unknown): NodeJS.ErrnoException {
  try {
    fn();
  } catch (error) {
    return error as NodeJS.ErrnoException;
  }
  throw new Error('expected a throw');
}

describe('hasErrno', () => {
  it('recognises a system error by its errno, from us or from node:fs, and nothing else', () => {
    expect(hasErrno(uringError(-22, 'ftruncate'), 22)).toBe(true);
    expect(hasErrno(thrown(() => openSync('/nonexistent/uring-x', 'r')), 2)).toBe(true);
    expect(hasErrno(uringError(-22, 'ftruncate'), 2)).toBe(false);
    for (const other of [new Error('x'), undefined, null, 'EINVAL', { errno: 22 }]) expect(hasErrno(other, 22)).toBe(false);
  });
});

describe('outOfDescriptors', () => {
  it('is EMFILE and ENFILE, negative as errors carry them, and nothing else', () => {
    expect([-24, -23].map(outOfDescriptors)).toEqual([true, true]);
    expect([24, 23, -22, 0, undefined].map(outOfDescriptors)).toEqual([false, false, false, false, false]);
    expect(outOfDescriptors(uringError(-24, 'open').errno)).toBe(true);
  });
});

describe('uringError', () => {
  it('is shaped exactly like the error node:fs throws for the same errno', () => {
    const node = thrown(() => openSync('/nonexistent/uring-x', 'r'));
    const ours = uringError(-2, 'open', { path: '/nonexistent/uring-x' });
    expect(ours.message).toBe(node.message);
    expect({ errno: ours.errno, code: ours.code, syscall: ours.syscall, path: ours.path }).toEqual({
      errno: node.errno, code: node.code, syscall: node.syscall, path: node.path,
    });
    expect(Object.keys(ours)).toEqual(Object.keys(node));
  });

  it('includes dest like node:fs does for two-path calls', () => {
    const node = thrown(() => renameSync('/nonexistent/a', '/nonexistent/b'));
    const ours = uringError(-2, 'rename', { path: '/nonexistent/a', dest: '/nonexistent/b' });
    expect(ours.message).toBe(node.message);
    expect(ours.dest).toBe((node as NodeJS.ErrnoException & { dest?: string }).dest);
  });

  it('names errnos libuv does not know, and falls back like Node for unknown ones', () => {
    expect(errnoName(-62)[0]).toBe('ETIME');
    expect(errnoName(-125)[0]).toBe('ECANCELED');
    expect(errnoName(-9999)).toEqual(['UNKNOWN', 'unknown error']);
    expect(uringError(-62, 'io_uring_enter').message).toBe('ETIME: timer expired, io_uring_enter');
  });

  it('names the local end of a bound connect as node:net does (exceptionWithHostPort with details)', () => {
    const error = uringError(-111, 'connect', { net: { address: '127.0.0.1', port: 1, local: { address: '127.0.0.1', port: 5000 } } }) as NodeJS.ErrnoException & Record<string, unknown>;
    expect(error.message).toBe('connect ECONNREFUSED 127.0.0.1:1 - Local (127.0.0.1:5000)');
    expect({ address: error.address, port: error.port, localAddress: error.localAddress, localPort: error.localPort }).toEqual({ address: '127.0.0.1', port: 1, localAddress: '127.0.0.1', localPort: 5000 });
  });

  it('check() passes results through and throws negative ones', () => {
    expect(check(5, 'read')).toBe(5);
    expect(() => check(-9, 'read')).toThrow(expect.objectContaining({ code: 'EBADF', errno: -9, syscall: 'read' }));
  });
});

describe('netError', () => {
  it("writes node:net's exceptionWithHostPort messages: address and port, an address alone, a null address as Node prints it", () => {
    const shape = (e: ReturnType<typeof netError>) => ({ message: e.message, code: e.code, errno: e.errno, syscall: e.syscall, address: e.address, port: e.port });
    expect(shape(netError(-111, 'connect', { address: '127.0.0.1', port: 1 }))).toEqual({ message: 'connect ECONNREFUSED 127.0.0.1:1', code: 'ECONNREFUSED', errno: -111, syscall: 'connect', address: '127.0.0.1', port: 1 });
    // A cluster worker's listen(8080) that the primary could not bind: node:net's own message.
    expect(shape(netError(-98, 'bind', { address: null, port: 8080 }))).toEqual({ message: 'bind EADDRINUSE null:8080', code: 'EADDRINUSE', errno: -98, syscall: 'bind', address: null, port: 8080 });
    expect(netError(-98, 'bind', { address: null, port: 0 }).message).toBe('bind EADDRINUSE');
    expect(netError(-2, 'connect', { address: '/tmp/x.sock' }).message).toBe('connect ENOENT /tmp/x.sock');
    expect(netError(-98, 'listen', { address: '::', port: 8080, describe: true }).message).toBe('listen EADDRINUSE: address already in use :::8080');
  });
});
