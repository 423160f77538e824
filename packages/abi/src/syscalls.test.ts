import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, readSync, writeSync } from 'node:fs';
import * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import { Errno, Linux } from './constants.js';
import { accept4, close, fcntl, ioctlInt, pipe, shutdown } from './syscalls.js';

describe('descriptor syscalls', () => {
  it('pipe() returns a working pair and fcntl() resizes it', () => {
    const [r, w] = pipe(Linux.O_CLOEXEC);
    expect(fcntl(w, Linux.F_SETPIPE_SZ, 1 << 20)).toBeGreaterThanOrEqual(1 << 20);
    expect(fcntl(r, Linux.F_GETPIPE_SZ)).toBeGreaterThanOrEqual(1 << 20);
    writeSync(w, 'through');
    const buf = Buffer.alloc(16);
    expect(buf.subarray(0, readSync(r, buf)).toString()).toBe('through');
    closeSync(r);
    closeSync(w);
    expect(fcntl(r, Linux.F_GETFL)).toBe(-9); // EBADF, returned, not thrown
  });

  it('shutdown() half-closes a TCP socket at once and returns errors as -errno', async () => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const accepted = once(server, 'connection');
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await once(client, 'connect');
    const [peer] = (await accepted) as [net.Socket];
    const received: Buffer[] = [];
    peer.on('data', (chunk: Buffer) => received.push(chunk));
    const ended = once(peer, 'end');
    const fd = (client as unknown as { _handle: { fd: number } })._handle.fd;
    writeSync(fd, 'before the FIN');
    expect(shutdown(fd, Linux.SHUT_WR)).toBe(0);
    await ended; // the peer reads the data, then the end
    expect(Buffer.concat(received).toString()).toBe('before the FIN');
    client.destroy();
    peer.destroy();
    server.close();
    const [r, w] = pipe(Linux.O_CLOEXEC);
    expect(shutdown(r, Linux.SHUT_WR)).toBe(-88); // ENOTSOCK
    closeSync(r);
    closeSync(w);
    expect(shutdown(r, Linux.SHUT_WR)).toBe(-9); // EBADF
  });

  it('accept4() takes a queued connection at once, -EAGAIN on an O_NONBLOCK socket with none queued', async () => {
    const server = net.createServer(() => expect.fail('node:net was not to see the connection'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
    expect(fcntl(fd, Linux.F_GETFL) & Linux.O_NONBLOCK).toBe(Linux.O_NONBLOCK); // as node:net's listening sockets are
    // A child connects, writes and leaves while this thread is blocked in spawnSync: the
    // connection waits in the queue, unseen by node:net's loop, until accept4 takes it.
    const port = (server.address() as net.AddressInfo).port;
    const child = spawnSync(process.execPath, ['-e', `require('net').connect(${port}, '127.0.0.1', function () { this.write('from the child', () => process.exit()) })`]);
    expect(child.status).toBe(0);
    const conn = accept4(fd, Linux.SOCK_CLOEXEC);
    expect(conn).toBeGreaterThan(2);
    expect(fcntl(conn, Linux.F_GETFD)).toBe(Linux.FD_CLOEXEC);
    const buf = Buffer.alloc(64);
    expect(buf.subarray(0, readSync(conn, buf)).toString()).toBe('from the child');
    expect(close(conn)).toBe(0);
    expect(accept4(fd, 0)).toBe(-Errno.EAGAIN); // none queued
    server.close();
    const [r, w] = pipe(Linux.O_CLOEXEC);
    expect(accept4(r, 0)).toBe(-88); // ENOTSOCK
    closeSync(r);
    closeSync(w);
    expect(accept4(r, 0)).toBe(-9); // EBADF
  });

  it('ioctlInt(FIONREAD) counts the bytes waiting to be read, at once; errors as -errno', () => {
    const [r, w] = pipe(Linux.O_CLOEXEC);
    expect(ioctlInt(r, Linux.FIONREAD)).toBe(0);
    writeSync(w, 'seven b');
    expect(ioctlInt(r, Linux.FIONREAD)).toBe(7);
    readSync(r, Buffer.alloc(3));
    expect(ioctlInt(r, Linux.FIONREAD)).toBe(4);
    closeSync(r);
    closeSync(w);
    expect(ioctlInt(r, Linux.FIONREAD)).toBe(-9); // EBADF
  });
});
