import {
  CqeFlag,
  Errno,
  Linux,
  Op,
  addressOf,
  close as closeFd,
  decodeSockaddr,
  encodeSockaddr,
  getsockname,
  iovecs,
  layout,
  setU64,
  setsockopt,
  type SocketAddress,
} from '@uring/abi';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BufferRing } from './buffer-ring.js';
import { IoUring } from './io-uring.js';
import { byUserData, noRecvLimit, reap, ringConfigs, runOne, titled, unavailable } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'uring-net-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const once = <T>(emitter: { once(e: string, f: (v: T) => void): unknown }, event: string) =>
  new Promise<T>((resolve) => emitter.once(event, resolve));

/** A node:net server on loopback that echoes, for the ring's client side. */
async function echoServer(host: string): Promise<Server> {
  const server = createServer((s) => s.pipe(s));
  server.listen(0, host);
  await once(server, 'listening');
  return server;
}

function collect(socket: Socket): Promise<string> {
  const chunks: Buffer[] = [];
  socket.on('data', (c) => chunks.push(c));
  return new Promise((resolve) => socket.on('end', () => resolve(Buffer.concat(chunks).toString())));
}

describe.each(ringConfigs)('socket operations ($name)', ({ name, options }) => {
  const skip = unavailable(options);
  describe.skipIf(skip !== undefined)(titled(name, skip), () => {
    const ring = skip === undefined ? IoUring.init(64, options) : (undefined as never);
    afterAll(() => ring?.close());
    const sqes = () => ring.sqes;

    async function socket(domain: number): Promise<number> {
      const res = (await runOne(ring, (i) => sqes().prepSocket(i, domain, Linux.SOCK_STREAM | Linux.SOCK_CLOEXEC, 0))).res;
      expect(res).toBeGreaterThan(2);
      return res;
    }

    /** socket + bind + listen through the ring; returns the fd and the bound address. */
    async function listener(addr: SocketAddress): Promise<{ fd: number; address: SocketAddress }> {
      const fd = await socket(addr.family === 'unix' ? Linux.AF_UNIX : addr.family === 'IPv6' ? Linux.AF_INET6 : Linux.AF_INET);
      if (addr.family !== 'unix') expect(setsockopt(fd, Linux.SOL_SOCKET, Linux.SO_REUSEADDR, Int32Array.of(1))).toBe(0);
      const { buffer, length } = encodeSockaddr(addr);
      expect((await runOne(ring, (i) => sqes().prepBind(i, fd, addressOf(buffer), length))).res).toBe(0);
      expect((await runOne(ring, (i) => sqes().prepListen(i, fd, 128))).res).toBe(0);
      const name = Buffer.alloc(layout.SockaddrStorage.size);
      const len = getsockname(fd, name);
      expect(len).toBeGreaterThan(0);
      return { fd, address: decodeSockaddr(name, len)! };
    }

    /** A listening socket on IPv4 loopback, a node:net client connected to it, and the accepted descriptor. */
    async function acceptedPair(): Promise<{ fd: number; client: Socket; conn: number }> {
      const { fd, address } = await listener({ family: 'IPv4', address: '127.0.0.1', port: 0 });
      const client = connect((address as { port: number }).port, '127.0.0.1');
      const conn = (await runOne(ring, (i) => sqes().prepAccept(i, fd, 0, 0))).res;
      return { fd, client, conn };
    }

    /** `count` buffers of `size` bytes in one allocation, all given to a buffer ring of group `bgid`. */
    function providedBuffers(size: number, count: number, bgid: number): { pool: Buffer; base: number; br: BufferRing } {
      const pool = Buffer.alloc(size * count);
      const base = addressOf(pool);
      const br = BufferRing.setup(ring, count, bgid);
      for (let b = 0; b < count; b++) br.add(base + b * size, size, b, b);
      br.advance(count);
      return { pool, base, br };
    }

    const bindListen = ring?.supports(Op.BIND) && ring?.supports(Op.LISTEN);
    const noBind = bindListen ? undefined : 'this kernel has no BIND/LISTEN ops (6.11)';

    it.skipIf(!bindListen)(titled('accepts, receives, sends and shuts down a TCP connection', noBind), async () => {
      const { fd, address } = await listener({ family: 'IPv4', address: '127.0.0.1', port: 0 });
      expect(address).toMatchObject({ family: 'IPv4', address: '127.0.0.1' });
      const port = (address as { port: number }).port;
      const client = connect(port, '127.0.0.1');
      const received = collect(client);
      const peer = Buffer.alloc(layout.SockaddrStorage.size);
      const peerLen = Int32Array.of(peer.length);
      const accepted = await runOne(ring, (i) => sqes().prepAccept(i, fd, addressOf(peer), addressOf(peerLen), Linux.SOCK_CLOEXEC));
      expect(accepted.res).toBeGreaterThan(2);
      expect(decodeSockaddr(peer, peerLen[0])).toMatchObject({ family: 'IPv4', address: '127.0.0.1', port: client.localPort });
      client.write('ping');
      const buf = Buffer.alloc(64);
      const got = await runOne(ring, (i) => sqes().prepRecv(i, accepted.res, addressOf(buf), 64));
      expect(buf.subarray(0, got.res).toString()).toBe('ping');
      const pong = Buffer.from('pong');
      expect((await runOne(ring, (i) => sqes().prepSend(i, accepted.res, addressOf(pong), 4, Linux.MSG_NOSIGNAL))).res).toBe(4);
      expect((await runOne(ring, (i) => sqes().prepShutdown(i, accepted.res, Linux.SHUT_WR))).res).toBe(0);
      expect(await received).toBe('pong');
      client.end();
      expect((await runOne(ring, (i) => sqes().prepRecv(i, accepted.res, addressOf(buf), 64))).res).toBe(0); // EOF
      expect((await runOne(ring, (i) => sqes().prepClose(i, accepted.res))).res).toBe(0);
      closeFd(fd);
    });

    it('connects over IPv4 and IPv6 loopback and exchanges data', async () => {
      for (const host of ['127.0.0.1', '::1']) {
        const server = await echoServer(host);
        const { port } = server.address() as AddressInfo;
        const family = host === '::1' ? 'IPv6' : 'IPv4';
        const fd = await socket(family === 'IPv6' ? Linux.AF_INET6 : Linux.AF_INET);
        const { buffer, length } = encodeSockaddr({ family, address: host, port });
        expect((await runOne(ring, (i) => sqes().prepConnect(i, fd, addressOf(buffer), length))).res).toBe(0);
        const out = Buffer.from(`hello ${host}`);
        expect((await runOne(ring, (i) => sqes().prepSend(i, fd, addressOf(out), out.length))).res).toBe(out.length);
        const back = Buffer.alloc(64);
        const got = await runOne(ring, (i) => sqes().prepRecv(i, fd, addressOf(back), 64));
        expect(back.subarray(0, got.res).toString()).toBe(`hello ${host}`);
        closeFd(fd);
        server.close();
      }
    });

    it('reports ECONNREFUSED for a closed port', async () => {
      const server = await echoServer('127.0.0.1');
      const { port } = server.address() as AddressInfo;
      await new Promise((resolve) => server.close(resolve));
      const fd = await socket(Linux.AF_INET);
      const { buffer, length } = encodeSockaddr({ family: 'IPv4', address: '127.0.0.1', port });
      expect((await runOne(ring, (i) => sqes().prepConnect(i, fd, addressOf(buffer), length))).res).toBe(-Errno.ECONNREFUSED);
      closeFd(fd);
    });

    it.skipIf(!bindListen)(titled('accepts on a Unix socket path', noBind), async () => {
      const path = join(dir, `${name}.sock`);
      const { fd, address } = await listener({ family: 'unix', path });
      expect(address).toEqual({ family: 'unix', path });
      const client = connect(path);
      const accepted = await runOne(ring, (i) => sqes().prepAccept(i, fd, 0, 0));
      expect(accepted.res).toBeGreaterThan(2);
      client.end('over unix');
      const buf = Buffer.alloc(64);
      const got = await runOne(ring, (i) => sqes().prepRecv(i, accepted.res, addressOf(buf), 64, Linux.MSG_WAITALL));
      expect(buf.subarray(0, got.res).toString()).toBe('over unix');
      closeFd(accepted.res);
      closeFd(fd);
    });

    it.skipIf(!bindListen)(titled('multishot accept posts one CQE per connection until cancelled', noBind), async () => {
      const { fd, address } = await listener({ family: 'IPv4', address: '127.0.0.1', port: 0 });
      const port = (address as { port: number }).port;
      const i = ring.getSqe();
      sqes().prepMultishotAccept(i, fd, 0, 0, Linux.SOCK_CLOEXEC);
      sqes().setUserData(i, 50);
      ring.submit();
      const clients = [0, 1, 2].map(() => connect(port, '127.0.0.1'));
      const accepted = await reap(ring, 3);
      for (const c of accepted) {
        expect(c.userData).toBe(50);
        expect(c.res).toBeGreaterThan(2);
        expect(c.flags & CqeFlag.MORE).toBeTruthy();
        closeFd(c.res);
      }
      const j = ring.getSqe();
      sqes().prepCancel(j, 50);
      sqes().setUserData(j, 51);
      const done = byUserData(await reap(ring, 2));
      expect(done.get(50)!.res).toBe(-Errno.ECANCELED);
      expect(done.get(50)!.flags & CqeFlag.MORE).toBe(0);
      clients.forEach((c) => c.destroy());
      closeFd(fd);
    });

    it.skipIf(!bindListen)(titled('multishot recv fills provided buffers from a buffer ring', noBind), async () => {
      const { fd, client, conn } = await acceptedPair();
      const size = 4096;
      const { pool, base, br } = providedBuffers(size, 8, 7);
      const i = ring.getSqe();
      sqes().prepRecvMultishot(i, conn, 0, 0);
      sqes().bufferSelect(i, 7);
      sqes().setUserData(i, 60);
      ring.submit();
      const payload = Buffer.alloc(20000, 'x');
      payload.write('start');
      payload.write('end', payload.length - 3);
      client.end(payload);
      const received: Buffer[] = [];
      let ended = false;
      while (!ended) {
        for (const c of await reap(ring, 1)) {
          expect(c.userData).toBe(60);
          if (c.res === 0 || !(c.flags & CqeFlag.MORE)) {
            expect(c.res).toBe(0); // EOF ends the multishot, without CqeFlag.MORE
            expect(c.flags & CqeFlag.MORE).toBe(0);
            ended = true;
            break;
          }
          expect(c.flags & CqeFlag.BUFFER).toBeTruthy();
          const bid = c.flags >>> 16;
          received.push(Buffer.from(pool.subarray(bid * size, bid * size + c.res)));
          br.add(base + bid * size, size, bid); // hand the buffer back once its data is copied out
          br.advance(1);
        }
      }
      expect(Buffer.concat(received).equals(payload)).toBe(true);
      br.unregister();
      closeFd(conn);
      closeFd(fd);
    });

    const noLimit = noBind ?? noRecvLimit();
    it.skipIf(noLimit !== undefined)(titled('a multishot recv given a byte limit ends once it has taken that much, the rest left in the socket', noLimit), async () => {
      const { fd, client, conn } = await acceptedPair();
      const { br } = providedBuffers(1024, 16, 8);
      client.write(Buffer.alloc(8000, 'y'));
      await new Promise((resolve) => setTimeout(resolve, 50)); // all of it in the socket before the receive
      const i = ring.getSqe();
      sqes().prepRecvMultishot(i, conn, 0, 0);
      sqes().bufferSelect(i, 8);
      sqes().setRecvLimit(i, 2500);
      sqes().setUserData(i, 65);
      ring.submit();
      const sizes: number[] = [];
      let more = true;
      while (more) {
        for (const c of await reap(ring, 1)) {
          expect(c.res).toBeGreaterThan(0);
          sizes.push(c.res);
          more = (c.flags & CqeFlag.MORE) !== 0;
        }
      }
      // 1024-byte buffers: three receives reach 2500 (the last may fill its buffer past it); the last CQE has no MORE.
      expect(sizes).toEqual([1024, 1024, 1024]);
      const rest = Buffer.alloc(8000);
      expect((await runOne(ring, (j) => sqes().prepRecv(j, conn, addressOf(rest), rest.length))).res).toBe(8000 - 3072);
      br.unregister();
      client.destroy();
      closeFd(conn);
      closeFd(fd);
    });

    it.skipIf(!bindListen)(titled('creates sockets and accepts connections into direct descriptors', noBind), async () => {
      const { fd, address } = await listener({ family: 'IPv4', address: '127.0.0.1', port: 0 });
      const port = (address as { port: number }).port;
      ring.registerFilesSparse(8);
      expect((await runOne(ring, (i) => sqes().prepSocketDirect(i, Linux.AF_INET, Linux.SOCK_STREAM, 0, 0))).res).toBe(0);
      const a = connect(port, '127.0.0.1');
      expect((await runOne(ring, (i) => sqes().prepAcceptDirect(i, fd, 0, 0, 0, 1))).res).toBe(0);
      const i = ring.getSqe();
      sqes().prepMultishotAcceptDirect(i, fd, 0, 0);
      sqes().setUserData(i, 80);
      ring.submit();
      const b = connect(port, '127.0.0.1');
      const [slot] = await reap(ring, 1);
      expect(slot!.res).toBeGreaterThanOrEqual(2); // the kernel picked a free slot (0 and 1 are taken)
      expect(slot!.flags & CqeFlag.MORE).toBeTruthy();
      // The accepted direct descriptor works: receive what the client sent through it.
      b.write('direct');
      const buf = Buffer.alloc(16);
      const got = await runOne(ring, (j) => {
        sqes().prepRecv(j, slot!.res, addressOf(buf), 16);
        sqes().fixedFile(j);
      });
      expect(buf.subarray(0, got.res).toString()).toBe('direct');
      const j = ring.getSqe();
      sqes().prepCancel(j, 80);
      sqes().setUserData(j, 81);
      const done = byUserData(await reap(ring, 2));
      expect(done.get(81)!.res).toBe(0);
      expect(done.get(80)!.flags & CqeFlag.MORE).toBe(0); // the multishot's final CQE
      ring.unregisterFiles();
      a.destroy();
      b.destroy();
      closeFd(fd);
    });

    it.skipIf(!bindListen)(titled('sendmsg/recvmsg with iovecs, and send_zc with its notification', noBind), async () => {
      const { fd, address } = await listener({ family: 'IPv4', address: '127.0.0.1', port: 0 });
      const client = connect((address as { port: number }).port, '127.0.0.1');
      client.pipe(client); // the node side echoes
      const conn = (await runOne(ring, (i) => sqes().prepAccept(i, fd, 0, 0))).res;
      const msg = (parts: Buffer[]) => {
        const vecs = iovecs(parts.map((p) => ({ address: addressOf(p), length: p.length })));
        const hdr = Buffer.alloc(layout.Msghdr.size);
        const view = new DataView(hdr.buffer, hdr.byteOffset, hdr.byteLength);
        setU64(view, layout.Msghdr.iov, addressOf(vecs));
        setU64(view, layout.Msghdr.iovlen, parts.length);
        return { hdr, vecs };
      };
      const out = msg([Buffer.from('gather '), Buffer.from('me')]);
      expect((await runOne(ring, (i) => sqes().prepSendmsg(i, conn, addressOf(out.hdr), Linux.MSG_NOSIGNAL))).res).toBe(9);
      const a = Buffer.alloc(4);
      const b = Buffer.alloc(5);
      const inn = msg([a, b]);
      expect((await runOne(ring, (i) => sqes().prepRecvmsg(i, conn, addressOf(inn.hdr), Linux.MSG_WAITALL))).res).toBe(9);
      expect(Buffer.concat([a, b]).toString()).toBe('gather me');

      if (ring.supports(Op.SEND_ZC)) {
        const zc = Buffer.alloc(65536, 'z');
        const i = ring.getSqe();
        sqes().prepSendZc(i, conn, addressOf(zc), zc.length, Linux.MSG_NOSIGNAL);
        sqes().setUserData(i, 70);
        const cqes = await reap(ring, 2);
        expect(cqes[0]!.res).toBe(zc.length);
        expect(cqes[0]!.flags & CqeFlag.MORE).toBeTruthy();
        expect(cqes[1]!.flags & CqeFlag.NOTIF).toBeTruthy();
        expect(cqes[1]!.flags & CqeFlag.MORE).toBe(0);
      }
      client.destroy();
      closeFd(conn);
      closeFd(fd);
    });
  });
});
