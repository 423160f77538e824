// Connection fuzzing: seeded random lives of one connection — writes of 0 B to 3 MiB (corked
// into writev too, and bursts of 9 MiB that outgrow the kernel's buffers when the peer stops
// reading), sendFile() of as much among them, end, destroy, resetAndDestroy, pause and resume, timeouts, on the socket under
// test and on its peer — with the socket under test from the `net` given (ours, or node:net to
// check the checks) and its peer node:net's, or in one sequence of three from `net` too. Every step's outcome that does not hang on
// timing is checked against what a node:net socket guarantees:
//   - bytes: each side receives a prefix of what the other wrote, in order (every position of
//     both byte streams has its own value), and all of it when neither side destroyed, reset or
//     failed — then 'end' on both sides, and bytesWritten/bytesRead equal to those totals;
//   - write callbacks: each called once, those without an error in write order;
//   - events: 'close' once and last, at most one 'end', 'finish' and 'error', 'end' only after
//     all the data, nothing after 'close' — and 'close' must come: a destroyed socket closes
//     within the deadline while its peer still reads nothing, and the connection closes once
//     both sides have read everything and ended;
//   - the server: its close() (mid-way, or at the end) calls back, and not before its connection
//     is destroyed;
//   - descriptors: as many sockets open after the sequence as before it (after a round of
//     sequences run at once, see fuzzRound in sockets.mjs).
// Timing-bound outcomes (how much a destroyed connection delivered, which error a reset gives,
// whether a timeout fired) are logged but not compared.
import { closeSync, openSync, unlinkSync, writeFileSync } from 'node:fs';
import * as nodeNet from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rng } from '../../../scripts/rng.mjs';
import { later, openFds, socketsLeft } from './sockets.mjs';

export { rng };

/** The byte at `position` of stream `salt`: no period below 2^32, so a lost, repeated or reordered run shows. */
function byteAt(salt, position) {
  let x = Math.imul(position ^ salt, 0x9e3779b1);
  x ^= x >>> 15;
  x = Math.imul(x, 0x85ebca6b);
  return (x >>> 13) & 0xff;
}

/** One direction of the connection: what was written, and what arrived, checked byte by byte. */
class Stream {
  written = 0;
  received = 0;
  /** The first position where the data differed from what was written, or -1. */
  corruptAt = -1;
  constructor(salt) {
    this.salt = salt;
  }
  chunk(size) {
    const b = Buffer.allocUnsafe(size);
    for (let k = 0; k < size; k++) b[k] = byteAt(this.salt, this.written + k);
    this.written += size;
    return b;
  }
  arrive(data) {
    if (this.corruptAt === -1) {
      for (let k = 0; k < data.length; k++) {
        if (data[k] !== byteAt(this.salt, this.received + k)) {
          this.corruptAt = this.received + k;
          break;
        }
      }
    }
    this.received += data.length;
  }
}

const SIZES = [0, 1, 100, 16383, 16384, 65536, 200_000, 1 << 20, 3 << 20];
let sequence = 0;

/** Listens on a loopback port or a Unix path; resolves with the server and how to connect. */
async function listen(net, options, onConnection, path) {
  const server = net.createServer(options, onConnection);
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    if (path) server.listen(path, resolve);
    else server.listen(0, '127.0.0.1', resolve);
  });
  return { server, target: path ? { path } : { port: server.address().port, host: '127.0.0.1' } };
}

/**
 * One sequence: `steps` random steps on a connection whose socket under test comes from `net`.
 * Resolves with `{ seed, steps, ops, graceful }` (graceful: nobody broke the connection, so all
 * the data had to arrive), or — at the first broken guarantee — `{ seed, step, label, log }`
 * (`step` is `steps` when the break shows only at the end).
 */
