/**
 * @uring/fs — a drop-in node:fs/promises on io_uring: `import fs from '@uring/fs'` or
 * `import { readFile } from '@uring/fs'`. `backend()` says whether io_uring or Node serves calls.
 */
import promises from './promises.js';

export default promises;
export { backend } from './backend.js';
export { FileHandle } from './file-handle.js';
export const {
  access, appendFile, chmod, chown, copyFile, cp, lchmod, lchown, lutimes, link, lstat, mkdir, mkdtemp, open,
  opendir, readdir, readFile, readlink, realpath, rename, rm, rmdir, stat, statfs, symlink, truncate,
  unlink, utimes, watch, writeFile, constants,
} = promises;
