#!/usr/bin/env node
// Does IORING_OP_SEND_ZC (6.0) win for large writes here? One TCP connection on loopback, a
// receiver in its own process draining it; this process sends `size`-byte buffers back to back,
// 4 in flight, with SEND and with SEND_ZC (whose buffer stays the kernel's until a second CQE,
// IORING_CQE_F_NOTIF, releases it), interleaved rep by rep. Prints MB/s and the ratio per size.
// Flags: --json, --quick. Used by run.mjs; run alone for the detail.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Linux, CqeFlag } from '@uring/abi';
import { addressOfView, getLoop } from '@uring/loop';
import * as nodeNet from 'node:net';
import { compare, report, seconds } from '../../../scripts/bench-harness.mjs';

const loop = getLoop();
const IN_FLIGHT = 4;

/** One send of `buf` on `fd`: SEND, or SEND_ZC settling once the kernel has let go of the buffer. */
function sendOnce(fd, buf, zc) {
  const at = addressOfView(buf);
  if (!zc) return loop.submit((s, i) => s.prepSend(i, fd, at, buf.length, Linux.MSG_NOSIGNAL), { syscall: 'write', keep: buf });
  let sent = 0;
  const op = loop.multishot((s, i) => s.prepSendZc(i, fd, at, buf.length, Linux.MSG_NOSIGNAL), {
    syscall: 'write',
    keep: buf,
    rearm: () => false,
    onCqe: (res, flags) => {
      if (!(flags & CqeFlag.NOTIF)) sent = res;
    },
  });
  return op.done.then(() => sent);
}

/** MB/s of `seconds` of back-to-back sends of `size` bytes on `fd`, IN_FLIGHT at a time. */
async function rate(fd, size, zc) {
  const buffers = Array.from({ length: IN_FLIGHT }, () => Buffer.alloc(size, 1));
  let bytes = 0;
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(
    buffers.map(async (buf) => {
      while (performance.now() < end) {
        let off = 0;
        while (off < size) off += await sendOnce(fd, off === 0 ? buf : buf.subarray(off), zc);
        bytes += size;
      }
    }),
  );
  return bytes / 1e6 / ((performance.now() - start) / 1000);
}

const receiver = fork(fileURLToPath(new URL('./server.mjs', import.meta.url)), ['node', 'sink'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const [{ port }] = await once(receiver, 'message');
// A node:net connection lends its descriptor: the ring sends on it, nothing else writes to it.
const socket = nodeNet.connect(port, '127.0.0.1');
await once(socket, 'connect');
const fd = socket._handle.fd;
const results = [];
for (const size of [64 << 10, 1 << 20]) {
  const label = `${size >> 10} KiB`;
  results.push(await compare(`send_zc vs send, ${label} writes, one connection`, () => rate(fd, size, true), () => rate(fd, size, false), 'MB/s', 'IORING_OP_SEND'));
}
socket.destroy();
receiver.send('exit');
report('@uring/net send_zc', results);