export async function fuzzOne(seed, steps, net, { deadline = 20_000, countSockets = true } = {}) {
  const r = rng(seed);
  const fdsBefore = countSockets ? openFds() : undefined;
  const log = [];
  // Which end of the connection is `net`'s: the client, the server side, or both (the client under test).
  const role = r.pick(['client', 'server', 'pair']);
  const unix = r.int(4) === 0;
  const allowHalfOpen = r.int(2) === 0;
  // Gentle sequences never end, destroy or reset mid-way (both sides end at the close): all the data must arrive.
  const gentle = r.int(5) < 2;
  // One client under test in four reads through onread (node:net's reads into one buffer, no 'data' events).
  const onread = role !== 'server' && r.int(4) === 0 ? r.pick([100, 4096, 65536]) : 0;
  const out = new Stream(seed * 2 + 1); // s → p
  const back = new Stream(seed * 2 + 2); // p → s
  const path = unix ? join(tmpdir(), `uring-net-fuzz-${process.pid}-${seed}-${++sequence}.sock`) : undefined;
  log.push(`${role} of ${unix ? 'a Unix socket' : 'TCP'}, allowHalfOpen ${allowHalfOpen}${gentle ? ', gentle' : ''}${onread ? `, onread into ${onread} B` : ''}`);

  let accept;
  const accepted = new Promise((resolve) => (accept = resolve));
  const serving = role === 'client' ? nodeNet : net;
  const { server: listener, target } = await listen(serving, role === 'server' ? { allowHalfOpen } : {}, accept, path);
  const reading = onread ? { onread: { buffer: Buffer.alloc(onread), callback: (n, buffer) => void back.arrive(buffer.subarray(0, n)) } } : {};
  const dialed = (role === 'server' ? nodeNet : net).connect({ ...target, ...(role === 'server' ? {} : { allowHalfOpen, ...reading }) });
  await new Promise((resolve, reject) => {
    dialed.once('connect', resolve);
    dialed.once('error', reject);
  });
  const other = await accepted;
  // s: the socket under test; p: its peer (node:net's, or for 'pair' the same net's).
  const [s, p] = role === 'server' ? [other, dialed] : [dialed, other];
  try {
    return await live(seed, steps, r, { net, s, p, accepted: other, out, back, listener, unix, gentle, log, fdsBefore, deadline });
  } finally {
    // After a broken check too: the next sequence starts from nothing.
    s.destroy();
    p.destroy();
    if (listener.listening) await new Promise((resolve) => listener.close(resolve)); // (a broken check left it open)
  }
}

