import { CqeFlag, Errno, Linux, Op, SetupFlag, addressOf, eventfd, pipe, timespec } from '@uring/abi';
import { closeSync, readSync, writeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CqeBatch } from './cqe.js';
import { SubmissionQueueFullError } from './errors.js';
import { IoUring } from './io-uring.js';
import { byUserData, reap, ringConfigs, runOne, titled, unavailable } from './testing.js';

const { ECANCELED, ETIME, EALREADY, EBADF, EFAULT, ENOENT } = Errno;

describe.each(ringConfigs)('IoUring protocol ($name)', ({ name, options }) => {
  const skip = unavailable(options);
  const ringOf = (entries = 64, extra: Partial<typeof options> = {}) =>
    IoUring.init(entries, { ...options, ...extra, flags: (options.flags ?? 0) | (extra.flags ?? 0) });

  describe.skipIf(skip !== undefined)(titled(name, skip), () => {
    it('submits a batch of NOPs with one enter and preserves both user_data halves', async () => {
      const ring = ringOf(64);
      for (let k = 0; k < 64; k++) {
        const i = ring.getSqe();
        ring.sqes.prepNop(i);
        ring.sqes.setUserData(i, k, 0xdeadbeef);
      }
      expect(ring.sqReady()).toBe(64);
      expect(ring.submit()).toBe(64);
      const cqes = await reap(ring, 64);
      expect(cqes.every((c) => c.res === 0)).toBe(true);
      expect(cqes.every((c) => c.hi === 0xdeadbeef)).toBe(true);
      expect(cqes.map((c) => c.lo).sort((a, b) => a - b)).toEqual([...Array(64).keys()]);
      ring.close();
    });

    it('throws SubmissionQueueFullError when every SQE is taken, and recovers after submit', async () => {
      const ring = ringOf(8);
      for (let k = 0; k < 8; k++) ring.sqes.prepNop(ring.getSqe());
      expect(() => ring.getSqe()).toThrow(SubmissionQueueFullError);
      expect(() => ring.getSqe()).toThrow(expect.objectContaining({ code: 'ERR_URING_SQ_FULL' }));
      expect(ring.submit()).toBe(8);
      ring.sqes.prepNop(ring.getSqe());
      await reap(ring, 9);
      ring.close();
    });

    it('copies CQEs in batches no larger than the batch capacity', async () => {
      const ring = ringOf(32);
      for (let k = 0; k < 20; k++) ring.sqes.prepNop(ring.getSqe());
      ring.submitAndWait(20);
      const batch = new CqeBatch(8);
      const sizes: number[] = [];
      for (let n; (n = ring.copyCqes(batch)) > 0; ) sizes.push(n);
      expect(sizes).toEqual([8, 8, 4]);
      expect(ring.cqReady()).toBe(0);
      ring.close();
    });

    it('cq.holds() finds a ready CQE by its user_data without consuming it', () => {
      const ring = ringOf(8);
      for (const [lo, hi] of [[5, 1], [6, 0x7fffffff]]) {
        const i = ring.getSqe();
        ring.sqes.prepNop(i);
        ring.sqes.setUserData(i, lo!, hi!);
      }
      ring.submitAndWait(2);
      expect(ring.cq.holds(5, 1)).toBe(true);
      expect(ring.cq.holds(6, 0x7fffffff)).toBe(true);
      expect(ring.cq.holds(5, 2)).toBe(false); // another generation of the same slot
      expect(ring.cqReady()).toBe(2); // looked at, not taken
      const batch = new CqeBatch(1);
      ring.copyCqes(batch);
      expect(ring.cq.holds(5, 1)).toBe(false);
      expect(ring.cq.holds(6, 0x7fffffff)).toBe(true);
      ring.copyCqes(batch);
      expect(ring.cq.holds(6, 0x7fffffff)).toBe(false);
      ring.close();
    });

    it('keeps every completion when the CQ overflows (tiny CQ, IORING_FEAT_NODROP)', async () => {
      const ring = ringOf(4, { cqEntries: 4 });
      for (let round = 0; round < 6; round++) {
        for (let k = 0; k < 4; k++) {
          const i = ring.getSqe();
          ring.sqes.prepNop(i);
          ring.sqes.setUserData(i, round * 4 + k);
        }
        ring.submit();
      }
      expect(ring.cqOverflowed()).toBe(true);
      const cqes = await reap(ring, 24);
      expect(cqes.length).toBe(24);
      expect(new Set(cqes.map((c) => c.userData)).size).toBe(24);
      expect(ring.cq.overflow()).toBe(0);
      ring.close();
    });

    it('waits with a timeout and returns when nothing completes', () => {
      const ring = ringOf(4);
      const start = Date.now();
      expect(ring.submitAndWaitTimeout(1, 20)).toBe(0);
      expect(Date.now() - start).toBeGreaterThanOrEqual(15);
      expect(ring.cqReady()).toBe(0);
      ring.close();
    });

    it('runs a standalone timeout, a count timeout and timeout_remove', async () => {
      const ring = ringOf(8);
      const ts = timespec(10);
      const long = timespec(60_000);
      expect((await runOne(ring, (i) => ring.sqes.prepTimeout(i, addressOf(ts)))).res).toBe(-ETIME);

      let i = ring.getSqe();
      ring.sqes.prepTimeout(i, addressOf(long), 1);
      ring.sqes.setUserData(i, 1);
      i = ring.getSqe();
      ring.sqes.prepNop(i);
      ring.sqes.setUserData(i, 2);
      expect(byUserData(await reap(ring, 2)).get(1)!.res).toBe(0);

      i = ring.getSqe();
      ring.sqes.prepTimeout(i, addressOf(long));
      ring.sqes.setUserData(i, 3);
      ring.submit();
      i = ring.getSqe();
      ring.sqes.prepTimeoutRemove(i, 3);
      ring.sqes.setUserData(i, 4);
      const done = byUserData(await reap(ring, 2));
      expect(done.get(3)!.res).toBe(-ECANCELED);
      expect(done.get(4)!.res).toBe(0);
      ring.close();
    });

    it('fires a link timeout: the op gets -ECANCELED and the timeout -ETIME', async () => {
      const ring = ringOf(8);
      const [r, w] = pipe();
      const buf = Buffer.alloc(16);
      const ts = timespec(10);
      let i = ring.getSqe();
      ring.sqes.prepRead(i, r, addressOf(buf), buf.length, -1);
      ring.sqes.link(i);
      ring.sqes.setUserData(i, 1);
      i = ring.getSqe();
      ring.sqes.prepLinkTimeout(i, addressOf(ts));
      ring.sqes.setUserData(i, 2);
      const done = byUserData(await reap(ring, 2));
      expect(done.get(1)!.res).toBe(-ECANCELED);
      expect(done.get(2)!.res).toBe(-ETIME);
      closeSync(r);
      closeSync(w);
      ring.close();
    });

    it('disarms a link timeout when the op finishes first', async () => {
      const ring = ringOf(8);
      const ts = timespec(5000);
      let i = ring.getSqe();
      ring.sqes.prepNop(i);
      ring.sqes.link(i);
      ring.sqes.setUserData(i, 1);
      i = ring.getSqe();
      ring.sqes.prepLinkTimeout(i, addressOf(ts));
      ring.sqes.setUserData(i, 2);
      const done = byUserData(await reap(ring, 2));
      expect(done.get(1)!.res).toBe(0);
      expect([-ECANCELED, -EALREADY]).toContain(done.get(2)!.res);
      ring.close();
    });

    it('cancels by user_data, by fd and any; unknown user_data gives -ENOENT', async () => {
      const ring = ringOf(16);
      const [r, w] = pipe();
      const poll = (ud: number) => {
        const i = ring.getSqe();
        ring.sqes.prepPollAdd(i, r, Linux.POLLIN);
        ring.sqes.setUserData(i, ud);
      };
      poll(1);
      ring.submitAndWaitTimeout(1, 10);
      expect(ring.cqReady()).toBe(0); // an empty pipe never becomes readable
      let i = ring.getSqe();
      ring.sqes.prepCancel(i, 1);
      ring.sqes.setUserData(i, 100);
      let done = byUserData(await reap(ring, 2));
      expect(done.get(1)!.res).toBe(-ECANCELED);
      expect(done.get(100)!.res).toBe(0);

      expect((await runOne(ring, (j) => ring.sqes.prepCancel(j, 12345), 101)).res).toBe(-ENOENT);

      poll(2);
      poll(3);
      ring.submit();
      i = ring.getSqe();
      ring.sqes.prepCancelFd(i, r, 1 /* CancelFlag.ALL */);
      ring.sqes.setUserData(i, 102);
      done = byUserData(await reap(ring, 3));
      expect(done.get(102)!.res).toBe(2); // with ALL, the count cancelled
      expect(done.get(2)!.res).toBe(-ECANCELED);
      expect(done.get(3)!.res).toBe(-ECANCELED);

      poll(4);
      ring.submit();
      i = ring.getSqe();
      ring.sqes.prepCancelAny(i);
      ring.sqes.setUserData(i, 103);
      done = byUserData(await reap(ring, 2));
      expect(done.get(4)!.res).toBe(-ECANCELED);
      expect(done.get(103)!.res).toBe(1); // with FD or ANY the kernel reports how many it cancelled
      closeSync(r);
      closeSync(w);
      ring.close();
    });

    it('delivers multishot poll CQEs with CqeFlag.MORE until poll_remove', async () => {
      const ring = ringOf(8);
      const efd = eventfd(0, Linux.EFD_NONBLOCK);
      const i = ring.getSqe();
      ring.sqes.prepPollMultishot(i, efd, Linux.POLLIN);
      ring.sqes.setUserData(i, 7);
      ring.submit();
      for (let k = 0; k < 3; k++) {
        writeSync(efd, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]));
        const [cqe] = await reap(ring, 1);
        expect(cqe!.userData).toBe(7);
        expect(cqe!.res & Linux.POLLIN).toBeTruthy();
        expect(cqe!.flags & CqeFlag.MORE).toBeTruthy();
        readSync(efd, Buffer.alloc(8)); // level back to not-readable
      }
      const j = ring.getSqe();
      ring.sqes.prepPollRemove(j, 7);
      ring.sqes.setUserData(j, 8);
      const done = byUserData(await reap(ring, 2));
      expect(done.get(8)!.res).toBe(0);
      expect(done.get(7)!.res).toBe(-ECANCELED);
      expect(done.get(7)!.flags & CqeFlag.MORE).toBe(0);
      closeSync(efd);
      ring.close();
    });

    it('signals a registered eventfd when it posts CQEs', async () => {
      const ring = ringOf(4);
      const efd = eventfd(0, Linux.EFD_NONBLOCK);
      ring.registerEventfd(efd);
      await runOne(ring, (i) => ring.sqes.prepNop(i));
      const counter = Buffer.alloc(8);
      expect(readSync(efd, counter)).toBe(8);
      expect(counter.readBigUInt64LE(0)).toBeGreaterThan(0n);
      ring.unregisterEventfd();
      closeSync(efd);
      ring.close();
    });

    it('posts a CQE on another ring with msg_ring', async () => {
      const a = ringOf(4);
      const b = ringOf(4);
      expect((await runOne(a, (i) => a.sqes.prepMsgRing(i, b.fd, 42, 7, 1))).res).toBe(0);
      const [cqe] = await reap(b, 1);
      expect(cqe).toMatchObject({ res: 42, userData: 2 ** 32 + 7 });
      a.close();
      b.close();
    });

    it('reports bad input as errors, never a crash', async () => {
      const ring = ringOf(4);
      const buf = Buffer.alloc(16);
      const [r, w] = pipe();
      closeSync(r);
      closeSync(w);
      expect((await runOne(ring, (i) => ring.sqes.prepRead(i, r, addressOf(buf), 16, 0))).res).toBe(-EBADF);
      const [r2, w2] = pipe();
      writeSync(w2, 'data');
      expect((await runOne(ring, (i) => ring.sqes.prepRead(i, r2, 0, 16, -1))).res).toBe(-EFAULT);
      closeSync(r2);
      closeSync(w2);
      expect((await runOne(ring, (i) => ring.sqes.prepRw(i, 250, -1, 0, 0, 0))).res).toBe(-22); // unknown opcode: EINVAL
      ring.close();
      ring.close();
      expect(() => ring.getSqe()).toThrow(expect.objectContaining({ code: 'EBADF' }));
      expect(() => ring.submitAndWait(1)).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'io_uring_enter' }));
    });

    it('probes opcodes', () => {
      const ring = ringOf(2);
      expect(ring.supports(Op.NOP)).toBe(true);
      expect(ring.supports(Op.READ)).toBe(true);
      expect(ring.supports(255)).toBe(false);
      expect(ring.probe().lastOp).toBeGreaterThanOrEqual(Op.READ);
      expect(ring.probe().supportedOps()).toContain('NOP');
      ring.close();
    });
  });
});

