import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { unavailable, titled } from '@uring/ring/test';
import { afterAll, describe, expect, it } from 'vitest';

// Each scenario runs in its own Node process against the built package, as a user's script would.
const loopUrl = pathToFileURL(fileURLToPath(new URL('../dist/index.js', import.meta.url))).href;
const abiUrl = import.meta.resolve('@uring/abi');
const dir = mkdtempSync(join(tmpdir(), 'uring-loop-proc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `script` in a new node process; with `nofile`, under that descriptor limit (RLIMIT_NOFILE, set by the shell). */
function node(script: string, options: { args?: string[]; env?: NodeJS.ProcessEnv; timeout?: number; nofile?: number } = {}) {
  const source = `import * as uring from ${JSON.stringify(loopUrl)};\nimport * as abi from ${JSON.stringify(abiUrl)};\n${script}`;
  const argv = [process.execPath, ...(options.args ?? []), '--input-type=module', '-e', source];
  const [file, ...args] = options.nofile === undefined ? argv : ['sh', '-c', `ulimit -n ${options.nofile} && exec "$@"`, 'sh', ...argv];
  return spawnSync(file!, args, {
    encoding: 'utf8',
    timeout: options.timeout ?? 20_000,
    env: options.env ?? process.env,
  });
}

const skip = unavailable();
const root = process.getuid?.() === 0;
describe.skipIf(skip !== undefined)(titled('a loop in a real process', skip), () => {
  it("callUncaught: what a callback throws from an operation's promise reaction is uncaught, not a rejection; the caller goes on", () => {
    const r = node(`
      const boom = new Error('boom');
      const seen = [];
      process.on('uncaughtException', (e, origin) => seen.push((e === boom ? 'boom ' : 'other ') + origin));
      process.on('unhandledRejection', () => seen.push('rejection'));
      await uring.getLoop().nop().then(() => {
        seen.push('returned ' + uring.callUncaught(() => { throw boom; }), 'fine ' + uring.callUncaught((a, b) => seen.push(a + b), 1, 2));
      });
      setTimeout(() => console.log(seen.join(', ')), 20);
    `);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('3, returned false, fine true, boom uncaughtException');
  });

  it("callUncaught: with no handler the process ends as Node ends it, and the source line printed is the thrower's, not the loop's", () => {
    // A file of its own, so that the line Node prints names it (an -e script is '[eval1]').
    const file = join(dir, 'throws.mjs');
    writeFileSync(
      file,
      [
        `import * as uring from ${JSON.stringify(loopUrl)};`,
        'await uring.getLoop().nop();',
        'uring.callUncaught(() => {',
        "  throw new Error('thrown here');",
        '});',
        '',
      ].join('\n'),
    );
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(1);
    const lines = r.stderr.split('\n');
    expect(lines.slice(0, 2)).toEqual([`${pathToFileURL(file).href}:4`, "  throw new Error('thrown here');"]);
    expect(lines).toContain('Error: thrown here');
  });

  it('keeps the process alive for a pending operation and exits after it', () => {
    const r = node(`
      const fs = await import('node:fs');
      const loop = uring.getLoop();
      const [rfd, wfd] = abi.pipe();
      setTimeout(() => fs.writeSync(wfd, 'x'), 200).unref(); // only the read keeps the process alive
      const { bytesRead } = await loop.read(rfd, Buffer.alloc(8));
      console.log('read', bytesRead);
    `);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('read 1');
    expect(r.status).toBe(0);
  });

  it('reserveFileSlot: under a descriptor limit below the table asked for, the table is as large as the kernel takes, and its slots work', () => {
    // The kernel refuses a registered file table larger than RLIMIT_NOFILE with EMFILE: under
    // `ulimit -n 200` the 1,024 slots asked for halve to 128.
    const r = node(
      `
      const loop = uring.getLoop();
      const slots = [];
      for (let slot; (slot = loop.reserveFileSlot()) !== undefined; ) slots.push(slot);
      const last = slots[slots.length - 1];
      const path = abi.cString('/proc/self/status');
      const out = Buffer.alloc(5);
      await Promise.all(loop.link([
        { prep: (s, i) => s.prepOpenatDirect(i, abi.Linux.AT_FDCWD, abi.addressOf(path), abi.Linux.O_RDONLY, 0, last), syscall: 'open', keep: path },
        { prep: (s, i) => { s.prepRead(i, last, abi.addressOf(out), out.length, 0); s.fixedFile(i); }, syscall: 'read', keep: out },
        { prep: (s, i) => s.prepCloseDirect(i, last), syscall: 'close' },
      ]));
      console.log(slots.length, Math.min(...slots), last, out.toString());
    `,
      { nofile: 200 },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('128 0 127 Name:'); // the highest slot too
  });

  it('lets an exception thrown by a submitCallback callback go uncaught, and still settles the rest of the batch', () => {
    const r = node(`
      const loop = uring.getLoop();
      process.on('uncaughtException', (error) => console.log('uncaught', error.message));
      let settled = 0;
      for (let k = 0; k < 4; k++) {
        loop.submitCallback((s, i) => s.prepNop(i), { syscall: 'nop' }, () => {
          settled++;
          if (k === 0) throw new Error('callback failed');
        });
      }
      setTimeout(() => console.log('settled', settled), 100);
    `);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(['uncaught callback failed', 'settled 4']);
    expect(r.status).toBe(0);
  });

  it('exits at once when the only pending operation is unref\'d', () => {
    const r = node(`
      const loop = uring.getLoop();
      loop.sleep(600_000, { unref: true }).then(() => console.log('woke'));
      await loop.nop();
      console.log('leaving');
    `);
    expect(r.signal).toBeNull(); // not killed by the timeout: it exited by itself
    expect(r.stdout.trim()).toBe('leaving');
    expect(r.status).toBe(0);
  });

  it('survives garbage collection of buffers the caller dropped while the kernel still had them', () => {
    const r = node(`
      const fs = await import('node:fs');
      const loop = uring.getLoop({ maxInFlight: 512 });
      // Pipe reads stay in flight across several full GCs; data arrives only afterwards.
      const pipes = Array.from({ length: 128 }, () => abi.pipe());
      const reads = pipes.map(([rfd], k) => loop.read(rfd, Buffer.alloc(64)).then(({ bytesRead, buffer }) => buffer.subarray(0, bytesRead).toString() === 'pipe ' + k));
      // Aborted reads: rejected at once, their buffers unreachable from the caller.
      const aborted = pipes.slice(0, 32).map(([rfd]) => {
        const c = new AbortController();
        const p = loop.read(rfd, Buffer.alloc(1 << 16), 0, 1 << 16, -1, { signal: c.signal }).catch((e) => e.code);
        c.abort();
        return p;
      });
      for (let k = 0; k < 5; k++) { globalThis.gc(); await new Promise((r) => setImmediate(r)); }
      pipes.forEach(([, wfd], k) => fs.writeSync(wfd, 'pipe ' + k));
      const file = ${JSON.stringify(join(dir, 'gc-file'))};
      const data = Buffer.alloc(1 << 20);
      for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 255;
      fs.writeFileSync(file, data);
      const fd = fs.openSync(file, 'r');
      const fileReads = [];
      for (let k = 0; k < 4000; k++) {
        const off = (k * 4096) % data.length;
        fileReads.push(loop.read(fd, Buffer.alloc(4096), 0, 4096, off).then(({ buffer }) => buffer.equals(data.subarray(off, off + 4096))));
        if (k % 500 === 0) globalThis.gc();
      }
      const results = [...(await Promise.all(reads)), ...(await Promise.all(fileReads))];
      console.log(JSON.stringify({ ok: results.filter(Boolean).length, total: results.length, aborted: [...new Set(await Promise.all(aborted))] }));
    `, { args: ['--expose-gc'] });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ ok: 4128, total: 4128, aborted: ['ABORT_ERR'] });
  });

  it('terminates workers with operations in flight: no crash, no leaked fd, no read left armed', () => {
    const r = node(`
      const fs = await import('node:fs');
      const { Worker } = await import('node:worker_threads');
      // What a loop owns: its ring and its eventfd (Node itself opens /dev/null once for workers).
      const fds = () => fs.readdirSync('/proc/self/fd').filter((f) => {
        try { return /^anon_inode:\[(io_uring|eventfd)\]$/.test(fs.readlinkSync('/proc/self/fd/' + f)); } catch { return false; }
      }).length;
      const [rfd, wfd] = abi.pipe();
      const before = fds();
      for (let k = 0; k < 6; k++) {
        const worker = new Worker(\`
          import { parentPort, workerData } from 'node:worker_threads';
          const uring = await import(${JSON.stringify(loopUrl)});
          const loop = uring.getLoop();
          for (let i = 0; i < 16; i++) loop.sleep(60_000);
          loop.read(workerData, Buffer.alloc(1 << 16));
          await loop.nop();
          parentPort.postMessage('in flight');
        \`, { eval: true, workerData: rfd });
        await new Promise((resolve) => worker.once('message', resolve));
        await worker.terminate();
      }
      await new Promise((r) => setTimeout(r, 50));
      const after = fds();
      // Had a worker's read survived its teardown, it would consume this (into freed memory).
      fs.writeSync(wfd, 'still here');
      const back = Buffer.alloc(32);
      const n = fs.readSync(rfd, back);
      console.log(JSON.stringify({ before, after, back: back.subarray(0, n).toString() }));
    `);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.after).toBe(out.before);
    expect(out.back).toBe('still here');
  });

  it.skipIf(!root)(titled('identity guard: a change behind Node\'s back is caught within 64 submissions', root ? undefined : 'needs to start as root to drop privileges'), () => {
    const r = node(`
      const setuidBypassingTheWrapper = process.setuid; // taken before the loop wraps Node's setters
      const loop = uring.getLoop();
      await loop.nop();
      setuidBypassingTheWrapper(65534);
      let submitted = 0;
      let code;
      for (; submitted < 80 && code === undefined; submitted++) {
        await loop.nop().catch((e) => (code = e.code));
      }
      console.log(JSON.stringify({ code, within: submitted <= 64 }));
    `);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ code: 'ERR_URING_CREDENTIALS_CHANGED', within: true });
  });

  it('a throwing handler is an uncaught exception, and every other completion still settles', () => {
    const r = node(`
      const loop = uring.getLoop();
      const caught = [];
      process.on('uncaughtException', (e) => caught.push(e.message));
      const [rfd, wfd] = abi.pipe();
      const handle = loop.multishot((s, i) => s.prepPollMultishot(i, rfd, abi.Linux.POLLIN), {
        syscall: 'poll',
        onCqe: () => { throw new Error('handler failed'); },
      });
      const mapped = loop.submit((s, i) => s.prepNop(i), { syscall: 'nop', map: () => { throw new Error('map failed'); } }).catch((e) => e.message);
      (await import('node:fs')).writeSync(wfd, 'x');
      const others = await Promise.all(Array.from({ length: 20 }, () => loop.nop()));
      await new Promise((r) => setTimeout(r, 20));
      handle.cancel();
      await handle.done;
      console.log(JSON.stringify({ caught: [...new Set(caught)], mapped: await mapped, others: others.every((x) => x === 0) }));
    `);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ caught: ['handler failed'], mapped: 'map failed', others: true });
  });

  it('reports why io_uring is unavailable with a typed error', () => {
    const r = node(`
      try { new uring.Loop(); console.log('created'); }
      catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, reason: e.reason, isError: e instanceof uring.UringUnavailableError })); }
    `, { env: { ...process.env, URING_DISABLE: '1' } });
    expect(JSON.parse(r.stdout)).toEqual({ name: 'UringUnavailableError', code: 'ERR_URING_UNAVAILABLE', reason: 'disabled-by-env', isError: true });
  });

  it.skipIf(!root)(titled('identity guard: after dropping root, the old ring never reads a root-only file', root ? undefined : 'needs to start as root to drop privileges'), () => {
    const secret = join(dir, 'root-only');
    writeFileSync(secret, 'secret');
    chmodSync(secret, 0o600);
    chmodSync(dir, 0o755);
    const r = node(`
      const fs = await import('node:fs');
      const path = ${JSON.stringify(secret)};
      const loop = uring.getLoop();
      const asRoot = await loop.open(path, abi.Linux.O_RDONLY); // root may
      await loop.closeFd(asRoot);
      const outcome = (p) => p.then((fd) => 'opened fd ' + fd, (e) => e.code);
      const small = new uring.Loop({ entries: 4 });
      await small.nop();
      // Queued in the same tick as the switch: the flush happens after it.
      const sameTick = outcome(loop.open(path, abi.Linux.O_RDONLY));
      const runNow = () => { try { return loop.runNow((s, i) => s.prepNop(i)); } catch (e) { return e.code; } };
      const runNowBefore = runNow(); // makes the side ring, as root
      process.setgid(65534);
      process.setuid(65534);
      // More than the SQ holds: the guard fires in an early flush while these are being queued.
      const burst = Array.from({ length: 10 }, () => outcome(small.open(path, abi.Linux.O_RDONLY)));
      const results = {
        sameTick: await sameTick,
        burst: [...new Set(await Promise.all(burst))],
        later: await outcome(loop.open(path, abi.Linux.O_RDONLY)),
        newLoop: await outcome(uring.getLoop().open(path, abi.Linux.O_RDONLY)),
        node: (() => { try { fs.openSync(path, 'r'); return 'opened'; } catch (e) { return e.code; } })(),
        replaced: uring.getLoop() !== loop,
        runNow: [runNowBefore, runNow()],
      };
      console.log(JSON.stringify(results));
    `);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      sameTick: 'ERR_URING_CREDENTIALS_CHANGED',
      burst: ['ERR_URING_CREDENTIALS_CHANGED'],
      later: 'ERR_URING_CREDENTIALS_CHANGED',
      newLoop: 'EACCES',
      node: 'EACCES',
      replaced: true,
      runNow: [0, 'ERR_URING_CREDENTIALS_CHANGED'],
    });
  });
});
