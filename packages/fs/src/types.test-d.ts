// Compile-time check (run by `tsc` in `typecheck`): the package is assignable to node:fs/promises.
import type * as nodePromises from 'node:fs/promises';
import uring, * as named from './index.js';

export const asDefault: typeof nodePromises = uring;
export const asNamed: Omit<typeof nodePromises, 'default' | 'FileHandle' | 'glob'> = named;
// Our FileHandle serves wherever Node's is expected.
export const asHandle = (h: named.FileHandle): nodePromises.FileHandle => h;
