// Differential fuzzing of @uring/fs against node:fs/promises: a seeded generator of operation
// sequences (open/read/write/truncate/stat/rename/unlink/close and more, valid and invalid
// arguments, several at once), run step by step on both in separate temp dirs, comparing every
// result and error, then the final trees. A divergence reports its seed, step and both outcomes;
// `node fuzz/run.mjs --seed N` replays it.
//
// Concurrency stays deterministic: the operations of one step run at once only when they touch
// different files (keyed by inode in Node's tree); anything that changes the namespace (create,
// rename, unlink, mkdir, rmdir) runs alone.
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { rng } from '../../../scripts/rng.mjs';

export { rng };

// Existing files are drawn most often; the rest make the errors (missing, through a file, empty).
const NAMES = ['f0', 'f0', 'f0', 'f1', 'f1', 'f2', 'd/f3', 'd/f3', 'd', 'd/e', 'nope/x', 'f0/x', ''];
const FLAGS = ['r', 'r', 'r+', 'r+', 'w', 'w+', 'wx', 'a', 'a+', 'rs+', 'bogus', 0o1000000000];
const POSITIONS = () => [null, undefined, -1, 0, 1, 4095, 4096, 70000, 2 ** 53, 1.5, '7', -2];
const LENGTHS = [0, 1, 100, 4096, 65536, -1, 1.5];

/** Result or error, with what may legitimately differ between the two trees taken out. */
function outcome(value, root) {
  const clean = (s) => String(s).split(root).join('<root>');
  if (value instanceof Error) {
    return { error: { name: value.name, code: value.code, errno: value.errno, syscall: value.syscall, path: value.path && clean(value.path), dest: value.dest && clean(value.dest), message: clean(value.message) } };
  }
  if (value === undefined) return { ok: 'undefined' };
  if (Buffer.isBuffer(value)) return { ok: { buffer: value.toString('hex') } };
  if (value && typeof value === 'object' && typeof value.isFile === 'function') {
    return { ok: { stats: { size: value.size, mode: value.mode, nlink: value.nlink, file: value.isFile(), dir: value.isDirectory() } } };
  }
  if (value && typeof value === 'object' && 'bytesRead' in value) return { ok: { bytesRead: value.bytesRead, buffer: value.buffer.subarray(0, value.bytesRead).toString('hex') } };
  if (value && typeof value === 'object' && 'bytesWritten' in value) return { ok: { bytesWritten: value.bytesWritten } };
  if (value && typeof value === 'object' && typeof value.fd === 'number') return { ok: 'handle' };
  return { ok: value };
}

/** One side of the comparison: an implementation, its temp dir and its open handles. */
class Side {
  constructor(fs, root) {
    this.fs = fs;
    this.root = root;
    this.handles = [];
  }
  path(name) {
    return name === '' ? '' : join(this.root, name);
  }
}

