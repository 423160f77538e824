import {
  Errno,
  FSYNC_DATASYNC,
  Linux,
  Op,
  addressOf,
  cString,
  iovecs,
  layout,
  openHow,
  pipe,
} from '@uring/abi';
import {
  closeSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readlinkSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IoUring } from './io-uring.js';
import { byUserData, reap, ringConfigs, runOne, titled, unavailable } from './testing.js';

const { AT_FDCWD } = Linux;
const dir = mkdtempSync(join(tmpdir(), 'uring-ring-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(ringConfigs)('file operations ($name)', ({ name, options }) => {
  const skip = unavailable(options);
  let n = 0;
  const file = (content?: string) => {
    const path = join(dir, `${name}-${n++}`);
    if (content !== undefined) writeFileSync(path, content);
    return path;
  };

  describe.skipIf(skip !== undefined)(titled(name, skip), () => {
    const ring = skip === undefined ? IoUring.init(32, options) : (undefined as never);
    afterAll(() => ring?.close());
    const sqes = () => ring.sqes;

    it('read and write at offsets, and at the file position with -1', async () => {
      const path = file('hello world');
      const fd = openSync(path, 'r+');
      const buf = Buffer.alloc(5);
      expect((await runOne(ring, (i) => sqes().prepRead(i, fd, addressOf(buf), 5, 6))).res).toBe(5);
      expect(buf.toString()).toBe('world');
      const out = Buffer.from('HELLO');
      expect((await runOne(ring, (i) => sqes().prepWrite(i, fd, addressOf(out), 5, 0))).res).toBe(5);
      expect(readFileSync(path, 'utf8')).toBe('HELLO world');
      const a = Buffer.from('ab');
      await runOne(ring, (i) => sqes().prepWrite(i, fd, addressOf(a), 2, -1));
      await runOne(ring, (i) => sqes().prepWrite(i, fd, addressOf(a), 2, -1));
      expect(readFileSync(path, 'utf8')).toBe('ababO world');
      expect((await runOne(ring, (i) => sqes().prepRead(i, fd, addressOf(buf), 5, 100))).res).toBe(0); // EOF
      closeSync(fd);
    });

    it('readv and writev scatter and gather', async () => {
      const path = file('');
      const fd = openSync(path, 'r+');
      const parts = [Buffer.from('one,'), Buffer.from('two,'), Buffer.from('three')];
      const out = iovecs(parts.map((p) => ({ address: addressOf(p), length: p.length })));
      expect((await runOne(ring, (i) => sqes().prepWritev(i, fd, addressOf(out), 3, 0))).res).toBe(13);
      const into = [Buffer.alloc(3), Buffer.alloc(10)];
      const vin = iovecs(into.map((p) => ({ address: addressOf(p), length: p.length })));
      expect((await runOne(ring, (i) => sqes().prepReadv(i, fd, addressOf(vin), 2, 0))).res).toBe(13);
      expect(Buffer.concat(into).toString()).toBe('one,two,three');
      closeSync(fd);
    });

    it('read_fixed and write_fixed through registered buffers', async () => {
      const path = file('fixed-buffers!');
      const fd = openSync(path, 'r+');
      const bufs = [Buffer.alloc(4096), Buffer.alloc(4096)];
      ring.registerBuffers(bufs);
      expect((await runOne(ring, (i) => sqes().prepReadFixed(i, fd, addressOf(bufs[1]!), 14, 0, 1))).res).toBe(14);
      expect(bufs[1]!.subarray(0, 14).toString()).toBe('fixed-buffers!');
      bufs[0]!.write('FIXED');
      expect((await runOne(ring, (i) => sqes().prepWriteFixed(i, fd, addressOf(bufs[0]!), 5, 0, 0))).res).toBe(5);
      expect(readFileSync(path, 'utf8')).toBe('FIXED-buffers!');
      ring.unregisterBuffers();
      closeSync(fd);
    });

    it('fsync, fdatasync, fallocate, fadvise and ftruncate', async () => {
      const path = file('0123456789');
      const fd = openSync(path, 'r+');
      expect((await runOne(ring, (i) => sqes().prepFsync(i, fd))).res).toBe(0);
      expect((await runOne(ring, (i) => sqes().prepFsync(i, fd, FSYNC_DATASYNC))).res).toBe(0);
      expect((await runOne(ring, (i) => sqes().prepFallocate(i, fd, 0, 0, 8192))).res).toBe(0);
      expect(statSync(path).size).toBe(8192);
      expect((await runOne(ring, (i) => sqes().prepFadvise(i, fd, 0, 0, Linux.POSIX_FADV_SEQUENTIAL))).res).toBe(0);
      if (ring.supports(Op.FTRUNCATE)) {
        expect((await runOne(ring, (i) => sqes().prepFtruncate(i, fd, 3))).res).toBe(0);
        expect(readFileSync(path, 'utf8')).toBe('012');
      }
      closeSync(fd);
    });

    it('openat, openat2, statx and close, with -ENOENT for a missing file', async () => {
      const path = file('statx me');
      const p = cString(path);
      const opened = await runOne(ring, (i) => sqes().prepOpenat(i, AT_FDCWD, addressOf(p), Linux.O_RDONLY | Linux.O_CLOEXEC, 0));
      expect(opened.res).toBeGreaterThan(2);
      const buf = Buffer.alloc(8);
      expect(readSync(opened.res, buf)).toBe(8);
      expect((await runOne(ring, (i) => sqes().prepClose(i, opened.res))).res).toBe(0);

      const how = openHow(Linux.O_RDONLY, 0);
      const opened2 = await runOne(ring, (i) => sqes().prepOpenat2(i, AT_FDCWD, addressOf(p), addressOf(how)));
      expect(opened2.res).toBeGreaterThan(2);
      closeSync(opened2.res);

      const missing = cString(join(dir, 'missing'));
      expect((await runOne(ring, (i) => sqes().prepOpenat(i, AT_FDCWD, addressOf(missing), 0, 0))).res).toBe(-Errno.ENOENT);

      const stx = Buffer.alloc(layout.Statx.size);
      const st = await runOne(ring, (i) =>
        sqes().prepStatx(i, AT_FDCWD, addressOf(p), 0, Linux.STATX_BASIC_STATS, addressOf(stx)),
      );
      expect(st.res).toBe(0);
      const node = statSync(path, { bigint: true });
      expect(stx.readBigUInt64LE(layout.Statx.size_)).toBe(node.size);
      expect(BigInt(stx.readUInt16LE(layout.Statx.mode))).toBe(node.mode);
      expect(stx.readBigUInt64LE(layout.Statx.ino)).toBe(node.ino);
      expect(BigInt(stx.readUInt32LE(layout.Statx.nlink))).toBe(node.nlink);
    });

    it('mkdirat, symlinkat, linkat, renameat and unlinkat change the tree as node:fs sees it', async () => {
      const base = file();
      const c = (s: string) => cString(join(base, s));
      const d = cString(base);
      expect((await runOne(ring, (i) => sqes().prepMkdirat(i, AT_FDCWD, addressOf(d), 0o755))).res).toBe(0);
      expect(statSync(base).isDirectory()).toBe(true);
      writeFileSync(join(base, 'a'), 'A');
      const [a, b, s, r] = [c('a'), c('b'), c('s'), c('r')];
      expect((await runOne(ring, (i) => sqes().prepLinkat(i, AT_FDCWD, addressOf(a), AT_FDCWD, addressOf(b)))).res).toBe(0);
      expect(statSync(join(base, 'a')).nlink).toBe(2);
      const target = cString('a');
      expect((await runOne(ring, (i) => sqes().prepSymlinkat(i, addressOf(target), AT_FDCWD, addressOf(s)))).res).toBe(0);
      expect(readlinkSync(join(base, 's'))).toBe('a');
      expect(lstatSync(join(base, 's')).isSymbolicLink()).toBe(true);
      expect((await runOne(ring, (i) => sqes().prepRenameat(i, AT_FDCWD, addressOf(b), AT_FDCWD, addressOf(r)))).res).toBe(0);
      expect(existsSync(join(base, 'b'))).toBe(false);
      expect(readFileSync(join(base, 'r'), 'utf8')).toBe('A');
      expect(
        (await runOne(ring, (i) => sqes().prepRenameat(i, AT_FDCWD, addressOf(a), AT_FDCWD, addressOf(r), Linux.RENAME_NOREPLACE))).res,
      ).toBe(-Errno.EEXIST);
      for (const p of [a, s, r]) expect((await runOne(ring, (i) => sqes().prepUnlinkat(i, AT_FDCWD, addressOf(p)))).res).toBe(0);
      expect((await runOne(ring, (i) => sqes().prepUnlinkat(i, AT_FDCWD, addressOf(d), Linux.AT_REMOVEDIR))).res).toBe(0);
      expect(existsSync(base)).toBe(false);
    });

    it('runs a linked chain in order, and cancels the rest when a link fails', async () => {
      const path = file('');
      const fd = openSync(path, 'r+');
      const data = Buffer.from('linked!');
      const back = Buffer.alloc(7);
      let i = ring.getSqe();
      sqes().prepWrite(i, fd, addressOf(data), 7, 0);
      sqes().link(i);
      sqes().setUserData(i, 1);
      i = ring.getSqe();
      sqes().prepFsync(i, fd);
      sqes().link(i);
      sqes().setUserData(i, 2);
      i = ring.getSqe();
      sqes().prepRead(i, fd, addressOf(back), 7, 0);
      sqes().setUserData(i, 3);
      const done = await reap(ring, 3);
      expect(done.map((c) => c.userData)).toEqual([1, 2, 3]);
      expect(done.map((c) => c.res)).toEqual([7, 0, 7]);
      expect(back.toString()).toBe('linked!');

      i = ring.getSqe();
      sqes().prepRead(i, -1, addressOf(back), 7, 0);
      sqes().link(i);
      sqes().setUserData(i, 4);
      i = ring.getSqe();
      sqes().prepNop(i);
      sqes().setUserData(i, 5);
      const failed = byUserData(await reap(ring, 2));
      expect(failed.get(4)!.res).toBe(-Errno.EBADF);
      expect(failed.get(5)!.res).toBe(-Errno.ECANCELED);
      closeSync(fd);
    });

    it('splices a pipe into a file and tees one pipe into another', async () => {
      const path = file('');
      const fd = openSync(path, 'r+');
      const [r1, w1] = pipe();
      const [r2, w2] = pipe();
      writeSync(w1, 'spliced data');
      expect((await runOne(ring, (i) => sqes().prepTee(i, r1, w2, 12))).res).toBe(12);
      expect((await runOne(ring, (i) => sqes().prepSplice(i, r1, -1, fd, 0, 12))).res).toBe(12);
      expect(readFileSync(path, 'utf8')).toBe('spliced data');
      const copy = Buffer.alloc(12);
      expect(readSync(r2, copy)).toBe(12);
      expect(copy.toString()).toBe('spliced data');
      for (const f of [fd, r1, w1, r2, w2]) closeSync(f);
    });

    it('uses registered files and direct descriptors', async () => {
      const path = file('direct!');
      const fd = openSync(path, 'r');
      const buf = Buffer.alloc(7);
      ring.registerFiles([fd, -1]);
      let res = await runOne(ring, (i) => {
        sqes().prepRead(i, 0, addressOf(buf), 7, 0);
        sqes().fixedFile(i);
      });
      expect(res.res).toBe(7);
      expect(buf.toString()).toBe('direct!');
      ring.unregisterFiles();

      ring.registerFilesSparse(4);
      expect(ring.registerFilesUpdate(1, [fd])).toBe(1);
      buf.fill(0);
      res = await runOne(ring, (i) => {
        sqes().prepRead(i, 1, addressOf(buf), 7, 0);
        sqes().fixedFile(i);
      });
      expect(buf.toString()).toBe('direct!');
      const p = cString(path);
      expect((await runOne(ring, (i) => sqes().prepOpenatDirect(i, AT_FDCWD, addressOf(p), 0, 0, 2))).res).toBe(0);
      buf.fill(0);
      res = await runOne(ring, (i) => {
        sqes().prepRead(i, 2, addressOf(buf), 7, 0);
        sqes().fixedFile(i);
      });
      expect(res.res).toBe(7);
      expect(buf.toString()).toBe('direct!');
      expect((await runOne(ring, (i) => sqes().prepCloseDirect(i, 2))).res).toBe(0);
      res = await runOne(ring, (i) => {
        sqes().prepRead(i, 2, addressOf(buf), 7, 0);
        sqes().fixedFile(i);
      });
      expect(res.res).toBe(-Errno.EBADF);
      ring.unregisterFiles();
      closeSync(fd);
    });
  });
});
