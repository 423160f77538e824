import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Linux, fcntl } from '@uring/abi';
import { titled, unavailable, until } from '@uring/ring/test';
import { afterAll, describe, expect, it } from 'vitest';
import { splice } from './splice.js';

const dir = fs.mkdtempSync(join(tmpdir(), 'uring-splice-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const data = randomBytes(3 * (1 << 20) + 777);
const src = join(dir, 'src');
fs.writeFileSync(src, data);

const skip = unavailable();
describe.skipIf(skip !== undefined)(titled('splice', skip), () => {
  it('copies any range at any offsets, in any number of lanes and pipe sizes, byte for byte', async () => {
    const cases: Array<[number, number, number]> = [
      [0, 0, Infinity], // to EOF
      [1000, 50, 2_000_001 - 1000], // chunks that start inside a page
      [4095, 1, 1 << 20],
      [data.length - 10, 0, 10],
      [data.length, 0, Infinity], // nothing left
      [123, 4567, data.length - 123],
      [5, 0, 0], // nothing asked for
      [5, 3, 100], // less than a pipe holds: one lane, the pipe as made
      [0, 0, 1 << 16],
      [0, 0, (1 << 16) + 1],
    ];
    for (const [lanes, pipeSize] of [[1, 256 * 1024], [3, 256 * 1024], [4, 256 * 1024], [4, undefined]] as const) {
      for (const [inOffset, outOffset, length] of cases) {
        const dst = join(dir, `dst-${lanes}-${pipeSize}-${inOffset}-${length}`);
        fs.writeFileSync(dst, Buffer.alloc(outOffset, 'z'));
        const i = fs.openSync(src, 'r');
        const o = fs.openSync(dst, 'r+');
        const moved = await splice(i, inOffset, o, outOffset, length, { lanes, pipeSize });
        fs.closeSync(i);
        fs.closeSync(o);
        const expected = data.subarray(inOffset, Math.min(data.length, inOffset + length));
        expect(moved).toBe(expected.length);
        expect(fs.readFileSync(dst).equals(Buffer.concat([Buffer.alloc(outOffset, 'z'), expected]))).toBe(true);
      }
    }
  });

  it('makes only the pipes a copy can use: one for a copy a pipe holds, none for nothing', async () => {
    const fds = () => fs.readdirSync('/proc/self/fd').length;
    const pipesFor = async (length: number, options = {}) => {
      const i = fs.openSync(src, 'r');
      const o = fs.openSync(join(dir, `lanes-${length}`), 'w');
      const before = fds();
      const copy = splice(i, 0, o, 0, length, options); // the pipes are made before its first await
      const made = (fds() - before) / 2;
      expect(await copy).toBe(Math.min(length, data.length));
      fs.closeSync(i);
      fs.closeSync(o);
      return made;
    };
    expect(await pipesFor(0)).toBe(0);
    expect(await pipesFor(100)).toBe(1);
    expect(await pipesFor(1 << 20)).toBe(1); // one pipe of 1 MiB
    expect(await pipesFor((1 << 20) + 1)).toBe(2);
    expect(await pipesFor(data.length)).toBe(4); // the default number of lanes
    expect(await pipesFor(data.length, { lanes: 2 })).toBe(2);
    expect(await pipesFor(100, { pipeSize: 4096, lanes: 8 })).toBe(1);
    expect(await pipesFor(3 * 4096, { pipeSize: 4096, lanes: 8 })).toBe(3);
  });

  it("aborted while its splice out waits on a socket with no room, it rejects at once and closes its pipe once the kernel lets go of it — never while a worker holds the pipe's lock", async () => {
    const pipes = () => fs.readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith('pipe:');
      } catch {
        return false;
      }
    }).length;
    const before = pipes();
    // A Unix socket nobody reads: the splice out fills it, then waits (in an io-wq worker, the
    // pipe locked) for room that never comes. Blocking, so the kernel waits rather than EAGAIN.
    const peers: net.Socket[] = [];
    const server = net.createServer((peer) => peers.push(peer.pause()));
    const path = join(dir, 'full.sock');
    server.listen(path);
    await once(server, 'listening');
    const client = net.connect(path);
    await once(client, 'connect');
    const fd = (client as unknown as { _handle: { fd: number } })._handle.fd;
    const flags = fcntl(fd, Linux.F_GETFL);
    expect(fcntl(fd, Linux.F_SETFL, flags & ~Linux.O_NONBLOCK)).toBe(0);
    const i = fs.openSync(src, 'r');
    const controller = new AbortController();
    const moving = splice(i, 0, fd, -1, Infinity, { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 100)); // the socket is full by now
    expect(pipes()).toBe(before + 2);
    controller.abort();
    await expect(moving).rejects.toMatchObject({ name: 'AbortError' });
    await until(() => pipes() <= before);
    expect(pipes()).toBe(before);
    fs.closeSync(i);
    client.destroy();
    for (const peer of peers) peer.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('with no descriptor free for a pipe, copies through a buffer: a file copy and a pipeline work where Node\'s do', () => {
    // In a process at its descriptor limit, with the two ends open: splice() and the streams'
    // pipeline() failed with `EMFILE … pipe`, where node:fs's copyFile and streams need no pipe.
    const dist = new URL('../dist/index.js', import.meta.url).href;
    const out = join(dir, 'out-of-descriptors');
    const script = `
      import { closeSync, openSync, readFileSync } from 'node:fs';
      const { splice, pipeline, createReadStream, createWriteStream } = await import(process.argv[1]);
      const [src, out] = process.argv.slice(2);
      const fill = () => { const fds = []; try { for (;;) fds.push(openSync('/dev/null', 'r')); } catch (e) { if (e.code !== 'EMFILE') throw e; } return fds; };
      const inFd = openSync(src, 'r');
      const outFd = openSync(out + '-splice', 'w');
      await splice(inFd, 0, outFd, 0, 0); // the loop made (the addon loaded) first, as by a program's earlier I/O
      const fds = fill();
      const moved = await splice(inFd, 0, outFd, 0, Infinity, { lanes: 4 });
      closeSync(inFd);
      closeSync(outFd); // two free: what the pipeline's two streams open
      await pipeline(createReadStream(src), createWriteStream(out + '-pipeline'));
      for (const fd of fds) closeSync(fd);
      const same = (p) => readFileSync(p).equals(readFileSync(src));
      console.log(JSON.stringify({ moved, splice: same(out + '-splice'), pipeline: same(out + '-pipeline') }));`;
    const r = spawnSync('sh', ['-c', 'ulimit -n 128 && exec "$@"', 'sh', process.execPath, '--input-type=module', '-e', script, dist, src, out], { encoding: 'utf8', timeout: 20_000 });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ moved: data.length, splice: true, pipeline: true });
  });

  it('fails with the kernel\'s error and names the syscall', async () => {
    const i = fs.openSync(src, 'r');
    await expect(splice(i, 0, -1, 0, 10)).rejects.toMatchObject({ code: 'EBADF', syscall: 'splice' });
    fs.closeSync(i);
  });

  it('refuses arguments that are not integers before splicing anything (undefined would be stdin)', async () => {
    const i = fs.openSync(src, 'r');
    await expect(splice(i, 0, undefined as unknown as number, 0, 10)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE', message: 'The "outFd" argument must be of type number. Received undefined' });
    await expect(splice(i, 0.5, 1, -1, 10)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE', message: 'The value of "inOffset" is out of range. It must be an integer. Received 0.5' });
    await expect(splice(i, 0, 1, -2, 10)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE', message: 'The value of "outOffset" is out of range. It must be >= -1 && <= 9007199254740991. Received -2' });
    await expect(splice(i, 0, 1, -1, -5)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE', message: 'The value of "length" is out of range. It must be >= 0 && <= 9007199254740991. Received -5' });
    fs.closeSync(i);
  });
});
