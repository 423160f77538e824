import { once } from 'node:events';
import type * as http from 'node:http';
import * as nodeNet from 'node:net';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- plain ES modules shared with fuzz/run.mjs (the long runs on demand)
import { fuzzOne, rng } from '../fuzz/connections.mjs';
// @ts-expect-error -- (as above)
import { fuzzHttp } from '../fuzz/http.mjs';
// @ts-expect-error -- (as above)
import { fuzzServer } from '../fuzz/servers.mjs';
// @ts-expect-error -- (as above)
import { fuzzRound } from '../fuzz/sockets.mjs';
import net, { backend } from './index.js';

// The short CI run of the connection fuzzer: fixed seeds, so a failure here replays with
// `node fuzz/run.mjs --seed <seed> --sequences 1 --steps <steps>` (the message names it).
const SEEDS = 80;
const STEPS = 40;
/** Sequences run at once in the round test. */
const WIDTH = 8;

type Result = { seed: number; steps: number; ops: number; graceful: boolean } | { seed: number; step: number; label: string; log: string[] };
type NetLike = Pick<typeof net, 'connect' | 'createServer'>;

/**
 * `rounds` rounds of WIDTH sequences of `fuzz` at once from seed `first`, each round expected to
 * break nothing and leave no socket (the message names the round's replay); the steps they ran.
 */
async function expectCleanRounds(fuzz: unknown, first: number, rounds: number, flags = ''): Promise<number> {
  let ops = 0;
  for (let start = first; start < first + rounds * WIDTH; start += WIDTH) {
    const seeds = Array.from({ length: WIDTH }, (_, k) => start + k);
    const round: { results: Result[]; socketsLeft: number } = await fuzzRound(fuzz, seeds, STEPS, net);
    const replay = `replay: node fuzz/run.mjs${flags} --seed ${start} --sequences ${WIDTH} --steps ${STEPS} --width ${WIDTH}`;
    const broken = round.results.find((result) => 'label' in result);
    expect(broken && 'label' in broken ? { seed: broken.seed, label: broken.label, log: broken.log } : undefined, replay).toBeUndefined();
    expect(round.socketsLeft, replay).toBe(0);
    for (const result of round.results) if ('ops' in result) ops += result.ops;
  }
  return ops;
}

/** `net` with `patch` applied to every socket it makes, client or server side: a planted bug. */
function planted(patch: (socket: nodeNet.Socket) => void): NetLike {
  return {
    connect: ((options: nodeNet.NetConnectOpts) => {
      const socket = net.connect(options);
      patch(socket as unknown as nodeNet.Socket);
      return socket;
    }) as NetLike['connect'],
    createServer: ((options: nodeNet.ServerOpts, listener: (socket: nodeNet.Socket) => void) =>
      net.createServer(options, (socket) => {
        patch(socket as unknown as nodeNet.Socket);
        listener(socket as unknown as nodeNet.Socket);
      })) as unknown as NetLike['createServer'],
  };
}

/** The first broken sequence among the CI seeds, or undefined. */
async function firstBroken(impl: NetLike | typeof nodeNet, seeds = SEEDS): Promise<Result | undefined> {
  for (let seed = 1; seed <= seeds; seed++) {
    const result: Result = await fuzzOne(seed, STEPS, impl);
    if ('label' in result) return result;
  }
  return undefined;
}

const seedsFrom = (first: number, n: number) => Array.from({ length: n }, (_, k) => first + k);

/** The first broken sequence of `fuzz` (fuzzServer, fuzzHttp) on `impl` among `seeds`, or undefined. */
async function firstBrokenOf(fuzz: (seed: number, steps: number, impl: unknown) => Promise<Result>, impl: unknown, seeds: number[]): Promise<Result | undefined> {
  for (const seed of seeds) {
    const result = await fuzz(seed, STEPS, impl);
    if ('label' in result) return result;
  }
  return undefined;
}

/** Each of `seeds` a sequence of `fuzz` on our net that breaks nothing (the message names its replay): the steps they ran. */
async function expectCleanSeeds(fuzz: (seed: number, steps: number, impl: unknown) => Promise<Result>, seeds: number[], flags: string): Promise<number> {
  let ops = 0;
  for (const seed of seeds) {
    const result = await fuzz(seed, STEPS, net);
    const replay = `replay: node fuzz/run.mjs${flags} --seed ${seed} --sequences 1 --steps ${STEPS}`;
    expect('label' in result ? { label: result.label, log: result.log } : undefined, replay).toBeUndefined();
    if ('ops' in result) ops += result.ops;
  }
  return ops;
}

