import * as node from 'node:fs/promises';
import { backend } from './backend.js';
import { readFile } from './ops/read-file.js';
import { lstat, stat } from './ops/stat.js';
import { link, mkdir, rename, rmdir, symlink, unlink } from './ops/path-ops.js';
import { appendFile, writeFile } from './ops/write-file.js';
import { copyFile } from './ops/copy-file.js';
import { open } from './ops/open.js';

/**
 * node:fs/promises on io_uring. Every function of Node's module is here; those the ring serves so
 * far (open and its FileHandle, stat, lstat, readFile, writeFile, appendFile, unlink, rmdir, mkdir, rename, symlink, link, copyFile) take the ring for well-formed arguments and hand anything else to
 * Node, and the rest are Node's own until they move onto the ring. The README lists which is which.
 */
const promises = {
  ...node,
  stat: stat as typeof node.stat,
  lstat: lstat as typeof node.lstat,
  readFile: readFile as typeof node.readFile,
  writeFile: writeFile as typeof node.writeFile,
  appendFile: appendFile as typeof node.appendFile,
  unlink: unlink as typeof node.unlink,
  rmdir: rmdir as typeof node.rmdir,
  mkdir: mkdir as typeof node.mkdir,
  rename: rename as typeof node.rename,
  symlink: symlink as typeof node.symlink,
  link: link as typeof node.link,
  copyFile: copyFile as typeof node.copyFile,
  open: open as unknown as typeof node.open,
};

/**
 * node:fs/promises' types under the default export too: `import fs from '@uring/fs'` then
 * `fs.FileHandle` in a type. (Types only: the namespace merges with the object above and adds
 * nothing at run time.)
 */
declare namespace promises {
  export type FileHandle = node.FileHandle;
  export type CreateReadStreamOptions = node.CreateReadStreamOptions;
  export type CreateWriteStreamOptions = node.CreateWriteStreamOptions;
  export type FileChangeInfo<T extends string | Buffer> = node.FileChangeInfo<T>;
  export type FileReadOptions<T extends NodeJS.ArrayBufferView = Buffer> = node.FileReadOptions<T>;
  export type FileReadResult<T extends NodeJS.ArrayBufferView> = node.FileReadResult<T>;
  export type FlagAndOpenMode = node.FlagAndOpenMode;
  export type ReadableWebStreamOptions = node.ReadableWebStreamOptions;
}
export default promises;
export { backend };
