// What the fuzzers (connections.mjs, servers.mjs, http.mjs) share: counting this process's sockets,
// drawing where a server listens, and running sequences several at a time on one loop.
import { readdirSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const later = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves whether `done()` holds, looking every 2 ms for up to `ms`. */
export async function waitFor(done, ms) {
  const give = performance.now() + ms;
  while (!done() && performance.now() < give) await later(2);
  return done();
}

let sequence = 0;

/** Where a sequence's server listens, drawn from `r`: TCP on 127.0.0.1 or ::1, or a Unix path of its own (named with `tag`). */
export function drawEndpoint(r, seed, tag) {
  const kind = r.pick(['tcp4', 'tcp6', 'unix']);
  const host = kind === 'tcp6' ? '::1' : '127.0.0.1';
  const path = kind === 'unix' ? join(tmpdir(), `uring-net-${tag}-${process.pid}-${seed}-${++sequence}.sock`) : undefined;
  return { kind, host, path };
}

/** Open socket descriptors of this process (a loop's ring and eventfd, made on first use, are not sockets). */
export function openFds() {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')) n++;
    } catch {
      // closed while listed (readdir's own descriptor)
    }
  }
  return n;
}

/** How many more sockets than `before` are open once those closing have had up to 2 s (node:net's close a moment after 'close', in its handle's close callback). */
export async function socketsLeft(before) {
  await waitFor(() => openFds() <= before, 2_000);
  return openFds() - before;
}

/**
 * `seeds.length` sequences of `fuzz` (fuzzOne, fuzzServer) at once, each on its own connection
 * or server, all on the thread's one loop (its receive buffers, its batches of sends and
 * completions shared): their results, each sequence's checks as alone but for descriptors,
 * counted for the round instead — a sequence's open sockets are others' leftovers while they
 * run. Resolves with the results and how many sockets were left open after the round.
 */
export async function fuzzRound(fuzz, seeds, steps, net) {
  const before = openFds();
  const results = await Promise.all(seeds.map((seed) => fuzz(seed, steps, net, { countSockets: false })));
  return { results, socketsLeft: await socketsLeft(before) };
}