describe(`connection fuzzing against a node:net peer (backend: ${backend()})`, () => {
  it('the generator is seeded: the same seed draws the same numbers', () => {
    const [a, b] = [rng(7), rng(7)];
    expect(Array.from({ length: 5 }, () => a.int(1000))).toEqual(Array.from({ length: 5 }, () => b.int(1000)));
  });

  it(`${SEEDS} seeded sequences of ${STEPS} steps: the data arrives intact and in order, every write calls back, the connection closes`, async () => {
    let ops = 0;
    let graceful = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const result: Result = await fuzzOne(seed, STEPS, net);
      const replay = `replay: node fuzz/run.mjs --seed ${seed} --sequences 1 --steps ${STEPS}`;
      expect('label' in result ? { label: result.label, log: result.log } : undefined, replay).toBeUndefined();
      if ('ops' in result) {
        ops += result.ops;
        if (result.graceful) graceful++;
      }
    }
    expect(ops).toBe(SEEDS * STEPS);
    expect(graceful).toBeGreaterThan(SEEDS / 5); // enough connections nobody broke, where every byte must arrive
  }, 120_000);

  it(`${WIDTH} at a time on one loop: ${SEEDS / 2} more sequences, every check holds, no socket left after each round`, async () => {
    expect(await expectCleanRounds(fuzzOne, 1001, SEEDS / 2 / WIDTH)).toBe((SEEDS / 2) * STEPS);
  }, 120_000);

  it(`node:net passes the same checks on the first ${SEEDS / 2} seeds (the checks ask nothing node:net does not do)`, async () => {
    expect(await firstBroken(nodeNet, SEEDS / 2)).toBeUndefined();
  }, 120_000);

  it('catches planted bugs: a write one byte short, a large write that never calls back, a socket left open', async () => {
    const short = planted((socket) => {
      const write = socket.write;
      socket.write = function (this: nodeNet.Socket, chunk: Buffer, ...rest: unknown[]) {
        return (write as (...args: unknown[]) => boolean).call(this, chunk.length > 1 ? chunk.subarray(1) : chunk, ...rest);
      } as typeof socket.write;
    });
    expect(await firstBroken(short)).toMatchObject({ label: expect.stringMatching(/wrong byte|received \d+ of \d+ bytes/) });

    const forgetful = planted((socket) => {
      const write = socket.write;
      socket.write = function (this: nodeNet.Socket, chunk: Buffer, callback?: (error?: Error | null) => void) {
        return (write as (...args: unknown[]) => boolean).call(this, chunk, chunk.length >= 1 << 20 ? () => undefined : callback);
      } as typeof socket.write;
    });
    expect(await firstBroken(forgetful)).toMatchObject({ label: expect.stringMatching(/write callbacks never came/) });

    // A round counts the sockets left after it: each connect() here also opens one it never closes.
    const leaked: nodeNet.Socket[] = [];
    const elsewhere = nodeNet.createServer((socket) => leaked.push(socket)).listen(0, '127.0.0.1');
    await once(elsewhere, 'listening');
    const leaky: NetLike = {
      connect: ((options: nodeNet.NetConnectOpts) => {
        leaked.push(net.connect((elsewhere.address() as nodeNet.AddressInfo).port, '127.0.0.1') as unknown as nodeNet.Socket);
        return net.connect(options);
      }) as NetLike['connect'],
      createServer: net.createServer,
    };
    const round: { results: Result[]; socketsLeft: number } = await fuzzRound(fuzzOne, [1001, 1002, 1003, 1004], 10, leaky);
    expect(round.results.filter((result) => 'label' in result)).toEqual([]);
    expect(round.socketsLeft).toBeGreaterThan(0);
    for (const socket of leaked) socket.destroy();
    await new Promise((resolve) => elsewhere.close(resolve));
  }, 120_000);
});

