import { CqeFlag, Errno, Linux, SetupFlag, TimeoutFlag, addressOf, cString, decodeSockaddr, encodeSockaddr, eventfd, getsockname, ioctlInt, pipe, setsockopt, timespec } from '@uring/abi';
import { BufferRing, IoUring, type Sqes } from '@uring/ring';
import { connect } from 'node:net';
import { ringConfigs, titled, unavailable, until } from '@uring/ring/test';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { open as nodeOpen } from 'node:fs/promises';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getLoop } from './current.js';
import { AbortError, LoopClosedError } from './errors.js';
import { Loop, viewsAfter } from './loop.js';

const dir = mkdtempSync(join(tmpdir(), 'uring-loop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const tick = () => new Promise((resolve) => setImmediate(resolve));
const [major, minor] = release().split('.').map(Number) as [number, number];
const hasMultishotTimeout = major > 6 || (major === 6 && minor >= 4);
const kernelAtLeast = (a: number, b: number) => major > a || (major === a && minor >= b);

/** A test that needs multishot timeouts (6.4), skipped with that reason on older kernels. */
function itWithMultishotTimeout(title: string, fn: () => Promise<void>): void {
  it.skipIf(!hasMultishotTimeout)(titled(title, hasMultishotTimeout ? undefined : 'multishot timeouts need Linux 6.4'), fn);
}

/** A multishot IORING_OP_TIMEOUT (6.4) of `ms`, firing `count` times per arm (0: until cancelled). */
function multishotTimer(loop: Loop, ms: number, count: number, options: { onCqe: (res: number) => void; rearm?: (res: number) => boolean }) {
  const ts = timespec(ms);
  return loop.multishot((sqes, i) => sqes.prepTimeout(i, addressOf(ts), count, TimeoutFlag.MULTISHOT), { syscall: 'timeout', keep: ts, ...options });
}

/**
 * A loopback connection made by node:net: its client, and the server's accepted socket, which
 * node:net leaves unread (pauseOnConnect) — its descriptor ours to receive from.
 */
async function unreadConnection() {
  const { createServer } = await import('node:net');
  const server = createServer({ pauseOnConnect: true });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<{ _handle: { fd: number }; destroy(): void }>((resolve) => server.once('connection', resolve));
  const client = connect((server.address() as { port: number }).port, '127.0.0.1');
  await new Promise((resolve) => client.once('connect', resolve));
  return { server, client, peer: await accepted };
}

/** Keeps the thread busy for `ms`: no kernel entry, so no task work runs meanwhile. */
function busy(ms: number): void {
  for (const end = performance.now() + ms; performance.now() < end; );
}

/** Keeps the thread busy for `ms` once the current reap is over (in a microtask after it), then cancels `handle`. */
function busyThenCancel(handle: { cancel(): void }, ms: number): void {
  queueMicrotask(() => {
    busy(ms);
    handle.cancel();
  });
}

describe('Loop on a DEFER_TASKRUN ring', () => {
  const flags = SetupFlag.SINGLE_ISSUER | SetupFlag.DEFER_TASKRUN;
  const skip = unavailable({ flags });
  describe.skipIf(skip !== undefined)(titled('SINGLE_ISSUER+DEFER_TASKRUN', skip), () => {
    it('reaps every completion the kernel defers, even when one GETEVENTS does not run them all', async () => {
      // On a DEFER_TASKRUN ring io-wq completions and the issue of linked steps wait as task work
      // for the loop's GETEVENTS, which runs a bounded batch of it; the eventfd fires only when the
      // first item is queued. Without TASKRUN_FLAG nothing tells the loop that some is left, and a
      // batch that posts no CQE (linked writes going to io-wq) leaves the rest waiting for ever.
      // The pattern that stalled writeFile: open(O_CREAT|O_TRUNC) → write → close, 64 at a time.
      const loop = new Loop({ flags });
      expect(loop.ring.flags & SetupFlag.TASKRUN_FLAG).toBeTruthy();
      const data = Buffer.alloc(4096, 1);
      const at = addressOf(data);
      let done = 0;
      const writer = async (w: number) => {
        const path = cString(join(dir, `defer-${w}`));
        const pathAt = addressOf(path);
        for (let k = 0; k < 40; k++) {
          const slot = loop.reserveFileSlot()!;
          await Promise.all(
            loop.link([
              { prep: (s, i) => s.prepOpenatDirect(i, Linux.AT_FDCWD, pathAt, Linux.O_WRONLY | Linux.O_CREAT | Linux.O_TRUNC, 0o644, slot), syscall: 'open', keep: path },
              { prep: (s, i) => { s.prepWrite(i, slot, at, data.length, 0); s.fixedFile(i); }, syscall: 'write', keep: data },
              { prep: (s, i) => s.prepCloseDirect(i, slot), syscall: 'close' },
            ]),
          );
          loop.releaseFileSlot(slot);
          done++;
        }
      };
      const all = Promise.all(Array.from({ length: 64 }, (_, w) => writer(w)));
      // Progress, not speed: every 3 s at least one more chain must have finished.
      await new Promise<void>((resolve, reject) => {
        let seen = -1;
        const watch = setInterval(() => {
          if (done === seen) reject(new Error(`stalled at ${done} of ${64 * 40} chains: ${JSON.stringify(loop.metrics)}`));
          seen = done;
        }, 3000);
        all.then(() => resolve(), reject).finally(() => clearInterval(watch));
      });
      expect(done).toBe(64 * 40);
      await loop.close();
    }, 30_000);
  });
});

describe('Loop with SQPOLL (opt-in: sqpollIdle)', () => {
  const skip = unavailable({ flags: SetupFlag.SQPOLL, sqThreadIdle: 5 });
  describe.skipIf(skip !== undefined)(titled('SQPOLL', skip), () => {
    it('reads and writes through the kernel thread, also after it went to sleep, and more ops than SQ entries', async () => {
      const loop = new Loop({ sqpollIdle: 5, entries: 16 });
      expect(loop.ring.flags & SetupFlag.SQPOLL).toBeTruthy();
      const path = join(dir, 'sqpoll');
      writeFileSync(path, '');
      const fd = openSync(path, 'r+');
      try {
        const data = Buffer.from('written through the SQ thread');
        expect((await loop.write(fd, data, 0, data.length, 0)).bytesWritten).toBe(data.length);
        // The thread sleeps after 5 ms without work (IORING_SQ_NEED_WAKEUP): the next submit must wake it.
        await new Promise((resolve) => setTimeout(resolve, 50));
        const back = Buffer.alloc(data.length);
        expect((await loop.read(fd, back, 0, back.length, 0)).bytesRead).toBe(data.length);
        expect(back.equals(data)).toBe(true);
        // 300 operations in one tick over 16 SQ entries: the loop waits for room (SQ_WAIT) and loses none.
        const results = await Promise.all(Array.from({ length: 300 }, () => loop.nop()));
        expect(results).toEqual(Array(300).fill(0));
        await expect(loop.sleep(5)).resolves.toBeUndefined();
      } finally {
        closeSync(fd);
        await loop.close();
      }
      expect(loop.metrics.completed).toBeGreaterThanOrEqual(303);
    });
  });
});

describe.each(ringConfigs)('Loop ($name)', ({ name, options }) => {
  const skip = unavailable(options);
  const make = (extra: ConstructorParameters<typeof Loop>[0] = {}) => new Loop({ flags: options.flags, ...extra });

  describe.skipIf(skip !== undefined)(titled(name, skip), () => {
    it('submits everything started in one tick with one io_uring_enter', async () => {
      const loop = make();
      const before = loop.metrics.enters;
      const results = await Promise.all(Array.from({ length: 100 }, () => loop.nop()));
      expect(results).toEqual(Array(100).fill(0));
      expect(loop.metrics.enters - before).toBe(1);
      await loop.close();
    });

    it('submitPending(): what is queued goes to the kernel during the call, not at the end of the microtask run; with nothing queued, no enter', async () => {
      const loop = make();
      const before = loop.metrics.enters;
      const done = Promise.all([loop.nop(), loop.nop()]);
      expect(loop.ring.sqReady()).toBe(2);
      loop.submitPending();
      expect([loop.ring.sqReady(), loop.metrics.enters - before]).toEqual([0, 1]);
      loop.submitPending();
      expect(loop.metrics.enters - before).toBe(1);
      expect(await done).toEqual([0, 0]);
      expect(loop.metrics.enters - before).toBe(1); // the microtask found nothing left to submit
      await loop.close();
    });

    it("runNow(): one operation done before it returns — its result or -errno — with the loop's own completions left to the loop", async () => {
      const loop = make();
      const [r, w] = pipe();
      let polled = false;
      const readable = loop.poll(r, Linux.POLLIN).then(() => (polled = true));
      await new Promise((resolve) => setImmediate(resolve)); // the poll is in the kernel
      const byte = Buffer.from('x');
      const at = addressOf(byte);
      // The write makes the loop's poll complete meanwhile: its CQE stays for the loop to reap.
      expect(loop.runNow((s, i) => s.prepWrite(i, w, at, 1, -1), byte)).toBe(1);
      expect(loop.runNow((s, i) => s.prepClose(i, -1))).toBe(-Errno.EBADF);
      expect(polled).toBe(false);
      await readable;
      expect(polled).toBe(true);
      closeSync(r);
      closeSync(w);
      await loop.close();
      expect(() => loop.runNow((s, i) => s.prepNop(i))).toThrow(LoopClosedError);
    });

    it('reads, writes, syncs, opens, stats and closes files', async () => {
      const loop = make();
      const path = join(dir, `${name}-rw`);
      writeFileSync(path, 'hello uring');
      const fd = await loop.open(path, Linux.O_RDWR);
      const read = await loop.read(fd, Buffer.alloc(5), 0, 5, 6);
      expect(read.bytesRead).toBe(5);
      expect(read.buffer.toString()).toBe('uring');
      const written = await loop.write(fd, Buffer.from('HELLO'), 0, 5, 0);
      expect(written.bytesWritten).toBe(5);
      expect(await loop.fsync(fd)).toBe(0);
      expect(await loop.fsync(fd, { datasync: true })).toBe(0);
      const a = Buffer.alloc(3);
      const b = Buffer.alloc(8);
      expect(await loop.readv(fd, [a, b], 0)).toBe(11);
      expect(Buffer.concat([a, b]).toString()).toBe('HELLO uring');
      expect(await loop.writev(fd, [Buffer.from('!'), Buffer.from('?')], 11)).toBe(2);
      const stx = await loop.statx(path);
      expect(stx.readBigUInt64LE(40)).toBe(13n);
      expect(await loop.closeFd(fd)).toBe(0);
      expect(readFileSync(path, 'utf8')).toBe('HELLO uring!?');
      await loop.close();
    });

    it('rejects like node:fs, with the caller on the stack', async () => {
      const loop = make();
      const missing = join(dir, 'missing');
      const node = await nodeOpen(missing).catch((e: NodeJS.ErrnoException) => e);
      async function callerFrameMarker() {
        return await loop.open(missing, Linux.O_RDONLY);
      }
      const ours = await callerFrameMarker().catch((e: NodeJS.ErrnoException) => e);
      expect(ours).toBeInstanceOf(Error);
      expect((ours as Error).message).toBe((node as Error).message);
      expect(ours).toMatchObject({ code: 'ENOENT', errno: -2, syscall: 'open', path: missing });
      expect((ours as Error).stack).toContain('callerFrameMarker');
      await expect(loop.read(-1, Buffer.alloc(1))).rejects.toMatchObject({ code: 'EBADF', syscall: 'read' });
      await expect(loop.read(0, 'nope' as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
      await loop.close();
    });

    it('completes 100,000 mixed operations with a cap of 64: none lost, none twice', async () => {
      const loop = make({ maxInFlight: 64 });
      const path = join(dir, `${name}-mixed`);
      writeFileSync(path, Buffer.alloc(65536, 7));
      const fd = openSync(path, 'r+');
      const total = 100_000;
      const settled = new Uint8Array(total);
      const work: Promise<void>[] = [];
      for (let k = 0; k < total; k++) {
        const kind = k % 4;
        const p: Promise<unknown> =
          kind === 0 ? loop.nop()
          : kind === 1 ? loop.read(fd, Buffer.alloc(16), 0, 16, (k * 16) % 65536)
          : kind === 2 ? loop.write(fd, Buffer.from([k & 0xff]), 0, 1, 65536 + (k % 1024))
          : loop.sleep(0);
        work.push(p.then(() => void settled[k]++));
      }
      expect(loop.metrics.backlog).toBeGreaterThan(0);
      await Promise.all(work);
      expect(settled.every((v) => v === 1)).toBe(true);
      expect(loop.metrics.maxInFlight).toBeLessThanOrEqual(64);
      expect(loop.metrics.completed).toBe(total);
      expect(loop.metrics.inFlight).toBe(0);
      expect(loop.metrics.backlog).toBe(0);
      closeSync(fd);
      await loop.close();
    });

    it('times out an operation through a linked timeout with ETIMEDOUT, per op and by default', async () => {
      const loop = make();
      const [r, w] = pipe();
      await expect(loop.read(r, Buffer.alloc(8), 0, 8, -1, { timeout: 20 })).rejects.toMatchObject({
        code: 'ETIMEDOUT',
        syscall: 'read',
      });
      const withDefault = make({ timeout: 20 });
      await expect(withDefault.read(r, Buffer.alloc(8))).rejects.toMatchObject({ code: 'ETIMEDOUT' });
      writeSync(w, 'x');
      expect((await withDefault.read(r, Buffer.alloc(8))).bytesRead).toBe(1);
      expect(loop.metrics.inFlight + withDefault.metrics.inFlight).toBe(0);
      closeSync(r);
      closeSync(w);
      await Promise.all([loop.close(), withDefault.close()]);
    });

    it('sleeps in the kernel', async () => {
      const loop = make();
      const start = performance.now();
      await loop.sleep(30);
      expect(performance.now() - start).toBeGreaterThanOrEqual(25);
      await expect(loop.sleep(-1)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
      await loop.close();
    });

    it('aborts: rejects with AbortError at once, keeps the slot until the CQE, never submits when already aborted', async () => {
      const loop = make();
      const [r, w] = pipe();
      const controller = new AbortController();
      const pending = loop.read(r, Buffer.alloc(8), 0, 8, -1, { signal: controller.signal });
      await tick();
      expect(loop.metrics.inFlight).toBe(1);
      controller.abort(new Error('stop'));
      const error = await pending.catch((e) => e);
      expect(error).toBeInstanceOf(AbortError);
      expect(error).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
      expect(error.cause).toEqual(new Error('stop'));
      await until(() => loop.metrics.inFlight === 0);
      const submitted = loop.metrics.submitted;
      await expect(loop.nop({ signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORT_ERR' });
      expect(loop.metrics.submitted).toBe(submitted);
      closeSync(r);
      closeSync(w);
      await loop.close();
    });

    it('multishot and unbounded operations do not count against maxInFlight: waits past it leave room for the rest, and the slot table grows', async () => {
      const loop = make({ maxInFlight: 2 });
      const pipes = Array.from({ length: 1100 }, () => pipe(Linux.O_CLOEXEC));
      // 1,100 waits on pipes nobody writes yet — past the table's first 1,024 slots — half single
      // polls submitted unbounded, half multishot polls; then bounded work gets through.
      const polls = pipes.slice(0, 550).map(([r]) => loop.poll(r, Linux.POLLIN, { unbounded: true }));
      const fired: number[] = [];
      const multis = pipes.slice(550).map(([r], k) => loop.multishot((s, i) => s.prepPollMultishot(i, r, Linux.POLLIN), { syscall: 'poll', onCqe: () => void fired.push(k) }));
      await expect(Promise.all([loop.nop(), loop.nop(), loop.nop(), loop.nop()])).resolves.toHaveLength(4);
      expect(loop.metrics.inFlight).toBe(1100);
      expect(loop.metrics.backlog).toBe(0);
      // The bound still holds for the rest: with two waits of its own in flight, a third waits.
      const [r1, w1] = pipe(Linux.O_CLOEXEC);
      const [r2, w2] = pipe(Linux.O_CLOEXEC);
      const bounded = [loop.poll(r1, Linux.POLLIN), loop.poll(r2, Linux.POLLIN)];
      const third = loop.nop();
      await tick();
      expect(loop.metrics.backlog).toBe(1);
      writeSync(w1, 'x');
      await expect(third).resolves.toBe(0);
      writeSync(w2, 'x');
      await Promise.all(bounded);
      for (const [, w] of pipes) writeSync(w, 'x');
      await expect(Promise.all(polls)).resolves.toHaveLength(550);
      await until(() => new Set(fired).size === 550);
      multis.forEach((m) => m.cancel());
      await Promise.all(multis.map((m) => m.done));
      for (const fd of [...pipes.flat(), r1, w1, r2, w2]) closeSync(fd);
      expect(loop.metrics.inFlight).toBe(0);
      await loop.close();
    });

    it('calls onRelease once the kernel is done: after the CQE, after an abort only when the cancel lands, and for work it never saw', async () => {
      const loop = make({ maxInFlight: 1 });
      const released: string[] = [];
      const release = (name: string) => () => void released.push(name);
      await loop.submit((s, i) => s.prepNop(i), { syscall: 'nop', onRelease: release('nop') });
      expect(released).toEqual(['nop']);

      // An aborted read rejects at once; its memory is the caller's again only after the cancel's CQE.
      const [r, w] = pipe();
      const controller = new AbortController();
      const buffer = Buffer.alloc(8);
      const address = addressOf(buffer);
      const read = loop.submit((s, i) => s.prepRead(i, r, address, 8, -1), { syscall: 'read', keep: buffer, signal: controller.signal, onRelease: release('read') });
      // Behind it in the backlog (cap 1): aborted there, it never reaches the kernel.
      const queued = loop.submit((s, i) => s.prepNop(i), { syscall: 'nop', signal: controller.signal, onRelease: release('queued') });
      await tick();
      expect(loop.metrics.backlog).toBe(1);
      controller.abort();
      // The queued one is released at once; the read not before its cancel has been submitted and
      // has completed (reaped inline or on the eventfd's wake-up — after this synchronous check).
      expect(released).toEqual(['nop', 'queued']);
      await expect(read).rejects.toMatchObject({ code: 'ABORT_ERR' });
      await expect(queued).rejects.toMatchObject({ code: 'ABORT_ERR' });
      await until(() => released.includes('read'));
      expect(loop.metrics.inFlight).toBe(0);

      // Refused before it starts (already aborted; a linked chain with a failing head): released too.
      await expect(loop.submit((s, i) => s.prepNop(i), { syscall: 'nop', signal: AbortSignal.abort(), onRelease: release('refused') })).rejects.toMatchObject({ code: 'ABORT_ERR' });
      expect(released).toContain('refused');
      const steps = (tag: string) => [
        { prep: (s: Sqes, i: number) => s.prepRead(i, -1, address, 8, 0), syscall: 'read', onRelease: release(`${tag} head`) },
        { prep: (s: Sqes, i: number) => s.prepNop(i), syscall: 'nop', onRelease: release(`${tag} tail`) },
      ];
      const tooLong = loop.link(steps('too long')); // two steps, cap 1
      await expect(tooLong[0]).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
      await expect(tooLong[1]).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
      expect(released.slice(-2)).toEqual(['too long head', 'too long tail']);
      closeSync(r);
      closeSync(w);
      await loop.close();

      const roomy = make();
      const chain = roomy.link(steps('chain'));
      await expect(chain[0]).rejects.toMatchObject({ code: 'EBADF' });
      await expect(chain[1]).rejects.toMatchObject({ code: 'ECANCELED' });
      expect(released.slice(-2).sort()).toEqual(['chain head', 'chain tail']);
      await roomy.close();
    });

    it('post() runs an operation nobody awaits: onRelease after its CQE, failures unreported, drained and refused by close()', async () => {
      const loop = make();
      const released: string[] = [];
      const [r, w] = pipe();
      const data = Buffer.from('posted');
      const at = addressOf(data);
      loop.post((s, i) => s.prepWrite(i, w, at, data.length, -1), { syscall: 'write', keep: data, onRelease: () => released.push('write') });
      expect(released).toEqual([]); // not before the kernel has written
      await until(() => released.includes('write'));
      const got = Buffer.alloc(16);
      expect(got.toString('utf8', 0, readSync(r, got))).toBe('posted');

      // A failing operation (a bad descriptor) ends quietly: no rejection anywhere, memory released.
      loop.post((s, i) => s.prepRead(i, -1, at, 1, 0), { syscall: 'read', keep: data, onRelease: () => released.push('bad fd') });
      await until(() => released.includes('bad fd'));

      // close() drains what is still in flight: a read on an empty pipe is cancelled at the timeout.
      const sink = Buffer.alloc(8);
      const sinkAt = addressOf(sink);
      loop.post((s, i) => s.prepRead(i, r, sinkAt, 8, -1), { syscall: 'read', keep: sink, onRelease: () => released.push('pending read') });
      await tick();
      expect(loop.metrics.inFlight).toBe(1);
      await loop.close({ timeout: 20 });
      expect(released).toEqual(['write', 'bad fd', 'pending read']);
      loop.post((s, i) => s.prepNop(i), { syscall: 'nop', onRelease: () => released.push('refused') });
      expect(released.at(-1)).toBe('refused'); // a closed loop refuses at once
      closeSync(r);
      closeSync(w);
    });

    it('submitCallback() calls back (error, result) from the reap: Node-shaped errors, timeouts, aborts, refusals on the next tick', async () => {
      const loop = make();
      const [r, w] = pipe();
      // Resolves what the callback got, and whether it came during the submitCallback call itself.
      const call = (prep: (s: Sqes, i: number) => void, options: Parameters<Loop['submitCallback']>[1]) =>
        new Promise<{ error: (Error & { code?: string; syscall?: string; errno?: number }) | null; result: number; sync: boolean }>((resolve) => {
          let sync = true;
          loop.submitCallback(prep, options, (error, result) => resolve({ error, result, sync }));
          sync = false;
        });
      const data = Buffer.from('called');
      const at = addressOf(data);
      const wrote = await call((s, i) => s.prepWrite(i, w, at, data.length, -1), { syscall: 'write', keep: data });
      expect(wrote).toEqual({ error: null, result: 6, sync: false });
      const got = Buffer.alloc(16);
      expect(got.toString('utf8', 0, readSync(r, got))).toBe('called');

      const bad = await call((s, i) => s.prepRead(i, -1, at, 1, 0), { syscall: 'read', keep: data });
      expect(bad.result).toBe(0);
      expect(bad.error).toMatchObject({ code: 'EBADF', errno: -9, syscall: 'read' });

      // A read on an empty pipe: the linked timeout ends it with ETIMEDOUT; the buffer stays kept until its CQE.
      const sink = Buffer.alloc(8);
      const sinkAt = addressOf(sink);
      const timedOut = await call((s, i) => s.prepRead(i, r, sinkAt, 8, -1), { syscall: 'read', keep: sink, timeout: 10 });
      expect(timedOut.error).toMatchObject({ code: 'ETIMEDOUT', syscall: 'read' });
      expect(loop.metrics.inFlight).toBe(0);

      const controller = new AbortController();
      const aborted = call((s, i) => s.prepRead(i, r, sinkAt, 8, -1), { syscall: 'read', keep: sink, signal: controller.signal });
      await tick();
      expect(loop.metrics.inFlight).toBe(1);
      controller.abort();
      expect((await aborted).error).toBeInstanceOf(AbortError);
      await until(() => loop.metrics.inFlight === 0); // the cancelled read's own CQE frees its slot

      const early = await call((s, i) => s.prepNop(i), { syscall: 'nop', signal: AbortSignal.abort() });
      expect(early.error).toBeInstanceOf(AbortError);
      expect(early.sync).toBe(false);
      const negative = await call((s, i) => s.prepNop(i), { syscall: 'nop', timeout: -1 });
      expect(negative.error).toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
      await loop.close();
      const closed = await call((s, i) => s.prepNop(i), { syscall: 'nop' });
      expect(closed.error).toBeInstanceOf(LoopClosedError);
      expect(closed.sync).toBe(false);
      closeSync(r);
      closeSync(w);
    });

    it('does not wake up for completions it reaped inline: the eventfd is off while the submitting microtask reaps', async () => {
      const loop = make();
      for (let k = 0; k < 10; k++) await loop.nop(); // each completes during its own submit and is reaped there
      await tick();
      await tick();
      expect(loop.metrics.inlineReaps).toBeGreaterThanOrEqual(9);
      expect(loop.metrics.idleWakeups).toBe(0);
      // A DEFER_TASKRUN ring keeps its eventfd on (its signal comes when deferred work is queued).
      if (!((options.flags ?? 0) & SetupFlag.DEFER_TASKRUN)) expect(loop.metrics.wakeups).toBe(0);
      // And what completes later still wakes it: a read that waits for a pipe write.
      const [r, w] = pipe();
      const read = loop.read(r, Buffer.alloc(4));
      await tick();
      writeSync(w, 'late');
      await expect(read).resolves.toMatchObject({ bytesRead: 4 });
      expect(loop.metrics.wakeups).toBeGreaterThanOrEqual(1);
      closeSync(r);
      closeSync(w);
      await loop.close();
    });

    it('submitCallback() calls back after what the submitting tick queued with nextTick, also when the kernel completed the operation inline', async () => {
      const loop = make();
      await tick(); // in a chain of microtasks, as an async caller is: nextTicks wait for the chain
      const order: string[] = [];
      const inlineBefore = loop.metrics.inlineReaps;
      const done = new Promise<void>((resolve) =>
        loop.submitCallback((s, i) => s.prepNop(i), { syscall: 'nop' }, () => {
          order.push('callback');
          resolve();
        }),
      );
      process.nextTick(() => order.push('tick'));
      await done;
      expect(order).toEqual(['tick', 'callback']);
      if (!((options.flags ?? 0) & SetupFlag.DEFER_TASKRUN)) expect(loop.metrics.inlineReaps).toBe(inlineBefore + 1); // it did complete inline
      await loop.close();
    });

    it('an operation the kernel completed inline settles after what its caller queued with nextTick, as libuv\'s callers; a nextTick abort queued before it rejects it', async () => {
      const loop = make();
      await tick(); // in a chain of microtasks, as an async caller is
      const order: string[] = [];
      const inlineBefore = loop.metrics.inlineReaps;
      process.nextTick(() => order.push('tick'));
      await loop.nop().then(() => order.push('nop'));
      expect(order).toEqual(['tick', 'nop']);
      if (!((options.flags ?? 0) & SetupFlag.DEFER_TASKRUN)) expect(loop.metrics.inlineReaps).toBe(inlineBefore + 1); // it did complete inline
      // The kernel did it, but the abort came first in the caller's order: an AbortError, as an
      // fs.promises call aborted from a nextTick sees one in Node.
      const controller = new AbortController();
      process.nextTick(() => controller.abort());
      await expect(loop.nop({ signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
      // A close() made before they settle waits for them, and they keep their results.
      const nops = [loop.nop(), loop.nop(), loop.nop()];
      await Promise.resolve(); // the submitting microtask ran first: reaped, to settle next tick
      await loop.close();
      await expect(Promise.all(nops)).resolves.toEqual([0, 0, 0]);
    });

    it('submitCallback() runs one io_uring_enter for a tick of operations, like submit()', async () => {
      const loop = make();
      const before = loop.metrics.enters;
      const results = await Promise.all(
        Array.from({ length: 50 }, () => new Promise<number>((resolve, reject) => loop.submitCallback((s, i) => s.prepNop(i), { syscall: 'nop' }, (e, n) => (e ? reject(e) : resolve(n))))),
      );
      expect(results).toEqual(Array(50).fill(0));
      expect(loop.metrics.enters - before).toBe(1);
      await loop.close();
    });

    it('settles every operation exactly once when aborts and timeouts race completions', async () => {
      const loop = make({ maxInFlight: 32 });
      const outcomes: string[] = [];
      const work: Promise<void>[] = [];
      for (let k = 0; k < 2000; k++) {
        const controller = new AbortController();
        const op = k % 3 === 0 ? loop.sleep(k % 5) : k % 3 === 1 ? loop.nop({ signal: controller.signal, timeout: 1 }) : loop.sleep(1, { signal: controller.signal });
        work.push(op.then(() => void outcomes.push('ok'), (e) => void outcomes.push(e.code)));
        if (k % 2) queueMicrotask(() => controller.abort());
        else setImmediate(() => controller.abort());
      }
      await Promise.all(work);
      expect(outcomes).toHaveLength(2000);
      expect(new Set(outcomes)).toEqual(new Set(outcomes.filter((c) => ['ok', 'ABORT_ERR', 'ETIMEDOUT'].includes(c))));
      await until(() => loop.metrics.inFlight === 0);
      expect(loop.metrics.backlog).toBe(0);
      await loop.close();
    });

    it('ignores a CQE whose generation is stale', async () => {
      const loop = make();
      await loop.nop(); // slot 0 has been used (generation 1) and is free again
      const other = IoUring.init(2);
      const i = other.getSqe();
      other.sqes.prepMsgRing(i, loop.ring.fd, 0, 0, 999); // user_data: slot 0, generation 999
      other.submitAndWait(1);
      await until(() => loop.metrics.staleCqes === 1);
      expect(await loop.nop()).toBe(0);
      other.close();
      await loop.close();
    });

    it('backlog liveness: an op waiting on a queued one is freed by its timeout', async () => {
      const loop = make({ maxInFlight: 1 });
      const [r, w] = pipe();
      const read = loop.read(r, Buffer.alloc(4), 0, 4, -1, { timeout: 50 });
      const write = loop.write(w, Buffer.from('data'));
      await tick();
      expect(loop.metrics.backlog).toBe(1);
      await expect(read).rejects.toMatchObject({ code: 'ETIMEDOUT' });
      expect((await write).bytesWritten).toBe(4);
      expect((await loop.read(r, Buffer.alloc(4))).buffer.toString()).toBe('data');
      closeSync(r);
      closeSync(w);
      await loop.close();
    });

    it('delivers multishot poll CQEs to a handler and to an async iterator, and cancels', async () => {
      const loop = make();
      const [r, w] = pipe();
      const seen: number[] = [];
      const handle = loop.multishot((sqes, i) => sqes.prepPollMultishot(i, r, Linux.POLLIN), {
        syscall: 'poll',
        onCqe: (res) => seen.push(res),
      });
      writeSync(w, 'a');
      await until(() => seen.length >= 1);
      expect(seen[0]! & Linux.POLLIN).toBeTruthy();
      handle.cancel();
      await handle.done;
      expect(handle.ended).toBe(true);

      const efd = eventfd(0, Linux.EFD_NONBLOCK);
      const iterated = loop.multishot((sqes, i) => sqes.prepPollMultishot(i, efd, Linux.POLLIN), { syscall: 'poll' });
      let count = 0;
      const signal = Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]);
      writeSync(efd, signal);
      for await (const cqe of iterated) {
        expect(cqe.res & Linux.POLLIN).toBeTruthy();
        readSync(efd, Buffer.alloc(8)); // drained, so the next write is a new edge
        if (++count === 3) break; // return() cancels
        writeSync(efd, signal);
      }
      await iterated.done;
      expect(count).toBe(3);
      expect(loop.metrics.inFlight).toBe(0);
      for (const fd of [r, w, efd]) closeSync(fd);
      await loop.close();
    });

    it("tells onEnd how a multishot ended, from a microtask; a `done` asked for after the end settles as it ended", async () => {
      const loop = make();
      const [r, w] = pipe();
      const ends: unknown[] = [];
      const seen: number[] = [];
      const handle = loop.multishot((sqes, i) => sqes.prepPollMultishot(i, r, Linux.POLLIN), {
        syscall: 'poll',
        onCqe: (res) => seen.push(res),
        onEnd: (error) => ends.push(error),
      });
      writeSync(w, 'a');
      await until(() => seen.length >= 1);
      handle.cancel();
      await until(() => ends.length > 0);
      expect(handle.ended).toBe(true);
      expect(ends).toEqual([undefined]);
      await expect(handle.done).resolves.toBeUndefined(); // made after the end, settled as it ended

      // Refused at once (an aborted signal): the AbortError to onEnd, and to `done` asked for later.
      const controller = new AbortController();
      controller.abort();
      const refused: unknown[] = [];
      const aborted = loop.multishot((sqes, i) => sqes.prepPollMultishot(i, r, Linux.POLLIN), { syscall: 'poll', signal: controller.signal, onEnd: (error) => refused.push(error) });
      expect(aborted.ended).toBe(true);
      expect(refused).toEqual([]); // ended inside multishot(): told from a microtask, not from inside the call
      await Promise.resolve();
      expect(refused).toHaveLength(1);
      expect(refused[0]).toBeInstanceOf(AbortError);
      await expect(aborted.done).rejects.toBe(refused[0]);
      expect(ends).toHaveLength(1); // each told once
      closeSync(r);
      closeSync(w);
      await loop.close();
    });

    itWithMultishotTimeout('re-arms a multishot the kernel ended', async () => {
      const loop = make();
      let fired = 0;
      const handle = multishotTimer(loop, 2, 2, {
        onCqe: (res) => {
          expect(res).toBe(-Errno.ETIME);
          if (++fired === 7) handle.cancel();
        },
        rearm: (res) => res === -Errno.ETIME, // each arm fires twice, then the kernel ends it
      });
      await handle.done;
      expect(fired).toBeGreaterThanOrEqual(7);
      expect(loop.metrics.rearms).toBeGreaterThanOrEqual(3);
      await loop.close();
    });

    itWithMultishotTimeout('ends a multishot whose rearm throws with that error, and settles the other completions', async () => {
      const loop = make();
      const oops = new Error('rearm failed');
      const handle = multishotTimer(loop, 1, 1, {
        onCqe: () => {},
        rearm: () => {
          throw oops;
        },
      });
      const sleeps = Array.from({ length: 8 }, () => loop.sleep(1));
      await expect(handle.done).rejects.toBe(oops);
      await expect(Promise.all(sleeps)).resolves.toHaveLength(8);
      expect(loop.metrics.inFlight).toBe(0);
      await loop.close();
    });

    itWithMultishotTimeout('ends a cancelled multishot without an error when the kernel ends it the normal way first', async () => {
      // A timer that fires twice: the first firing's handler keeps the thread busy past the second
      // (last) one, then cancels — its final CQE (-ETIME, which `rearm` takes for a normal end)
      // comes before the cancel lands, and must not reject `done`. The cancel is made inside the
      // handler: from a microtask after it, the reap could take the final CQE first (it goes on
      // while the kernel holds completions back) and rightly re-arm.
      const loop = make();
      let fired = 0;
      const handle = multishotTimer(loop, 1, 2, {
        rearm: (res) => res === -Errno.ETIME,
        onCqe: () => {
          if (++fired > 1) return;
          busy(5);
          handle.cancel();
        },
      });
      await expect(handle.done).resolves.toBeUndefined();
      expect(fired).toBe(2);
      expect(loop.metrics.rearms).toBe(0);
      await loop.close();
    });

    itWithMultishotTimeout('yields to the event loop while completions keep coming faster than they are handled', async () => {
      // A 1 ms multishot timer whose handler takes 1.25 ms: there is always more to reap. The loop must
      // still let the event loop turn (and the microtask that submits the cancel run). Batches
      // grow while the handler lags (each copy takes what came during the last), so what is
      // checked is the turns, not the CQEs between them: without TASKRUN_FLAG each turn's batch is
      // 1.25x the last (a slower handler, or a stall before the first reap, leaves fewer turns);
      // where the kernel holds completions back (COOP_TASKRUN, DEFER_TASKRUN) a turn can see two
      // bounded reaps — the eventfd's and the deferred one — about 32 completions.
      const slow = 200;
      const loop = make();
      let fired = 0;
      let turnsWhileSlow = 0;
      let turning = true;
      const turn = () => {
        if (fired > 0 && fired <= slow) turnsWhileSlow++;
        if (turning) setImmediate(turn);
      };
      setImmediate(turn);
      const handle = multishotTimer(loop, 1, 0, {
        onCqe: () => {
          if (++fired <= slow) busy(1.25);
          if (fired === slow + 20) handle.cancel();
        },
      });
      await handle.done;
      turning = false;
      expect(fired).toBeGreaterThanOrEqual(slow + 20);
      // Without the bound all the slow completions ran in one callback (or it never ended).
      expect(turnsWhileSlow, `event-loop turns during the first ${slow} completions`).toBeGreaterThanOrEqual(3);
      await loop.close();
    });

    it('reaps inline completions at once, but lets the event loop turn during a chain of them', async () => {
      // Each awaited NOP completes during its own io_uring_enter; the submitting microtask reaps it
      // at once, at most 16 times between two eventfd wake-ups — then one waits for the wake-up,
      // and setImmediate callbacks (and timers, and sockets) get their turn.
      const loop = make();
      let turned = false;
      setImmediate(() => {
        turned = true;
      });
      let chained = 0;
      while (!turned && chained < 100_000) {
        await loop.nop();
        chained++;
      }
      expect(turned).toBe(true);
      expect(chained).toBeLessThanOrEqual(100);
      expect(loop.metrics.inlineReaps).toBeGreaterThan(0);
      await loop.close();
    });

    itWithMultishotTimeout('cancels a multishot timeout again when the cancel lands between a firing and its re-arm', async () => {
      // A fired timer is off the kernel's timeout list until its task work re-arms it; a cancel
      // submitted meanwhile fails with -ENOENT, and the timer would fire for ever. On a
      // DEFER_TASKRUN ring that task work waits for GETEVENTS, so this is certain: keep the thread
      // busy past a firing (after the reap, which runs the task work), then cancel. Elsewhere the
      // interrupt's return runs the task work at once, and the first cancel lands.
      const loop = make();
      let fired = 0;
      const handle = multishotTimer(loop, 1, 0, {
        onCqe: () => {
          if (++fired === 1) busyThenCancel(handle, 3);
        },
      });
      const ended = await Promise.race([handle.done.then(() => true), new Promise<boolean>((resolve) => setTimeout(resolve, 2000, false))]);
      expect(ended, 'the timer stopped after the cancel').toBe(true);
      expect(fired, 'CQEs before the timer stopped').toBeLessThan(50);
      expect(loop.metrics.inFlight).toBe(0);
      await loop.close();
    });

    it('runs multishot accept, and multishot recv on a provided-buffer ring', async () => {
      const loop = make();
      const fd = await loop.submit((sqes, i) => sqes.prepSocket(i, Linux.AF_INET, Linux.SOCK_STREAM | Linux.SOCK_CLOEXEC, 0), { syscall: 'socket' });
      setsockopt(fd, Linux.SOL_SOCKET, Linux.SO_REUSEADDR, Int32Array.of(1));
      const { buffer: sa, length } = encodeSockaddr({ family: 'IPv4', address: '127.0.0.1', port: 0 });
      await loop.submit((sqes, i) => sqes.prepBind(i, fd, addressOf(sa), length), { syscall: 'bind', keep: sa });
      await loop.submit((sqes, i) => sqes.prepListen(i, fd, 64), { syscall: 'listen' });
      const name = Buffer.alloc(128);
      const port = (decodeSockaddr(name, getsockname(fd, name)) as { port: number }).port;

      const accepted: number[] = [];
      const acceptor = loop.multishot((sqes, i) => sqes.prepMultishotAccept(i, fd, 0, 0, Linux.SOCK_CLOEXEC), {
        syscall: 'accept',
        onCqe: (res) => accepted.push(res),
      });
      const clients = [0, 1, 2].map(() => connect(port, '127.0.0.1'));
      await until(() => accepted.length === 3);
      expect(accepted.every((c) => c > 2)).toBe(true);

      const size = 4096;
      const pool = Buffer.alloc(size * 8);
      const base = addressOf(pool);
      const br = BufferRing.setup(loop.ring, 8, 5);
      for (let b = 0; b < 8; b++) br.add(base + b * size, size, b, b);
      br.advance(8);
      const chunks: Buffer[] = [];
      const receiver = loop.multishot(
        (sqes, i) => {
          sqes.prepRecvMultishot(i, accepted[0]!, 0, 0);
          sqes.bufferSelect(i, 5);
        },
        {
          syscall: 'recv',
          keep: pool,
          onCqe: (res, flags) => {
            if (res <= 0) return;
            expect(flags & CqeFlag.BUFFER).toBeTruthy();
            const bid = flags >>> 16;
            chunks.push(Buffer.from(pool.subarray(bid * size, bid * size + res)));
            br.add(base + bid * size, size, bid); // the data is copied out: the buffer goes back
            br.advance(1);
          },
        },
      );
      const payload = Buffer.alloc(50_000, 'p');
      payload.write('first');
      payload.write('last', payload.length - 4);
      clients[0]!.end(payload);
      await receiver.done; // EOF (res 0) ends the multishot
      expect(Buffer.concat(chunks).equals(payload)).toBe(true);
      acceptor.cancel();
      await acceptor.done;
      expect(loop.metrics.inFlight).toBe(0);
      br.unregister();
      clients.forEach((c) => c.destroy());
      for (const c of [...accepted, fd]) closeSync(c);
      await loop.close();
    });

    it("pendingInReap(): whether the reap going on holds more of the operation's CQEs — true for all but the last of a multishot recv's CQEs posted together, false outside a reap", async () => {
      const loop = make();
      const { server, client, peer } = await unreadConnection();
      client.write(Buffer.alloc(64, 'x'));
      await until(() => ioctlInt(peer._handle.fd, Linux.FIONREAD) === 64);
      // 16-byte buffers: the recv's first issue takes the 64 queued bytes as four CQEs at once.
      const size = 16;
      const pool = Buffer.alloc(size * 8);
      const br = BufferRing.setup(loop.ring, 8, 7);
      for (let b = 0; b < 8; b++) br.add(addressOf(pool) + b * size, size, b, b);
      br.advance(8);
      const seen: [number, boolean][] = [];
      const receiver = loop.multishot(
        (sqes, i) => {
          sqes.prepRecvMultishot(i, peer._handle.fd, 0, 0);
          sqes.bufferSelect(i, 7);
        },
        { syscall: 'recv', keep: pool, onCqe: (res) => seen.push([res, receiver.pendingInReap()]) },
      );
      expect(receiver.pendingInReap()).toBe(false); // not reaping
      await until(() => seen.length === 4);
      expect(seen).toEqual([[16, true], [16, true], [16, true], [16, false]]);
      receiver.cancel();
      await receiver.done;
      expect(receiver.pendingInReap()).toBe(false);
      br.unregister();
      client.destroy();
      peer.destroy();
      server.close();
      await loop.close();
    });

    it('gives back the provided buffer of every CQE that comes after an abort (releaseBuffer), so the buffer ring is whole again', async () => {
      const loop = make();
      const { server, client, peer } = await unreadConnection();
      const fd = peer._handle.fd;
      const clientFd = (client as unknown as { _handle: { fd: number } })._handle.fd;

      const size = 16;
      const count = 4;
      const pool = Buffer.alloc(size * count);
      const base = addressOf(pool);
      const br = BufferRing.setup(loop.ring, count, 6);
      for (let b = 0; b < count; b++) br.add(base + b * size, size, b, b);
      br.advance(count);
      const giveBack = (bid: number) => {
        br.add(base + bid * size, size, bid);
        br.advance(1);
      };
      /** A multishot recv into the ring; ENOBUFS (the ring ran dry) ends it rather than re-arming. */
      const receive = (options: { onCqe?: (res: number, flags: number) => void; signal?: AbortSignal; releaseBuffer?: (bid: number) => void }) =>
        loop.multishot(
          (sqes, i) => {
            sqes.prepRecvMultishot(i, fd, 0, 0);
            sqes.bufferSelect(i, 6);
          },
          { syscall: 'recv', keep: pool, rearm: (res) => res > 0, ...options },
        );

      let delivered = 0;
      const released: number[] = [];
      const controller = new AbortController();
      const aborted = receive({
        signal: controller.signal,
        onCqe: (res, flags) => {
          delivered += res;
          giveBack(flags >>> 16);
        },
        releaseBuffer: (bid) => {
          released.push(bid);
          giveBack(bid);
        },
      });
      writeSync(clientFd, Buffer.alloc(1, 'a'));
      await until(() => delivered === 1); // armed, and receiving
      // Three buffers' worth, received into the ring — the kernel's task work run (GETEVENTS; on a
      // DEFER_TASKRUN ring nothing else runs it) and the CQEs posted — then the abort, before the
      // loop has reaped them.
      writeSync(clientFd, Buffer.alloc(3 * size, 'b'));
      loop.ring.getEvents();
      controller.abort();
      await expect(aborted.done).rejects.toBeInstanceOf(AbortError);
      await until(() => loop.metrics.inFlight === 0); // the kernel's final CQE has come
      expect(delivered).toBe(1);
      expect(released).toHaveLength(3);

      // A consumer iterating the handle leaves with CQEs queued: their buffers go back too.
      const iterated = receive({ releaseBuffer: (bid) => (released.push(bid), giveBack(bid)) });
      writeSync(clientFd, Buffer.alloc(1, 'a'));
      for await (const cqe of iterated) {
        giveBack(cqe.flags >>> 16);
        writeSync(clientFd, Buffer.alloc(3 * size, 'b'));
        loop.ring.getEvents();
        await until(() => loop.ring.cqReady() === 0); // reaped: queued in the handle, not seen
        break;
      }
      await iterated.done;
      expect(released).toHaveLength(6);

      // All four buffers are in the ring again: four full receives before it runs dry.
      const sizes: number[] = [];
      const again = receive({ onCqe: (res) => sizes.push(res) }); // buffers not given back: the ring drains
      writeSync(clientFd, Buffer.alloc(5 * size, 'c'));
      await expect(again.done).rejects.toMatchObject({ code: 'ENOBUFS' });
      expect(sizes).toEqual([size, size, size, size]);

      br.unregister();
      client.destroy();
      peer.destroy();
      await new Promise((resolve) => server.close(resolve));
      await loop.close();
    });

    it('reads and writes through a registered file', async () => {
      const loop = make();
      const path = join(dir, `${name}-fixed`);
      writeFileSync(path, 'registered');
      const fd = openSync(path, 'r+');
      const file = loop.registerFile(fd, 4);
      const { bytesRead, buffer } = await loop.read(file, Buffer.alloc(10), 0, 10, 0);
      expect(buffer.subarray(0, bytesRead).toString()).toBe('registered');
      expect((await loop.write(file, Buffer.from('R'), 0, 1, 0)).bytesWritten).toBe(1);
      expect(readFileSync(path, 'utf8')).toBe('Registered');
      loop.unregisterFile(file);
      loop.unregisterFile(file);
      await expect(loop.read(file, Buffer.alloc(1), 0, 1, 0)).rejects.toMatchObject({ code: 'EBADF' });
      const slots = [0, 1, 2, 3].map(() => loop.registerFile(fd, 4));
      expect(() => loop.registerFile(fd, 4)).toThrow(expect.objectContaining({ code: 'ENFILE' }));
      slots.forEach((f) => loop.unregisterFile(f));
      closeSync(fd);
      await loop.close();
    });

    it('links a chain: in order, a failure cancels the rest, never split by an early flush or the backlog', async () => {
      const loop = make({ entries: 4, maxInFlight: 4 });
      const path = join(dir, `${name}-chain`);
      const fd = openSync(path, 'w+');
      const data = Buffer.from('linked');
      const back = Buffer.alloc(6);
      const order: string[] = [];
      const steps = [
        { prep: (s: Sqes, i: number) => s.prepWrite(i, fd, addressOf(data), 6, 0), syscall: 'write', keep: data },
        { prep: (s: Sqes, i: number) => s.prepFsync(i, fd), syscall: 'fsync' },
        { prep: (s: Sqes, i: number) => s.prepRead(i, fd, addressOf(back), 6, 0), syscall: 'read', keep: back },
      ];
      // Three NOPs first: the SQ (4 entries) cannot take the chain too, so it flushes before writing it.
      const nops = [loop.nop(), loop.nop(), loop.nop()];
      const results = await Promise.all(loop.link(steps).map((p, k) => p.then((r) => (order.push(steps[k]!.syscall), r))));
      await Promise.all(nops);
      expect(results).toEqual([6, 0, 6]);
      expect(order).toEqual(['write', 'fsync', 'read']);
      expect(back.toString()).toBe('linked');

      const failing = loop.link([
        { prep: (s, i) => s.prepRead(i, -1, addressOf(back), 6, 0), syscall: 'read' },
        { prep: (s, i) => s.prepNop(i), syscall: 'nop' },
        { prep: (s, i) => s.prepNop(i), syscall: 'nop' },
      ]);
      const settled = await Promise.allSettled(failing);
      expect(settled.map((r) => (r.status === 'rejected' ? (r.reason as NodeJS.ErrnoException).code : 'ok'))).toEqual(['EBADF', 'ECANCELED', 'ECANCELED']);

      // Behind the backlog: a blocked read holds 3 of 4 slots' worth of room until it times out.
      const [r, w] = pipe();
      const blocked = [0, 1, 2].map(() => loop.read(r, Buffer.alloc(1), 0, 1, -1, { timeout: 30 }).catch((e) => e.code));
      const queued = loop.link([
        { prep: (s, i) => s.prepNop(i), syscall: 'nop' },
        { prep: (s, i) => s.prepNop(i), syscall: 'nop' },
      ]);
      await tick();
      expect(loop.metrics.backlog).toBe(1); // the chain waits as one entry
      expect(await Promise.all(queued)).toEqual([0, 0]);
      expect(await Promise.all(blocked)).toEqual(['ETIMEDOUT', 'ETIMEDOUT', 'ETIMEDOUT']);
      await expect(Promise.all(loop.link(Array(5).fill({ prep: (s: Sqes, i: number) => s.prepNop(i), syscall: 'nop' })))).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
      for (const f of [fd, r, w]) closeSync(f);
      await loop.close();
    });

    it('close() drains, rejects new work, cancels what outlives the timeout, and releases the ring', async () => {
      const loop = make();
      const slow = loop.sleep(30);
      const closing = loop.close({ timeout: 5000 });
      await expect(loop.nop()).rejects.toBeInstanceOf(LoopClosedError);
      await slow;
      await closing;
      expect(loop.ring.closed).toBe(true);

      const blocked = make({ maxInFlight: 1 });
      const [r, w] = pipe();
      const read = blocked.read(r, Buffer.alloc(1));
      const queued = blocked.nop().catch((e: NodeJS.ErrnoException) => e); // waits in the backlog behind the blocked read
      await tick();
      expect(blocked.metrics.backlog).toBe(1);
      await blocked.close({ timeout: 20 });
      await expect(read).rejects.toMatchObject({ code: 'ECANCELED', syscall: 'read' });
      expect(await queued).toMatchObject({ code: 'ECANCELED', syscall: 'nop' });
      expect(blocked.metrics.inFlight).toBe(0);
      expect(await blocked.close()).toBeUndefined(); // idempotent
      closeSync(r);
      closeSync(w);
    });
  });
});

describe('Loop.read and Loop.write arguments', () => {
  const skip = unavailable();
  describe.skipIf(skip !== undefined)(titled('default ring', skip), () => {
    it('writev writes any kind of view, byte for byte, whether its small buffers are gathered into one write or its large ones described to the kernel', async () => {
      const loop = new Loop();
      const path = join(dir, 'views');
      writeFileSync(path, '');
      const fd = openSync(path, 'r+');
      const bytesOf = (v: ArrayBufferView) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
      const backing = Buffer.from('0123456789abcdef');
      const small = [new DataView(backing.buffer, backing.byteOffset + 2, 5), new Float32Array([1.5, -2]), Buffer.alloc(0), Buffer.from('xyz'), new Uint8Array(backing.buffer, backing.byteOffset + 10, 3)];
      const large = [Buffer.alloc(4096, 1), new Uint16Array(2048).fill(0x0302), Buffer.from('end')];
      expect(await loop.writev(fd, small, 0)).toBe(Buffer.concat(small.map(bytesOf)).length);
      expect(await loop.writev(fd, large, -1)).toBe(8195); // at the file position: from 0 again (pwritev at 0 did not move it)
      expect(readFileSync(path)).toEqual(Buffer.concat(large.map(bytesOf)));
      expect(await loop.writev(fd, small, 8195)).toBe(19);
      expect(readFileSync(path).subarray(8195)).toEqual(Buffer.concat(small.map(bytesOf)));
      closeSync(fd);
      await loop.close();
    });

    it('readv and writev of more than IOV_MAX (1024) buffers: writev writes all, IOV_MAX per pwritev and on from a short one; readv fills the first 1024 — as libuv', async () => {
      const loop = new Loop();
      const path = join(dir, 'iov');
      writeFileSync(path, '');
      const fd = openSync(path, 'r+');
      const views = Array.from({ length: 2500 }, (_, k) => (k % 3 === 0 ? new Uint16Array([k]) : Buffer.from([k & 255])));
      const bytes = Buffer.concat(views.map((v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength)));
      const enters = loop.metrics.enters;
      expect(await loop.writev(fd, views, 3)).toBe(bytes.length);
      expect(loop.metrics.enters - enters).toBe(3); // 1024 + 1024 + 452 buffers
      expect(readFileSync(path).subarray(3)).toEqual(bytes);
      const into = Array.from({ length: 2000 }, () => Buffer.alloc(1));
      expect(await loop.readv(fd, into, 3)).toBe(1024);
      expect(Buffer.concat(into.slice(0, 1024))).toEqual(bytes.subarray(0, 1024));
      // Of a non-blocking pipe with room for less than all: the writes go on from where the kernel stopped.
      const [r, w] = pipe(Linux.O_NONBLOCK);
      const big = Array.from({ length: 1100 }, (_, k) => Buffer.alloc(100, k & 255));
      const written = loop.writev(w, big);
      const got: Buffer[] = [];
      let total = 0;
      while (total < 110_000) {
        const chunk = Buffer.alloc(65536);
        const { bytesRead } = await loop.read(r, chunk, 0, chunk.length, -1);
        got.push(chunk.subarray(0, bytesRead));
        total += bytesRead;
      }
      expect(await written).toBe(110_000);
      expect(Buffer.concat(got)).toEqual(Buffer.concat(big));
      await expect(loop.readv(fd, [Buffer.alloc(1), 'x' as never])).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
      // What is left after n bytes: a view cut short goes on as bytes.
      const left = viewsAfter([Buffer.from('ab'), new Uint16Array([0x4443, 0x4645]), Buffer.from('g')], 3);
      expect(left.map((v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString())).toEqual(['DEF', 'g']);
      expect(viewsAfter([Buffer.from('ab')], 2)).toEqual([]);
      closeSync(fd);
      closeSync(r);
      closeSync(w);
      await loop.close();
    });

    it('rejects a range outside the buffer, a bad fd or position, with Node\'s errors and nothing submitted', async () => {
      // The kernel writes `length` bytes at the buffer's address + offset whatever the buffer's
      // size: unchecked, a read of 4,096 bytes into a 16-byte buffer crashed Node.
      const loop = new Loop();
      const path = join(dir, 'args');
      writeFileSync(path, Buffer.alloc(8192, 3));
      const fd = openSync(path, 'r+');
      const small = Buffer.alloc(16);
      const neighbour = Buffer.alloc(16, 9);
      const submitted = loop.metrics.submitted;
      const cases: [() => Promise<unknown>, string, string][] = [
        [() => loop.read(fd, small, 0, 4096, 0), 'ERR_OUT_OF_RANGE', 'The value of "length" is out of range. It must be >= 0 && <= 16. Received 4096'],
        [() => loop.read(fd, small, 8, 9, 0), 'ERR_OUT_OF_RANGE', 'The value of "length" is out of range. It must be >= 0 && <= 8. Received 9'],
        [() => loop.read(fd, small, 20, 0, 0), 'ERR_OUT_OF_RANGE', 'The value of "offset" is out of range. It must be >= 0 && <= 16. Received 20'],
        [() => loop.write(fd, small, -1, 4, 0), 'ERR_OUT_OF_RANGE', 'The value of "offset" is out of range. It must be >= 0 && <= 16. Received -1'],
        [() => loop.write(fd, small, 0, 1.5, 0), 'ERR_OUT_OF_RANGE', 'The value of "length" is out of range. It must be an integer. Received 1.5'],
        [() => loop.write(fd, small, '0' as unknown as number, 4, 0), 'ERR_INVALID_ARG_TYPE', 'The "offset" argument must be of type number. Received type string (\'0\')'],
        [() => loop.read(fd, small, 0, 4, -2), 'ERR_OUT_OF_RANGE', 'The value of "position" is out of range. It must be >= -1 && <= 9007199254740991. Received -2'],
        [() => loop.read(fd, small, 0, 4, 2 ** 53), 'ERR_OUT_OF_RANGE', 'The value of "position" is out of range. It must be >= -1 && <= 9007199254740991. Received 9_007_199_254_740_992'],
        [() => loop.read('3' as unknown as number, small, 0, 4, 0), 'ERR_INVALID_ARG_TYPE', 'The "fd" argument must be of type number. Received type string (\'3\')'],
        [() => loop.read(1.5, small, 0, 4, 0), 'ERR_OUT_OF_RANGE', 'The value of "fd" is out of range. It must be an integer. Received 1.5'],
      ];
      for (const [call, code, message] of cases) await expect(call(), message).rejects.toMatchObject({ code, message });
      expect(loop.metrics.submitted).toBe(submitted);
      expect(neighbour.equals(Buffer.alloc(16, 9))).toBe(true);
      // The edges are fine: the whole buffer, the empty range at its end, the file position.
      expect((await loop.read(fd, small, 0, 16, 0)).bytesRead).toBe(16);
      expect((await loop.read(fd, small, 16, 0, 0)).bytesRead).toBe(0);
      expect((await loop.write(fd, small, 8, 8, -1)).bytesWritten).toBe(8);
      closeSync(fd);
      await loop.close();
    });

    it('refuses an fd that is not an integer instead of using another (undefined would be stdin, 1.5 stdout)', async () => {
      const loop = new Loop();
      const submitted = loop.metrics.submitted;
      const notInt = { code: 'ERR_OUT_OF_RANGE', message: 'The value of "fd" is out of range. It must be an integer. Received 1.5' };
      const notNumber = { code: 'ERR_INVALID_ARG_TYPE', message: 'The "fd" argument must be of type number. Received undefined' };
      await expect(loop.closeFd(1.5)).rejects.toMatchObject(notInt);
      await expect(loop.closeFd(undefined as unknown as number)).rejects.toMatchObject(notNumber);
      await expect(loop.fsync(1.5)).rejects.toMatchObject(notInt);
      await expect(loop.poll(undefined as unknown as number, Linux.POLLIN)).rejects.toMatchObject(notNumber);
      await expect(loop.readv(1.5, [Buffer.alloc(1)])).rejects.toMatchObject(notInt);
      await expect(loop.writev(1, [Buffer.alloc(1)], 0.5)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE', message: 'The value of "position" is out of range. It must be an integer. Received 0.5' });
      await expect(loop.statx('x', 0, undefined, NaN)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE', message: 'The value of "dirfd" is out of range. It must be an integer. Received NaN' });
      expect(loop.metrics.submitted).toBe(submitted);
      // stdin and stdout are still open.
      expect(() => readSync(0, Buffer.alloc(0))).not.toThrow();
      expect(() => writeSync(1, '')).not.toThrow();
      // A negative fd is still the kernel's to refuse.
      await expect(loop.closeFd(-1)).rejects.toMatchObject({ code: 'EBADF', syscall: 'close' });
      await loop.close();
    });
  });
});

describe('getLoop', () => {
  const skip = unavailable();
  it.skipIf(skip !== undefined)(titled('returns one loop per thread, and a new one after close', skip), async () => {
    const loop = getLoop();
    expect(getLoop()).toBe(loop);
    await loop.close();
    const next = getLoop();
    expect(next).not.toBe(loop);
    expect(await next.nop()).toBe(0);
    await next.close();
  });

  it.skipIf(skip !== undefined)(titled('raises the bounded io-wq worker limit and leaves the unbounded one', skip), async () => {
    const loop = new Loop();
    const [bounded, unbounded] = loop.ioWorkers();
    expect(bounded).toBe(32);
    expect(unbounded).toBeGreaterThan(32); // the kernel's own limit (RLIMIT_NPROC), untouched
    const seven = new Loop({ boundedWorkers: 7 });
    expect(seven.ioWorkers()[0]).toBe(7);
    await Promise.all([loop.close(), seven.close()]);
  });

  const coop = kernelAtLeast(5, 19) ? undefined : `COOP_TASKRUN needs Linux 5.19 (this is ${release()})`;
  it.skipIf(skip !== undefined || coop !== undefined)(titled('sets up COOP_TASKRUN | TASKRUN_FLAG by default; flags: 0 asks for none', skip ?? coop), async () => {
    const [byDefault, none] = [new Loop(), new Loop({ flags: 0 })];
    expect(byDefault.ring.flags & (SetupFlag.COOP_TASKRUN | SetupFlag.TASKRUN_FLAG)).toBe(SetupFlag.COOP_TASKRUN | SetupFlag.TASKRUN_FLAG);
    expect(none.ring.flags & (SetupFlag.COOP_TASKRUN | SetupFlag.TASKRUN_FLAG)).toBe(0);
    expect(await Promise.all([byDefault.nop(), none.nop()])).toEqual([0, 0]);
    await Promise.all([byDefault.close(), none.close()]);
  });

  it('validates its options', () => {
    expect(() => new Loop({ maxInFlight: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new Loop({ timeout: -1 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });
});