/** The generator: draws operations given what is open; each returns [keys, solo, run(side)]. */
function draw(r, open) {
  const name = () => r.pick(NAMES);
  const bytes = () => Buffer.from(Array.from({ length: r.pick([0, 1, 10, 3000, 5000]) }, () => r.int(256)));
  const slot = () => (r.chance(0.9) && open.length > 0 ? open.length - 1 - r.int(Math.min(3, open.length)) : r.int(open.length + 1)); // mostly a recent handle
  const ops = [
    () => {
      const n = name();
      const flags = r.pick(FLAGS);
      return { label: `open(${n}, ${flags})`, solo: true, run: async (s) => {
        const h = await s.fs.open(s.path(n), flags, 0o644);
        s.handles.push(h);
        return h;
      } };
    },
    () => {
      const k = slot();
      const len = r.pick(LENGTHS);
      const pos = r.pick(POSITIONS());
      return { label: `h${k}.read(${len}, ${pos})`, handle: k, run: (s) => need(s, k).read(Buffer.alloc(Math.max(0, Math.trunc(len)) || 1), 0, len, pos) };
    },
    () => {
      const k = slot();
      const data = bytes();
      const pos = r.pick(POSITIONS());
      return { label: `h${k}.write(${data.length} B, ${pos})`, handle: k, run: (s) => need(s, k).write(data, 0, data.length, pos) };
    },
    () => {
      const k = slot();
      const text = 'x'.repeat(r.int(50));
      return { label: `h${k}.write('${text.length} chars')`, handle: k, run: (s) => need(s, k).write(text) };
    },
    () => {
      const k = slot();
      const len = r.pick([0, 10, 5000, -1, 'a']);
      return { label: `h${k}.truncate(${len})`, handle: k, run: (s) => need(s, k).truncate(len) };
    },
    () => {
      const k = slot();
      return { label: `h${k}.stat()`, handle: k, run: (s) => need(s, k).stat() };
    },
    () => {
      const k = slot();
      return { label: `h${k}.readFile()`, handle: k, run: (s) => need(s, k).readFile() };
    },
    () => {
      const k = slot();
      return { label: `h${k}.close()`, handle: k, solo: true, run: (s) => need(s, k).close() };
    },
    () => {
      const n = name();
      return { label: `readFile(${n})`, path: n, run: (s) => s.fs.readFile(s.path(n)) };
    },
    () => {
      const n = name();
      const data = bytes();
      return { label: `writeFile(${n}, ${data.length} B)`, path: n, solo: true, run: (s) => s.fs.writeFile(s.path(n), data) };
    },
    () => {
      const n = name();
      return { label: `appendFile(${n})`, path: n, solo: true, run: (s) => s.fs.appendFile(s.path(n), 'tail') };
    },
    () => {
      const n = name();
      return { label: `stat(${n})`, path: n, run: (s) => s.fs.stat(s.path(n)) };
    },
    () => {
      const n = name();
      const len = r.pick([0, 3, 9000, -5]);
      return { label: `truncate(${n}, ${len})`, path: n, run: (s) => s.fs.truncate(s.path(n), len) };
    },
    () => {
      const [a, b] = [name(), name()];
      return { label: `rename(${a}, ${b})`, solo: true, run: (s) => s.fs.rename(s.path(a), s.path(b)) };
    },
    () => {
      const n = name();
      return { label: `unlink(${n})`, solo: true, run: (s) => s.fs.unlink(s.path(n)) };
    },
    () => {
      const n = name();
      return { label: `mkdir(${n})`, solo: true, run: (s) => s.fs.mkdir(s.path(n)) };
    },
    () => {
      const n = name();
      return { label: `rmdir(${n})`, solo: true, run: (s) => s.fs.rmdir(s.path(n)) };
    },
    () => {
      const [a, b] = [name(), name()];
      return { label: `copyFile(${a}, ${b})`, solo: true, run: (s) => s.fs.copyFile(s.path(a), s.path(b)) };
    },
  ];
  // Handle I/O three times as often as the rest, open twice; close stays rare.
  const weights = [2, 3, 3, 3, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
  let x = r.int(weights.reduce((a, b) => a + b, 0));
  let i = 0;
  while (x >= weights[i]) x -= weights[i++];
  return ops[i]();
}

/** The open handle in slot k; a slot that was never filled is a TypeError on both sides alike. */
function need(side, k) {
  const h = side.handles[k];
  if (!h) throw Object.assign(new TypeError(`no handle in slot ${k}`), { code: 'FUZZ_NO_HANDLE' });
  return h;
}

/** What an operation touches in Node's tree: the inode behind its path or handle, or the name itself. */
function keyOf(op, side) {
  try {
    if (op.handle !== undefined) {
      const h = side.handles[op.handle];
      return h ? `ino:${nodeFs.fstatSync(h.fd).ino}` : `slot:${op.handle}`;
    }
    return `ino:${nodeFs.statSync(side.path(op.path)).ino}`;
  } catch {
    return `name:${op.path ?? op.handle}`;
  }
}

/** The tree under root: every entry's type, size and content (hex digest of the bytes). */
export function snapshot(root) {
  const out = {};
  const walk = (dir, prefix) => {
    for (const entry of nodeFs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const rel = prefix + entry.name;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        out[rel] = 'dir';
        walk(full, `${rel}/`);
      } else out[rel] = nodeFs.readFileSync(full).toString('base64');
    }
  };
  walk(root, '');
  return out;
}

/**
 * Runs one seeded sequence of `steps` steps on `ours` and `theirs` (fs/promises-shaped), in
 * `oursRoot` and `theirsRoot` (existing, empty). Resolves { seed, steps, ops } or a divergence
 * { seed, step, label, ours, theirs }.
 */
export async function runSequence(seed, steps, ours, theirs, oursRoot, theirsRoot) {
  const r = rng(seed);
  // The same starting tree on both sides: two files and a directory with one inside.
  for (const root of [oursRoot, theirsRoot]) {
    nodeFs.writeFileSync(join(root, 'f0'), Buffer.alloc(5000, 'a'));
    nodeFs.writeFileSync(join(root, 'f1'), 'hello');
    nodeFs.mkdirSync(join(root, 'd'));
    nodeFs.writeFileSync(join(root, 'd', 'f3'), Buffer.alloc(70000, 'z'));
  }
  const a = new Side(ours, oursRoot);
  const b = new Side(theirs, theirsRoot);
  let ops = 0;
  try {
    for (let step = 0; step < steps; step++) {
      // A step: up to 4 operations on different files at once, or one that must run alone.
      const group = [];
      const keys = new Set();
      const want = 1 + r.int(4);
      for (let tries = 0; group.length < want && tries < 8; tries++) {
        const op = draw(r, b.handles);
        if (op.solo) {
          if (group.length === 0) group.push(op);
          break;
        }
        const key = keyOf(op, b);
        if (keys.has(key)) continue;
        keys.add(key);
        group.push(op);
      }
      const settle = (side) => Promise.all(group.map((op) => Promise.resolve().then(() => op.run(side)).then((v) => outcome(v, side.root), (e) => outcome(e, side.root))));
      const [x, y] = await Promise.all([settle(a), settle(b)]);
      ops += group.length;
      for (let i = 0; i < group.length; i++) {
        if (JSON.stringify(x[i]) !== JSON.stringify(y[i])) return { seed, step, label: group[i].label, ours: x[i], theirs: y[i] };
      }
    }
    return { seed, steps, ops };
  } finally {
    await Promise.allSettled([...a.handles, ...b.handles].map((h) => h.close()));
  }
}

/** Runs a sequence, then compares the final trees; a divergence is returned, not thrown. */
export async function fuzzOne(seed, steps, ours, theirs, oursRoot, theirsRoot) {
  const result = await runSequence(seed, steps, ours, theirs, oursRoot, theirsRoot);
  if ('label' in result) return result;
  const [x, y] = [snapshot(oursRoot), snapshot(theirsRoot)];
  if (JSON.stringify(x) !== JSON.stringify(y)) return { seed, step: steps, label: 'final tree', ours: x, theirs: y };
  return result;
}