/** The sequence's steps and checks on the connected pair (see fuzzOne). */
async function live(seed, steps, r, { net, s, p, accepted, out, back, listener, unix, gentle, log, fdsBefore, deadline }) {
  // What happened to s, in order (timeouts and drains aside), and the state the checks need.
  const events = [];
  const state = { sDone: false, pDone: false, sError: undefined, pError: undefined, broken: false, pEnded: false, sEnded: false };
  const callbacks = [];
  const failed = new Set();
  let written = 0;
  s.on('data', (d) => {
    if (state.sEnded) events.push('data after end');
    back.arrive(d);
  });
  s.on('end', () => {
    state.sEnded = true;
    events.push('end');
  });
  s.on('finish', () => events.push('finish'));
  s.on('error', (e) => {
    state.sError = e;
    events.push(`error ${e.code}`);
  });
  s.on('timeout', () => log.push('s timeout'));
  s.on('close', () => {
    events.push('close');
    state.sDone = true;
  });
  p.on('data', (d) => out.arrive(d));
  p.on('end', () => {
    state.pEnded = true;
  });
  p.on('error', (e) => {
    state.pError = e;
  });
  p.on('close', () => {
    state.pDone = true;
  });

  // The server's close(), mid-way or at the end: its callback only once its connection is destroyed.
  const serverClose = { asked: false, done: false, early: false };
  const closeServer = () => {
    serverClose.asked = true;
    listener.close(() => {
      serverClose.done = true;
      if (!accepted.destroyed) serverClose.early = true; // (node:net's may come before the socket's 'close' event, not before its destroy)
    });
  };

  const breaks = (label) => ({ seed, step: stepNow, label, log });
  let stepNow = 0;
  let ops = 0;
  /** The per-step checks: data in order, callbacks in order, events well formed. */
  const check = () => {
    if (out.corruptAt !== -1) return `the peer received a wrong byte at ${out.corruptAt} of what the socket wrote`;
    if (back.corruptAt !== -1) return `the socket received a wrong byte at ${back.corruptAt} of what its peer wrote`;
    if (out.received > out.written) return `the peer received ${out.received} bytes of ${out.written} written`;
    const ok = callbacks.filter((id) => !failed.has(id)); // a destroyed socket fails new writes before the ones it held
    for (let k = 1; k < ok.length; k++) if (ok[k] < ok[k - 1]) return `write callbacks out of order: ${ok.join(',')}`;
    if (new Set(callbacks).size !== callbacks.length) return `a write called back twice: ${callbacks.join(',')}`;
    const count = (name) => events.filter((e) => e === name || e.startsWith(`${name} `)).length;
    if (count('close') > 1 || count('end') > 1 || count('finish') > 1 || count('error') > 1) return `events repeated: ${events.join(',')}`;
    if (events.includes('close') && events.at(-1) !== 'close') return `an event after 'close': ${events.join(',')}`;
    if (events.includes('data after end')) return `'data' after 'end': ${events.join(',')}`;
    if (s.bytesRead < back.received) return `bytesRead ${s.bytesRead}, 'data' carried ${back.received}`;
    return undefined;
  };

  /** s.write() of the next `size` bytes, its callback recorded; false when write() threw (`threw`). */
  let threw;
  const writeOut = (size) => {
    const id = written++;
    log.push(`s write #${id} ${size}`);
    try {
      s.write(out.chunk(size), (error) => {
        callbacks.push(id);
        if (error) failed.add(id);
        if (error) log.push(`s write #${id} called back: ${error.code}`);
      });
      return true;
    } catch (error) {
      threw = error;
      return false;
    }
  };

  /**
   * sendFile() of the next `size` bytes, put in a file first (node:net has no sendFile: there, the
   * same bytes as a write). Its promise is recorded apart from write callbacks, whose order
   * against it is not the writes' order (node:net calls a write back from nextTick).
   */
  const files = { started: 0, settled: 0, failed: 0, fds: [] };
  const sendFileOut = (size) => {
    if (!net.sendFile) return writeOut(size);
    const id = `f${files.started}`;
    const path = join(tmpdir(), `uring-net-fuzz-${process.pid}-${seed}-${id}.bin`);
    writeFileSync(path, out.chunk(size));
    const fd = openSync(path, 'r');
    unlinkSync(path);
    files.fds.push(fd);
    files.started++;
    log.push(`s sendFile #${id} ${size}`);
    net.sendFile(s, fd, 0, size).then(
      (n) => {
        files.settled++;
        if (n !== size) log.push(`s sendFile #${id} sent ${n}`);
        if (n !== size) files.failed++;
      },
      (error) => {
        files.settled++;
        files.failed++;
        log.push(`s sendFile #${id} rejected: ${error.code}`);
      },
    );
    return true;
  };

  for (; stepNow < steps; stepNow++) {
    let op = r.int(100);
    // Gentle: an end, destroy or reset becomes a wait.
    if (gentle && ((op >= 36 && op < 46) || (op >= 78 && op < 82))) op = 99;
    ops++;
    if (op < 24 || (op >= 27 && op < 30)) {
      // 1 write in 9 is a burst (3 × 3 MiB): more than the kernel buffers for a peer that stopped reading.
      const sizes = op < 24 ? [r.pick(SIZES)] : [3 << 20, 3 << 20, 3 << 20];
      for (const size of sizes) if (!writeOut(size)) return breaks(`write threw ${threw.code ?? threw}`);
    } else if (op < 27) {
      sendFileOut(r.pick(SIZES));
    } else if (op < 36) {
      const n = 2 + r.int(4);
      log.push(`s cork, ${n} writes, uncork`);
      s.cork();
      for (let k = 0; k < n; k++) if (!writeOut(r.pick(SIZES))) return breaks(`write threw ${threw.code ?? threw}`);
      s.uncork();
    } else if (op < 42) {
      log.push('s end');
      s.end();
    } else if (op < 44) {
      log.push('s destroy');
      state.broken = true;
      s.destroy();
    } else if (op < 45) {
      log.push('s destroy(error)');
      state.broken = true;
      s.destroy(Object.assign(new Error('fuzz'), { code: 'EFUZZ' }));
    } else if (op < 46) {
      // node:net's (the fallback's too) after end(): libuv refuses the reset once a shutdown has
      // started — 'error' EINVAL — and the socket never closes (its handle stays open): left out.
      if (s instanceof nodeNet.Socket && s.writableEnded && !s.destroyed) log.push('s resetAndDestroy: left out after end() on node:net');
      else {
        log.push('s resetAndDestroy');
        const destroyedBefore = s.destroyed;
        let refusal;
        try {
          s.resetAndDestroy();
        } catch (error) {
          refusal = error;
        }
        // node:net resets TCP only: on an open Unix socket it throws (the socket stays as it was).
        const refused = unix && !destroyedBefore;
        if (refused && refusal?.code !== 'ERR_INVALID_HANDLE_TYPE') return breaks(`resetAndDestroy() on a Unix socket: ${refusal ? `threw ${refusal.code}` : 'no ERR_INVALID_HANDLE_TYPE'}`);
        if (!refused && refusal) return breaks(`resetAndDestroy() threw ${refusal.code ?? refusal}`);
        if (!refused) state.broken = true;
      }
    } else if (op < 54) {
      log.push('s pause');
      s.pause();
    } else if (op < 62) {
      log.push('s resume');
      s.resume();
    } else if (op < 64) {
      const ms = r.pick([0, 1, 5]);
      log.push(`s setTimeout ${ms}`);
      s.setTimeout(ms);
    } else if (op < 66) {
      log.push('s setNoDelay/setKeepAlive');
      s.setNoDelay(r.int(2) === 0);
      s.setKeepAlive(r.int(2) === 0, r.pick([0, 1000]));
    } else if (op < 78) {
      const size = r.pick(SIZES);
      log.push(`p write ${size}`);
      p.write(back.chunk(size));
    } else if (op < 81) {
      log.push('p end');
      p.end();
    } else if (op < 82) {
      log.push('p destroy');
      state.broken = true;
      p.destroy();
    } else if (op < 90) {
      log.push('p pause');
      p.pause();
    } else if (op < 94) {
      log.push('p resume');
      p.resume();
    } else if (op === 94) {
      log.push('server close');
      if (!serverClose.asked) closeServer(); // the connection goes on
    } else {
      const wait = r.pick(['immediate', 'timeout 0', 'timeout 3', 'drain']);
      log.push(`wait: ${wait}`);
      if (wait === 'immediate') await new Promise((resolve) => setImmediate(resolve));
      else if (wait === 'timeout 0') await later(0);
      else if (wait === 'timeout 3') await later(3);
      else if (s.writableNeedDrain && !s.destroyed && !p.isPaused()) {
        const done = await Promise.race([new Promise((resolve) => s.once('drain', () => resolve(true))), new Promise((resolve) => s.once('close', () => resolve(true))), later(deadline).then(() => false)]);
        if (!done) return breaks(`no 'drain' (nor 'close') within ${deadline} ms while the peer reads`);
      }
    }
    if (r.int(3) === 0) await new Promise((resolve) => setImmediate(resolve));
    const problem = check();
    if (problem) return breaks(problem);
  }

  // The end. A destroyed socket closes whatever its peer does — also one that reads nothing (its
  // sends in flight are dropped, as node:net's close drops its writes).
  const give = performance.now() + deadline;
  if (s.destroyed) {
    log.push('finally: the destroyed socket closes, its peer as it is');
    while (!state.sDone && performance.now() < give) await later(5);
    if (!state.sDone) return breaks(`the destroyed socket never closed (peer ${p.isPaused() ? 'paused' : 'reading'}, writableLength ${s.writableLength}, events ${events.join(',')})`);
  }
  // Then both sides read everything and end; the connection must close.
  log.push('finally: both resume and end');
  s.setTimeout(0);
  s.resume();
  p.resume();
  if (!state.broken) {
    s.end();
    p.end();
  }
  while (!(state.sDone && state.pDone) && performance.now() < give) {
    await later(5);
    // A side that ended with allowHalfOpen waits for us to end it; a broken connection for its peer's destroy.
    if (state.broken && state.sDone && !state.pDone) p.destroy();
    if (state.broken && state.pDone && !state.sDone && s.writableLength === 0) s.end();
  }
  await later(5); // write callbacks of a closed socket come in a later tick
  if (!state.sDone) return breaks(`the socket never closed (readyState ${s.readyState}, destroyed ${s.destroyed}, writableLength ${s.writableLength}, events ${events.join(',')})`);
  if (!state.pDone) return breaks(`the peer never closed (readyState ${p.readyState}, socket events ${events.join(',')})`);
  stepNow = steps;
  const problem = check();
  if (problem) return breaks(problem);
  if (callbacks.length !== written) return breaks(`${written - callbacks.length} of ${written} write callbacks never came`);
  if (files.settled !== files.started) return breaks(`${files.started - files.settled} of ${files.started} sendFile() promises never settled`);
  for (const fd of files.fds) closeSync(fd);
  const writesFailed = failed.size > 0 || files.failed > 0;
  if (gentle && (state.broken || state.sError || state.pError || writesFailed)) return breaks(`a gentle sequence failed: ${state.sError?.code ?? state.pError?.code ?? 'a write failed'}`);
  const graceful = !state.broken && !state.sError && !state.pError && !writesFailed; // a write after the peer ended fails with EPIPE, no error event
  if (graceful) {
    if (out.received !== out.written) return breaks(`the peer received ${out.received} of ${out.written} bytes on a connection nobody broke`);
    if (back.received !== back.written) return breaks(`the socket received ${back.received} of ${back.written} bytes on a connection nobody broke`);
    if (!events.includes('end') || !state.pEnded) return breaks(`no 'end' on a connection nobody broke: ${events.join(',')}`);
    if (s.bytesWritten !== out.written) return breaks(`bytesWritten ${s.bytesWritten}, written ${out.written}`);
    if (s.bytesRead !== back.written) return breaks(`bytesRead ${s.bytesRead}, the peer wrote ${back.written}`);
  }
  log.push(`events: ${events.join(',')}; out ${out.received}/${out.written}, back ${back.received}/${back.written}`);
  if (!serverClose.asked) closeServer();
  while (!serverClose.done && performance.now() < give) await later(5);
  if (!serverClose.done) return breaks("the server's close() never called back, its connection closed");
  if (serverClose.early) return breaks("the server's close() called back while its connection was open");
  const left = fdsBefore === undefined ? 0 : await socketsLeft(fdsBefore);
  if (left > 0) return breaks(`${left} socket descriptors left open`);
  return { seed, steps, ops, graceful };
}
