import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as node from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import uring, { backend } from './index.js';

const root = fs.mkdtempSync(join(tmpdir(), 'uring-fs-write-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;

/** Everything node:fs can see of a tree: entry types, permission bits, contents, link targets. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = join(d, name);
      const st = fs.lstatSync(p);
      const key = `${rel}${name}`;
      if (st.isSymbolicLink()) out[key] = `link -> ${fs.readlinkSync(p)}`;
      else if (st.isDirectory()) {
        out[key] = `dir ${(st.mode & 0o7777).toString(8)}`;
        walk(p, `${key}/`);
      } else if (!st.isFile()) out[key] = `special ${st.mode.toString(8)}`; // a FIFO: not read, it would wait for a writer
      else out[key] = `file ${(st.mode & 0o7777).toString(8)} ${st.nlink} ${createHash('sha256').update(fs.readFileSync(p)).digest('hex')}`;
    }
  };
  walk(dir, '');
  return out;
}

function setupTree(base: string) {
  fs.writeFileSync(join(base, 'file'), 'content');
  fs.mkdirSync(join(base, 'dir'));
  fs.mkdirSync(join(base, 'full'));
  fs.writeFileSync(join(base, 'full', 'inside'), 'x');
  fs.symlinkSync('file', join(base, 'sym'));
  fs.writeFileSync(join(base, 'secret'), 'mode 600', { mode: 0o600 });
  fs.chmodSync(join(base, 'secret'), 0o600);
  fs.writeFileSync(join(base, 'big'), big);
}

const settle = (p: () => Promise<unknown>) =>
  p().then(
    (value) => ({ ok: true, value }),
    (e: NodeJS.ErrnoException & { dest?: string }) => ({ ok: false, error: { name: e.name, message: e.message, code: e.code, errno: e.errno, syscall: e.syscall, path: e.path, dest: e.dest } }),
  );

/** The same call on node:fs/promises and @uring/fs, each in its own copy of the tree. */
async function same(call: (f: typeof node, base: string) => Promise<unknown>) {
  const [a, b] = [join(root, `node-${n}`), join(root, `ours-${n++}`)];
  for (const base of [a, b]) {
    fs.mkdirSync(base);
    setupTree(base);
  }
  const expected = await settle(() => call(node, a));
  const actual = JSON.parse(JSON.stringify(await settle(() => call(uring as typeof node, b))).replaceAll(b, a));
  expect(actual).toEqual(JSON.parse(JSON.stringify(expected)));
  expect(tree(b)).toEqual(tree(a));
}

const big = randomBytes(3 * (1 << 20) + 11);

describe(`write operations against node:fs/promises (backend: ${backend()})`, () => {
  it('writeFile and appendFile: data types, sizes, encodings, modes and flags', async () => {
    for (const [data, options] of [
      ['hello', undefined],
      ['68656c6c6f', 'hex'],
      [Buffer.from('buffer'), undefined],
      [new Uint8Array([1, 2, 3]), undefined],
      ['', undefined],
      [big, undefined],
      ['secret', { mode: 0o600 }],
      ['appended', { flag: 'a' }],
      ['exclusive', { flag: 'wx' }],
      ['text', { encoding: 'latin1', mode: 0o640 }],
    ] as const) {
      await same((f, base) => f.writeFile(join(base, 'new'), data, options as never));
      await same((f, base) => f.writeFile(join(base, 'file'), data, options as never));
      await same((f, base) => f.appendFile(join(base, 'file'), data, options as never));
      await same((f, base) => f.appendFile(join(base, 'fresh'), data, options as never));
    }
  });

  it('writeFile replaces a longer file, an empty one, and writes to a device, as Node does', async () => {
    // Replacing opens without O_TRUNC and cuts the file after the write (see write-file.ts): the
    // file must still end exactly at the new data, and a device (where ftruncate fails with
    // EINVAL, and O_TRUNC does nothing) must take the write as it takes Node's.
    await same((f, base) => f.writeFile(join(base, 'big'), 'short'));
    await same((f, base) => f.writeFile(join(base, 'big'), ''));
    await same((f, base) => f.writeFile(join(base, 'file'), big.subarray(0, 70_000)));
    await same((f) => f.writeFile('/dev/null', 'into the void'));
    await same((f, base) => f.writeFile(join(base, 'file'), 'exclusive', { flag: 'wx' }));
    const base = join(root, `sizes-${n++}`);
    fs.mkdirSync(base);
    const path = join(base, 'f');
    for (const size of [10_000, 3, 4096, 0, 5000, 1]) {
      await uring.writeFile(path, Buffer.alloc(size, size & 0xff));
      expect(fs.readFileSync(path)).toEqual(Buffer.alloc(size, size & 0xff));
    }
  });

  it('writeFile and appendFile: errors and bad input exactly like Node', async () => {
    await same((f, base) => f.writeFile(join(base, 'missing', 'x'), 'x'));
    await same((f, base) => f.writeFile(join(base, 'dir'), 'x'));
    await same((f, base) => f.writeFile(join(base, 'file', 'below'), 'x'));
    await same((f, base) => f.writeFile(join(base, 'a\0b'), 'x'));
    await same((f, base) => f.writeFile(join(base, 'n'), 42 as never));
    await same((f, base) => f.writeFile(join(base, 'n'), ['iter', 'able'] as never));
    await same((f, base) => f.writeFile(join(base, 'n'), 'x', { flag: 'r' }));
    await same((f, base) => f.writeFile(join(base, 'n'), 'x', { mode: 'rw' } as never));
    await same((f, base) => f.writeFile(join(base, 'n'), 'x', { encoding: 'nope' } as never));
    await same((f, base) => f.writeFile(join(base, 'n'), 'x', { signal: AbortSignal.abort() }));
    await same((f, base) => f.appendFile(join(base, 'dir'), 'x'));
  });

  it('unlink, rmdir, mkdir, rename, symlink and link: results, trees and errors like Node', async () => {
    const cases: Array<(f: typeof node, base: string) => Promise<unknown>> = [
      (f, b) => f.unlink(join(b, 'file')),
      (f, b) => f.unlink(join(b, 'missing')),
      (f, b) => f.unlink(join(b, 'dir')),
      (f, b) => f.unlink(join(b, 'sym')),
      (f, b) => f.rmdir(join(b, 'dir')),
      (f, b) => f.rmdir(join(b, 'full')),
      (f, b) => f.rmdir(join(b, 'file')),
      (f, b) => f.rmdir(join(b, 'missing')),
      (f, b) => f.rmdir(join(b, 'dir'), { recursive: false } as never),
      (f, b) => f.mkdir(join(b, 'made')),
      (f, b) => f.mkdir(join(b, 'made'), 0o700),
      (f, b) => f.mkdir(join(b, 'made'), { mode: 0o750 }),
      (f, b) => f.mkdir(join(b, 'dir')),
      (f, b) => f.mkdir(join(b, 'no', 'parent')),
      (f, b) => f.mkdir(join(b, 'deep', 'er'), { recursive: true }),
      (f, b) => f.mkdir(join(b, 'm'), '755' as never),
      (f, b) => f.rename(join(b, 'file'), join(b, 'renamed')),
      (f, b) => f.rename(join(b, 'dir'), join(b, 'full')),
      (f, b) => f.rename(join(b, 'missing'), join(b, 'x')),
      (f, b) => f.rename(join(b, 'file'), join(b, 'dir', 'moved')),
      (f, b) => f.symlink('file', join(b, 'sym2')),
      (f, b) => f.symlink('file', join(b, 'sym')),
      (f, b) => f.symlink('dir', join(b, 'sym3'), 'dir'),
      (f, b) => f.link(join(b, 'file'), join(b, 'hard')),
      (f, b) => f.link(join(b, 'file'), join(b, 'sym')),
      (f, b) => f.link(join(b, 'missing'), join(b, 'hard')),
      (f, b) => f.unlink('a\0b'),
      (f) => f.rename(42 as never, 'x'),
      (f, b) => f.link(join(b, 'file'), {} as never),
    ];
    for (const call of cases) await same(call);
  });

  it('copyFile: contents, modes, same file, EXCL, and errors like Node', async () => {
    const { COPYFILE_EXCL, COPYFILE_FICLONE } = fs.constants;
    const cases: Array<(f: typeof node, b: string) => Promise<unknown>> = [
      (f, b) => f.copyFile(join(b, 'file'), join(b, 'copy')),
      (f, b) => f.copyFile(join(b, 'big'), join(b, 'copy')),
      (f, b) => f.copyFile(join(b, 'big'), join(b, 'file')), // over a shorter existing file
      (f, b) => f.copyFile(join(b, 'file'), join(b, 'big')), // over a longer one: truncated
      (f, b) => f.copyFile(join(b, 'secret'), join(b, 'copy')), // the mode comes along
      (f, b) => f.copyFile(join(b, 'file'), join(b, 'file')), // the same file: nothing happens
      (f, b) => f.copyFile(join(b, 'sym'), join(b, 'file')), // the same file through a symlink
      (f, b) => f.copyFile(join(b, 'file'), join(b, 'copy'), COPYFILE_EXCL),
      (f, b) => f.copyFile(join(b, 'file'), join(b, 'big'), COPYFILE_EXCL),
      (f, b) => f.copyFile(join(b, 'file'), join(b, 'copy'), COPYFILE_FICLONE),
      (f, b) => f.copyFile(join(b, 'missing'), join(b, 'copy')),
      (f, b) => f.copyFile(join(b, 'dir'), join(b, 'copy')),
      (f, b) => f.copyFile(join(b, 'file'), join(b, 'dir')),
      (f, b) => f.copyFile(join(b, 'file'), join(b, 'no', 'such')),
      (f, b) => f.copyFile(join(b, 'file'), join(b, 'copy'), 99),
      (f, b) => f.copyFile(join(b, 'file'), join(b, 'copy'), 'x' as never),
      (f, b) => f.copyFile('a\0b', join(b, 'copy')),
      (f, b) => f.copyFile(join(b, 'secret'), join(b, 'file')), // over a file of another mode: the source's
      (f, b) => f.copyFile(join(b, 'file'), join(b, 'secret')),
      (f, b) => {
        fs.chmodSync(join(b, 'file'), 0o666); // more than the umask lets open() give: chmod'ed after
        return f.copyFile(join(b, 'file'), join(b, 'copy'));
      },
      (f, b) => {
        fs.chmodSync(join(b, 'file'), 0o2755); // set-group-ID comes along
        return f.copyFile(join(b, 'file'), join(b, 'copy'));
      },
      (f, b) => f.copyFile(join(b, 'file'), join(b, 'big')).then(() => f.copyFile(join(b, 'big'), join(b, 'file'))), // longer, then shorter again
    ];
    for (const call of cases) await same(call);
  });

  it('copyFile onto a FIFO with a reader fails with EINVAL and removes it, as libuv does (ftruncate before the copy)', async () => {
    await same((f, b) => {
      const fifo = join(b, 'fifo');
      execFileSync('mkfifo', [fifo]);
      const reader = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK); // so the copy's open does not wait
      return f.copyFile(join(b, 'file'), fifo).finally(() => fs.closeSync(reader));
    });
  });

  it('1,000 parallel writeFiles to distinct files and to one file: nothing lost or torn', async () => {
    const base = join(root, 'parallel');
    fs.mkdirSync(base);
    await Promise.all(Array.from({ length: 1000 }, (_, k) => uring.writeFile(join(base, `f${k}`), `content ${k}`.repeat(100))));
    for (let k = 0; k < 1000; k++) expect(fs.readFileSync(join(base, `f${k}`), 'utf8')).toBe(`content ${k}`.repeat(100));
    const one = join(base, 'one');
    // Equal lengths: each whole-file write is one write(2) under the inode lock, so whichever came
    // last, the file is exactly one body, never a mix. (With unequal lengths a longer earlier body
    // can leave its tail behind — for node:fs as for us: that is POSIX, not tearing.)
    const bodies = Array.from({ length: 1000 }, (_, k) => Buffer.alloc(8192, k & 0xff));
    await Promise.all(bodies.map((b) => uring.writeFile(one, b)));
    const final = fs.readFileSync(one);
    expect(bodies.some((b) => b.equals(final))).toBe(true);
  });
});
