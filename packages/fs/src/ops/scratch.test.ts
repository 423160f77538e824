import * as fs from 'node:fs';
import * as node from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readFile } from './read-file.js';
import { freeCells } from './scratch.js';
import { lstat, stat } from './stat.js';
import { writeFile } from './write-file.js';

const dir = fs.mkdtempSync(join(tmpdir(), 'uring-fs-scratch-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));


describe('paths in scratch cells (where the ring serves the call; Node does elsewhere, with the same results)', () => {
  it('gives the right file for paths that fit a cell, that only fit in bytes, that do not fit, and Buffer paths', async () => {
    // 'é' is two bytes in UTF-8 and '€' three: names near the 255-byte edge either way.
    const names = ['a', 'é'.repeat(100), '€'.repeat(70), 'x'.repeat(200), '€'.repeat(80)];
    const deep = join(dir, 'd'.repeat(200));
    fs.mkdirSync(deep);
    const paths = [...names.map((n) => join(dir, n)), join(deep, 'y'.repeat(100))];
    paths.forEach((p, k) => fs.writeFileSync(p, `file ${k}`));
    for (const [k, p] of paths.entries()) {
      for (const path of [p, Buffer.from(p)]) {
        expect((await readFile(path, 'utf8')) as string).toBe(`file ${k}`);
        const [ours, theirs] = [await stat(path), await node.stat(path)];
        expect(ours.ino).toBe(theirs.ino);
        expect(ours.size).toBe(theirs.size);
        expect((await lstat(path)).mtimeMs).toBe(theirs.mtimeMs);
      }
      await writeFile(p, `new ${k}`);
      expect(fs.readFileSync(p, 'utf8')).toBe(`new ${k}`);
    }
    const missing = join(dir, '€'.repeat(60));
    await expect(stat(missing)).rejects.toMatchObject({ code: 'ENOENT', syscall: 'stat', path: missing });
  });

  it('serves more operations than it has cells and gets every cell back', async () => {
    const paths = Array.from({ length: 100 }, (_, k) => {
      const path = join(dir, `many-${k}`);
      fs.writeFileSync(path, String(k));
      return path;
    });
    const work = Array.from({ length: 1000 }, (_, k) => (k % 3 === 0 ? readFile(paths[k % 100]!, 'utf8') : stat(paths[k % 100]!).then((s) => String(s.size))));
    const results = await Promise.all(work);
    results.forEach((r, k) => expect(r).toBe(k % 3 === 0 ? String(k % 100) : String(String(k % 100).length)));
    expect(freeCells()).toBe(256);
  });
});
