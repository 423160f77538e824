import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { titled } from '@uring/ring/test';
import { afterAll, describe, expect, it } from 'vitest';

// Scenarios that need a process of their own run against the built package, as a user's script would.
const fsUrl = pathToFileURL(fileURLToPath(new URL('../dist/index.js', import.meta.url))).href;
const dir = mkdtempSync(join(tmpdir(), 'uring-fs-proc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function node(script: string, args: string[] = []) {
  const source = `import uring from ${JSON.stringify(fsUrl)};\nimport * as node from 'node:fs/promises';\n${script}`;
  return spawnSync(process.execPath, [...args, '--input-type=module', '-e', source], { encoding: 'utf8', timeout: 20_000, env: process.env });
}

const root = process.getuid?.() === 0;

/** As node(), under a limit the shell sets: `ulimit` with `option` (-f: RLIMIT_FSIZE, -n: RLIMIT_NOFILE) and `value`. */
function nodeUnderLimit(option: '-f' | '-n', value: number, script: string) {
  const source = `import uring from ${JSON.stringify(fsUrl)};\nimport * as node from 'node:fs/promises';\n${script}`;
  const shell = `ulimit ${option} ${value} && exec "$0" --input-type=module -e "$1"`;
  return spawnSync('sh', ['-c', shell, process.execPath, source], { encoding: 'utf8', timeout: 20_000, env: process.env });
}

/** As node(), under a file size limit (RLIMIT_FSIZE) of `kib` KiB. */
const nodeWithFileSizeLimit = (kib: number, script: string) => nodeUnderLimit('-f', kib * 2, script); // sh counts 512-byte blocks

describe(`@uring/fs in a process of its own (URING_DISABLE=${process.env.URING_DISABLE ?? ''})`, () => {
  it('a FileHandle collected while open is closed, with Node\'s warnings', () => {
    const r = node(
      `
      const fs = await import('node:fs');
      const warnings = [];
      process.on('warning', (w) => warnings.push([w.name, w.code ?? '', w.message.slice(0, 40)]));
      const openSome = async () => {
        const fds = [];
        for (let i = 0; i < 3; i++) fds.push((await uring.open('/proc/self/status', 'r')).fd);
        return fds;
      };
      const fds = await openSome();
      await new Promise((resolve) => setTimeout(resolve, 20));
      for (let i = 0; i < 10 && warnings.length < 4; i++) {
        globalThis.gc();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // fd numbers are reused at once (a warning's write may open one): count what they point to.
      const statusFiles = fs.readdirSync('/proc/self/fd').filter((fd) => {
        try { return fs.readlinkSync('/proc/self/fd/' + fd).endsWith('/status'); } catch { return false; }
      });
      console.log(JSON.stringify({ opened: fds.length, open: statusFiles.length, warnings }));
    `,
      ['--expose-gc'],
    );
    expect(r.stderr.replace(/\(node:\d+\)[^\n]*\n?|\(Use `node --trace-[^\n]*\n?/g, '')).toBe('');
    const { opened, open, warnings } = JSON.parse(r.stdout) as { opened: number; open: number; warnings: string[][] };
    expect([opened, open]).toEqual([3, 0]);
    expect(warnings.filter(([, , m]) => m.startsWith('Closing file descriptor'))).toHaveLength(3);
    expect(warnings.filter(([name, code]) => name === 'DeprecationWarning' && code === 'DEP0137')).toHaveLength(1);
  });

  it.skipIf(!root)(titled('permission denied, as an unprivileged user: the same errors as Node', root ? undefined : 'needs to start as root to become nobody'), () => {
    const secret = join(dir, 'secret');
    writeFileSync(secret, 'root only');
    chmodSync(secret, 0o600);
    const locked = join(dir, 'locked');
    mkdirSync(locked, { mode: 0o700 });
    writeFileSync(join(locked, 'inside'), 'x');
    chmodSync(dir, 0o755);
    const r = node(`
      process.setgid(65534);
      process.setuid(65534);
      const calls = [
        (f) => f.readFile(${JSON.stringify(secret)}),
        (f) => f.open(${JSON.stringify(secret)}, 'r'),
        (f) => f.open(${JSON.stringify(secret)}, 'r+'),
        (f) => f.writeFile(${JSON.stringify(secret)}, 'x'),
        (f) => f.appendFile(${JSON.stringify(secret)}, 'x'),
        (f) => f.writeFile(${JSON.stringify(join(locked, 'new'))}, 'x'),
        (f) => f.stat(${JSON.stringify(join(locked, 'inside'))}),
        (f) => f.lstat(${JSON.stringify(join(locked, 'inside'))}),
        (f) => f.unlink(${JSON.stringify(secret)}),
        (f) => f.mkdir(${JSON.stringify(join(locked, 'd'))}),
        (f) => f.rename(${JSON.stringify(secret)}, ${JSON.stringify(join(dir, 'moved'))}),
        (f) => f.copyFile(${JSON.stringify(secret)}, '/tmp/never-${process.pid}'),
      ];
      const settle = (p) => p.then(
        (v) => ({ ok: true }),
        (e) => ({ message: e.message, code: e.code, errno: e.errno, syscall: e.syscall, path: e.path, dest: e.dest }),
      );
      const out = [];
      for (const call of calls) out.push([await settle(call(node)), await settle(call(uring))]);
      console.log(JSON.stringify(out));
    `);
    expect(r.stderr).toBe('');
    const pairs = JSON.parse(r.stdout) as Array<[Record<string, unknown>, Record<string, unknown>]>;
    expect(pairs).toHaveLength(12);
    for (const [expected, actual] of pairs) {
      expect(actual).toEqual(expected);
      expect(expected.code).toMatch(/^EACCES|EPERM$/);
    }
  });

  it("the first handle a process opens goes into node:fs's createReadStream, and the built class is named FileHandle, as Node's", () => {
    const r = node(`
      const fs = await import('node:fs');
      const { inspect } = await import('node:util');
      const run = async (open) => {
        const h = await open('/proc/self/status', 'r');
        let text = '';
        for await (const chunk of fs.createReadStream(null, { fd: h, encoding: 'utf8' })) text += chunk;
        let message;
        try { fs.createReadStream('x', { start: h }); } catch (error) { message = error.message; }
        return [text.startsWith('Name:'), h.fd, h.constructor.name, inspect(h).split(' ')[0], message];
      };
      const ours = await run(uring.open);
      console.log(JSON.stringify({ ours, node: await run(node.open) }));
    `);
    expect(r.stderr).toBe('');
    const { ours, node: theirs } = JSON.parse(r.stdout) as { ours: unknown[]; node: unknown[] };
    expect(ours).toEqual(theirs);
    expect(ours.slice(0, 3)).toEqual([true, -1, 'FileHandle']);
  });

  it('a writeFile cut short by the file size limit leaves the file as Node\'s does: the bytes written, the same error', () => {
    // Under RLIMIT_FSIZE of 1 KiB a 5,000-byte write stops at 1,024 bytes, then fails with EFBIG
    // (Node ignores SIGXFSZ). The old file (written here, without the limit) is longer than
    // the limit, so it must be cut too.
    for (const name of ['node', 'uring']) writeFileSync(join(dir, `limited-${name}`), Buffer.alloc(3000, 111));
    const r = nodeWithFileSizeLimit(
      1,
      `
      const fs = await import('node:fs');
      const out = [];
      for (const [name, f] of [['node', node], ['uring', uring]]) {
        const path = ${JSON.stringify(dir)} + '/limited-' + name;
        const before = fs.statSync(path).size;
        const error = await f.writeFile(path, Buffer.alloc(5000, 97)).then(() => undefined, (e) => ({ message: e.message, code: e.code, errno: e.errno, syscall: e.syscall }));
        const after = fs.readFileSync(path);
        out.push({ before, error, size: after.length, all97: after.every((b) => b === 97) });
      }
      console.log(JSON.stringify(out));
    `,
    );
    expect(r.stderr).toBe('');
    const [expected, actual] = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(expected).toMatchObject({ before: 3000, error: { code: 'EFBIG', syscall: 'write' }, size: 1024, all97: true });
    expect(actual).toEqual(expected);
  });

  it('readFile, writeFile and appendFile work under a descriptor limit (ulimit -n) below the ring\'s 1,024-slot file table, as Node\'s', () => {
    // The kernel refuses a registered file table larger than RLIMIT_NOFILE (EMFILE): under
    // `ulimit -n 256` every readFile and writeFile of ours failed with `EMFILE … io_uring_register`.
    const r = nodeUnderLimit(
      '-n',
      256,
      `
      const out = [];
      for (const [name, f] of [['node', node], ['uring', uring]]) {
        const path = ${JSON.stringify(dir)} + '/nofile-' + name;
        const result = await (async () => {
          await f.writeFile(path, 'written ');
          await f.appendFile(path, 'and appended');
          return (await Promise.all(Array.from({ length: 100 }, () => f.readFile(path, 'utf8')))).every((t) => t === 'written and appended') ? 'all read' : 'wrong';
        })().catch((e) => e.code + ' ' + e.syscall);
        out.push(result);
      }
      console.log(JSON.stringify(out));
    `,
    );
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(['all read', 'all read']);
  });

  it('copyFile with two descriptors free copies, as Node\'s (no pipe to splice through: a buffer instead)', () => {
    // Ours failed with `EMFILE … copyfile`: its splice wanted pipes beside the two files.
    const r = nodeUnderLimit(
      '-n',
      128,
      `
      const { closeSync, openSync, readFileSync, writeFileSync } = await import('node:fs');
      const src = ${JSON.stringify(dir)} + '/copy-src';
      writeFileSync(src, Buffer.alloc(3_000_000, 7));
      await uring.stat(src); // the loop made (the addon loaded) first, as by a program's earlier I/O
      const fds = [];
      try { for (;;) fds.push(openSync('/dev/null', 'r')); } catch (e) { if (e.code !== 'EMFILE') throw e; }
      closeSync(fds.pop());
      closeSync(fds.pop());
      const out = [];
      for (const [name, f] of [['node', node], ['uring', uring]]) {
        const dest = ${JSON.stringify(dir)} + '/copy-' + name;
        out.push(await f.copyFile(src, dest).then(() => readFileSync(dest).equals(readFileSync(src)), (e) => e.code + ' ' + e.syscall));
      }
      for (const fd of fds) closeSync(fd);
      console.log(JSON.stringify(out));
    `,
    );
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([true, true]);
  });

  // glibc's dynamic thresholds decide whether freed file buffers are kept for the next read or
  // handed back to the kernel; other C libraries (musl) have none, and under AddressSanitizer
  // (scripts/sanitize.mjs) malloc is the sanitizer's.
  const glibc = (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header.glibcVersionRuntime;
  const heapSkip = !glibc ? 'the C library is not glibc' : /libasan/.test(process.env.LD_PRELOAD ?? '') ? "malloc is AddressSanitizer's" : undefined;
  for (const via of ['readFile(path)', 'FileHandle.readFile()']) {
    const title = `10 MB files read one after another with ${via} reuse the memory freed by the reads before, as Node's: no page faults into fresh memory for each file`;
    it.skipIf(heapSkip !== undefined)(titled(title, heapSkip), () => {
      // A 10 MB buffer in pages the kernel has not given the process yet costs ~2,440 page faults
      // (1,700-2,100 per file and twice Node's time, before file-buffer.ts raised glibc's
      // thresholds); Node's own readFile, 6-11. Each way in a process of its own: the thresholds
      // are the process's.
      const file = join(dir, 'ten-mb');
      writeFileSync(file, randomBytes(10_000_000));
      const read = via === 'readFile(path)' ? 'uring.readFile(file)' : '(async () => { const h = await uring.open(file); try { return await h.readFile(); } finally { await h.close(); } })()';
      const r = node(`
        const file = ${JSON.stringify(file)};
        const read = () => ${read};
        for (let i = 0; i < 10; i++) await read();
        const before = process.resourceUsage().minorPageFault;
        let bytes = 0;
        for (let i = 0; i < 30; i++) bytes += (await read()).length;
        const perFile = Math.round((process.resourceUsage().minorPageFault - before) / 30);
        const same = (await read()).equals(await node.readFile(file));
        console.log(JSON.stringify({ perFile, bytes, same }));
      `);
      expect(r.stderr).toBe('');
      const { perFile, bytes, same } = JSON.parse(r.stdout) as { perFile: number; bytes: number; same: boolean };
      expect([bytes, same]).toEqual([300_000_000, true]);
      expect(perFile).toBeLessThan(400);
    });
  }
});