describe('IoUring setup options', () => {
  const skip = unavailable();
  describe.skipIf(skip !== undefined)(titled('ring lifecycle', skip), () => {
    it('validates entries like Node validates ranges', () => {
      for (const bad of [0, -1, 1.5, 65536, Number.NaN]) {
        expect(() => IoUring.init(bad)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
      }
    });

    it('starts a ring created disabled once enableRings() is called', async () => {
      const ring = IoUring.init(4, { flags: SetupFlag.R_DISABLED });
      ring.sqes.prepNop(ring.getSqe());
      expect(() => ring.submit()).toThrow(expect.objectContaining({ code: 'EBADFD' }));
      ring.enableRings();
      await reap(ring, 1);
      ring.close();
    });

    it('submits through an SQPOLL thread (opt-in) without entering for each batch', async () => {
      const ring = IoUring.init(8, { flags: SetupFlag.SQPOLL, sqThreadIdle: 50 });
      for (let round = 0; round < 3; round++) {
        for (let k = 0; k < 4; k++) ring.sqes.prepNop(ring.getSqe());
        await reap(ring, 4);
      }
      ring.close();
    });
  });

  const noArray = { flags: SetupFlag.NO_SQARRAY };
  const noArraySkip = unavailable(noArray);
  describe.skipIf(noArraySkip !== undefined)(titled('NO_SQARRAY (6.6)', noArraySkip), () => {
    it('submits in ring order without an SQ array, the ring fields intact', async () => {
      const ring = IoUring.init(8, noArray);
      const [r, w] = pipe();
      writeSync(w, 'ring order');
      const buffer = Buffer.alloc(16);
      for (let round = 0; round < 3; round++) {
        for (let k = 0; k < 7; k++) {
          const i = ring.getSqe();
          ring.sqes.prepNop(i);
          ring.sqes.setUserData(i, round * 8 + k);
        }
        const i = ring.getSqe();
        ring.sqes.prepRead(i, r, addressOf(buffer), round === 0 ? 10 : 0, -1);
        ring.sqes.setUserData(i, round * 8 + 7);
        const cqes = byUserData(await reap(ring, 8));
        expect([...cqes.keys()].sort((a, b) => a - b)).toEqual([...Array(8).keys()].map((k) => round * 8 + k));
        expect(cqes.get(round * 8 + 7)!.res).toBe(round === 0 ? 10 : 0);
      }
      expect(buffer.toString('utf8', 0, 10)).toBe('ring order');
      expect(ring.cqReady()).toBe(0);
      expect(ring.sq.dropped()).toBe(0);
      closeSync(r);
      closeSync(w);
      ring.close();
    });
  });
});