describe(`server fuzzing with node:net's clients (backend: ${backend()})`, () => {
  const SERVER_SEEDS = 100;
  const firstBrokenServer = (impl: NetLike | typeof nodeNet, seeds: number[]) => firstBrokenOf(fuzzServer, impl, seeds);

  it(`${SERVER_SEEDS} seeded sequences of ${STEPS} steps: listen, connections, maxConnections, getConnections and close() as node:net's`, async () => {
    expect(await expectCleanSeeds(fuzzServer, seedsFrom(1, SERVER_SEEDS), ' --servers')).toBe(SERVER_SEEDS * STEPS);
  }, 120_000);

  it(`${6 * WIDTH} more ${WIDTH} at a time on one loop, and node:net passes the same checks on the first ${SERVER_SEEDS / 2}`, async () => {
    await expectCleanRounds(fuzzServer, 1001, 6, ' --servers');
    expect(await firstBrokenServer(nodeNet, seedsFrom(1, SERVER_SEEDS / 2))).toBeUndefined();
  }, 120_000);

  it('catches planted bugs: getConnections() one too many, a close() that never calls back', async () => {
    const patchedServers = (patch: (server: nodeNet.Server) => void): NetLike => ({
      connect: net.connect,
      createServer: ((options: nodeNet.ServerOpts, listener: (socket: nodeNet.Socket) => void) => {
        const server = net.createServer(options, listener as never) as unknown as nodeNet.Server;
        patch(server);
        return server;
      }) as unknown as NetLike['createServer'],
    });
    const counting = patchedServers((server) => {
      const getConnections = server.getConnections;
      server.getConnections = (cb) => getConnections.call(server, (error, count) => cb(error, count + 1));
    });
    expect(await firstBrokenServer(counting, seedsFrom(1, 10))).toMatchObject({ label: expect.stringMatching(/getConnections\(\): \d+, \d+ open/) });
    const forgetful = patchedServers((server) => {
      const close = server.close;
      server.close = () => close.call(server);
    });
    expect(await firstBrokenServer(forgetful, seedsFrom(1, 10))).toMatchObject({ label: expect.stringMatching(/close\(\) never called back/) });
  }, 120_000);
});

describe(`node:http fuzzing over the sockets, with node:http's clients (backend: ${backend()})`, () => {
  const HTTP_SEEDS = 60;
  type HttpLike = { createHttpServer: typeof net.createHttpServer } | typeof nodeNet;
  const firstBrokenHttp = (impl: HttpLike, seeds: number[]) => firstBrokenOf(fuzzHttp, impl, seeds);

  it(`${HTTP_SEEDS} seeded sequences of ${STEPS} steps: requests and responses whole, pipelining, Connection: close, clients gone, bad requests, idle connections closed`, async () => {
    expect(await expectCleanSeeds(fuzzHttp, seedsFrom(1, HTTP_SEEDS), ' --http')).toBe(HTTP_SEEDS * STEPS);
  }, 120_000);

  it(`${4 * WIDTH} more ${WIDTH} at a time on one loop, and node:http on node:net passes the same checks on the first ${HTTP_SEEDS / 2}`, async () => {
    await expectCleanRounds(fuzzHttp, 1001, 4, ' --http');
    expect(await firstBrokenHttp(nodeNet, seedsFrom(1, HTTP_SEEDS / 2))).toBeUndefined();
  }, 120_000);

  it('catches planted bugs: a response one byte short, closeIdleConnections() that closes nothing', async () => {
    const patched = (patch: (server: http.Server) => void): HttpLike => ({
      createHttpServer: ((...args: Parameters<typeof net.createHttpServer>) => {
        const server = net.createHttpServer(...args);
        patch(server);
        return server;
      }) as typeof net.createHttpServer,
    });
    const short = patched((server) =>
      server.on('request', (_req, res: http.ServerResponse) => {
        const write = res.write;
        res.write = function (this: http.ServerResponse, chunk: Buffer, ...rest: unknown[]) {
          return (write as (...args: unknown[]) => boolean).call(this, Buffer.isBuffer(chunk) && chunk.length > 1 ? chunk.subarray(1) : chunk, ...rest);
        } as typeof res.write;
      }),
    );
    expect(await firstBrokenHttp(short, seedsFrom(1, 10))).toMatchObject({ label: expect.stringMatching(/\d+ B|failed/) });
    const keeping = patched((server) => {
      server.closeIdleConnections = () => undefined;
    });
    expect(await firstBrokenHttp(keeping, seedsFrom(1, 20))).toMatchObject({ label: expect.stringMatching(/closeIdleConnections\(\): \d+ connections still open/) });
  }, 120_000);
});
