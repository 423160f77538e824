// Compile-time check (run by `tsc` in `typecheck`): the package serves as node:fs/promises in types
// too — its values where Node's are expected, and Node's type names, named and under the default
// export (`import fs from '@uring/fs'` then `fs.FileHandle` in a type). published-types.test.ts
// compiles such uses against the built declarations, as a user of the package gets them.
import type * as nodePromises from 'node:fs/promises';
import uring, * as named from './index.js';
import { FileHandle as UringFileHandle } from './file-handle.js';

/** true when A and B are the same type. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

export const asDefault: typeof nodePromises = uring;
export const asNamed: Omit<typeof nodePromises, 'default' | 'glob'> = named;
// Our FileHandle serves wherever Node's is expected.
export const asHandle = (h: UringFileHandle): nodePromises.FileHandle => h;

export const sameTypes: [
  Same<uring.FileHandle, nodePromises.FileHandle>,
  Same<named.FileHandle, nodePromises.FileHandle>,
  Same<uring.FileReadResult<Buffer>, nodePromises.FileReadResult<Buffer>>,
  Same<named.FileReadOptions, nodePromises.FileReadOptions>,
  Same<uring.CreateReadStreamOptions, nodePromises.CreateReadStreamOptions>,
  Same<named.CreateWriteStreamOptions, nodePromises.CreateWriteStreamOptions>,
  Same<uring.FlagAndOpenMode, nodePromises.FlagAndOpenMode>,
  Same<named.FileChangeInfo<string>, nodePromises.FileChangeInfo<string>>,
  Same<uring.ReadableWebStreamOptions, nodePromises.ReadableWebStreamOptions>,
] = [true, true, true, true, true, true, true, true, true];

export async function uses(path: string): Promise<void> {
  const h: uring.FileHandle = await uring.open(path);
  const h2: named.FileHandle = await named.open(path, 'r');
  const { bytesRead }: uring.FileReadResult<Buffer> = await h.read(Buffer.alloc(4), 0, 4, 0);
  if (h2 instanceof named.FileHandle) await h2.close();
  void bytesRead;
}
