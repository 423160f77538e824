import * as node from 'node:fs/promises';
import { FileHandle, kRef, kUnref } from './file-handle.js';

let linking: Promise<void> | undefined;
let linked = false;

/**
 * Makes Node's own `instanceof FileHandle` checks accept ours, so our handles go where Node's do:
 * node:fs's `createReadStream`/`createWriteStream` with `{ fd: handle }` (lib/internal/fs/streams.js
 * importFd), and node:fs/promises' `readFile`/`writeFile`/`appendFile` given a handle. Node 20 does
 * not export its FileHandle class, but one of its instances gives its prototype away: the first
 * call opens '/' with Node's fs/promises (one thread-pool open and close, once per process), puts
 * that prototype under ours — every method Node's code calls on a handle is ours (read, write,
 * writev, sync, close, on, fd) — and lends our reference counting to the two symbols Node's streams
 * call on a handle they use (`kRef` when the stream takes the handle, `kUnref` when it is done), so a
 * `close()` made while such a stream is open waits for it, as Node's does. Where Node's prototype has
 * no such symbols (a Node release that changed its FileHandle), or the probe fails, nothing is
 * changed and Node's checks refuse ours as before.
 *
 * Resolves once done, or `undefined` when it already is (open() awaits it only the first time).
 */
export function linkNodeFileHandle(): Promise<void> | undefined {
  if (linked) return undefined;
  linking ??= link().then(
    () => {
      linked = true;
    },
    () => {
      linked = true;
    },
  );
  return linking;
}

async function link(): Promise<void> {
  const probe = await node.open('/', 'r');
  await probe.close();
  const prototype = Object.getPrototypeOf(probe) as object;
  const symbols = Object.getOwnPropertySymbols(prototype);
  const ref = symbols.find((symbol) => symbol.description === 'kRef');
  const unref = symbols.find((symbol) => symbol.description === 'kUnref');
  if (ref === undefined || unref === undefined || typeof (prototype as Record<symbol, unknown>)[ref] !== 'function') return;
  const ours = FileHandle.prototype as unknown as Record<symbol, unknown>;
  Object.defineProperty(ours, ref, { value: ours[kRef], writable: true, configurable: true });
  Object.defineProperty(ours, unref, { value: ours[kUnref], writable: true, configurable: true });
  Object.setPrototypeOf(FileHandle.prototype, prototype);
}
