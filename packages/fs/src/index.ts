/**
 * @uring/fs — a drop-in node:fs/promises on io_uring: `import fs from '@uring/fs'` or
 * `import { readFile } from '@uring/fs'`. `backend()` says whether io_uring or Node serves calls.
 */
import type * as node from 'node:fs/promises';
import { FileHandle as UringFileHandle } from './file-handle.js';
import promises from './promises.js';

export default promises;
export { backend } from './backend.js';
/**
 * The class of the handles open() gives, on either backend (for `instanceof`). As a type,
 * node:fs/promises' FileHandle: ours implements it whole (types.test-d.ts), and code typed against
 * Node's module compiles against this one.
 */
export const FileHandle = UringFileHandle;
export type FileHandle = node.FileHandle;
/** node:fs/promises' other types, under their names there. */
export type {
  CreateReadStreamOptions,
  CreateWriteStreamOptions,
  FileChangeInfo,
  FileReadOptions,
  FileReadResult,
  FlagAndOpenMode,
  ReadableWebStreamOptions,
} from 'node:fs/promises';
/** node:fs/promises `access`, Node's own implementation (not on the ring yet): same arguments, results and errors. */
export const access = promises.access;
/** Appends to a file, creating it (node:fs/promises `appendFile`). On io_uring: as writeFile with flag 'a'. Where io_uring is unusable, or for arguments the ring path does not take, Node's own. */
export const appendFile = promises.appendFile;
/** node:fs/promises `chmod`, Node's own implementation (not on the ring yet): same arguments, results and errors. */
export const chmod = promises.chmod;
/** node:fs/promises `chown`, Node's own implementation (not on the ring yet): same arguments, results and errors. */
export const chown = promises.chown;
/** Copies a file (node:fs/promises `copyFile`). On io_uring: libuv's steps (open, mode, truncate) with the data spliced in the kernel, never through JavaScript; FICLONE modes are Node's. Where io_uring is unusable, or for arguments the ring path does not take, Node's own. */
export const copyFile = promises.copyFile;
/** node:fs/promises `cp`, Node's own implementation (not on the ring yet): same arguments, results and errors. */
export const cp = promises.cp;
/** node:fs/promises `lchmod`, Node's own implementation (not on the ring yet): same arguments, results and errors. */
export const lchmod = promises.lchmod;
/** node:fs/promises `lchown`, Node's own implementation (not on the ring yet): same arguments, results and errors. */
export const lchown = promises.lchown;
/** Creates a hard link (node:fs/promises `link`). On io_uring: IORING_OP_LINKAT (5.15). Where io_uring is unusable, or for arguments the ring path does not take, Node's own. */
export const link = promises.link;
/** File status of the link itself (node:fs/promises `lstat`). On io_uring: IORING_OP_STATX with AT_SYMLINK_NOFOLLOW (5.6). Where io_uring is unusable, or for arguments the ring path does not take, Node's own. */
export const lstat = promises.lstat;
/** node:fs/promises `lutimes`, Node's own implementation (not on the ring yet): same arguments, results and errors. */
export const lutimes = promises.lutimes;
/** Creates a directory (node:fs/promises `mkdir`). On io_uring: IORING_OP_MKDIRAT (5.15); `{ recursive: true }` is Node's. Where io_uring is unusable, or for arguments the ring path does not take, Node's own. */
export const mkdir = promises.mkdir;
/** node:fs/promises `mkdtemp`, Node's own implementation (not on the ring yet): same arguments, results and errors. */
export const mkdtemp = promises.mkdtemp;
/** Opens a file and resolves a {@link FileHandle} (node:fs/promises `open`). On io_uring: IORING_OP_OPENAT (5.6); the handle's reads, writes, syncs, truncate and close go through the ring too. Where io_uring is unusable, or for arguments the ring path does not take, Node's own. */
export const open = promises.open;
/** node:fs/promises `opendir`, Node's own implementation (not on the ring yet): same arguments, results and errors. */
export const opendir = promises.opendir;
/** node:fs/promises `readdir`, Node's own implementation (not on the ring yet): same arguments, results and errors. */
export const readdir = promises.readdir;
/** A whole file as a Buffer or string (node:fs/promises `readFile`). On io_uring: openat into a direct descriptor and a 64 KiB read linked in one chain, larger files read on in growing chunks; our FileHandle is read from its position. Where io_uring is unusable, or for arguments the ring path does not take, Node's own. */
export const readFile = promises.readFile;
/** node:fs/promises `readlink`, Node's own implementation (not on the ring yet): same arguments, results and errors. */
export const readlink = promises.readlink;
/** node:fs/promises `realpath`, Node's own implementation (not on the ring yet): same arguments, results and errors. */
export const realpath = promises.realpath;
/** Renames a file or directory (node:fs/promises `rename`). On io_uring: IORING_OP_RENAMEAT (5.11). Where io_uring is unusable, or for arguments the ring path does not take, Node's own. */
export const rename = promises.rename;
/** node:fs/promises `rm`, Node's own implementation (not on the ring yet): same arguments, results and errors. */
export const rm = promises.rm;
/** Removes an empty directory (node:fs/promises `rmdir`). On io_uring: IORING_OP_UNLINKAT with AT_REMOVEDIR (5.11); `{ recursive }` is Node's. Where io_uring is unusable, or for arguments the ring path does not take, Node's own. */
export const rmdir = promises.rmdir;
/** File status, following symlinks (node:fs/promises `stat`). On io_uring: IORING_OP_STATX (5.6); `{ bigint: true }` is Node's. Where io_uring is unusable, or for arguments the ring path does not take, Node's own. */
export const stat = promises.stat;
/** node:fs/promises `statfs`, Node's own implementation (not on the ring yet): same arguments, results and errors. */
export const statfs = promises.statfs;
/** Creates a symbolic link (node:fs/promises `symlink`). On io_uring: IORING_OP_SYMLINKAT (5.15). Where io_uring is unusable, or for arguments the ring path does not take, Node's own. */
export const symlink = promises.symlink;
/** node:fs/promises `truncate`, Node's own implementation (not on the ring yet): same arguments, results and errors. */
export const truncate = promises.truncate;
/** Removes a file (node:fs/promises `unlink`). On io_uring: IORING_OP_UNLINKAT (5.11). Where io_uring is unusable, or for arguments the ring path does not take, Node's own. */
export const unlink = promises.unlink;
/** node:fs/promises `utimes`, Node's own implementation (not on the ring yet): same arguments, results and errors. */
export const utimes = promises.utimes;
/** node:fs/promises `watch`, Node's own implementation (not on the ring yet): same arguments, results and errors. */
export const watch = promises.watch;
/** Replaces a file's contents (node:fs/promises `writeFile`). On io_uring, for a path with string or Buffer data: openat → write → close linked in one chain; URLs, iterables, streams and other flags are Node's. Where io_uring is unusable, or for arguments the ring path does not take, Node's own. */
export const writeFile = promises.writeFile;
/** node:fs constants (`F_OK`, `O_RDONLY`, `COPYFILE_EXCL`, …), Node's own. */
export const constants = promises.constants;
