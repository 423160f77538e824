import { constants, fchmod, ftruncate, type PathLike } from 'node:fs';
import * as node from 'node:fs/promises';
import { promisify } from 'node:util';
import { Linux, Op, layout, uringError } from '@uring/abi';
import { getLoop, type Loop } from '@uring/loop';
import { splice, uringUsable } from '@uring/streams';
import { plainPath } from '../fast-args.js';

const fchmodAsync = promisify(fchmod);
const ftruncateAsync = promisify(ftruncate);

interface FileId {
  mode: number;
  size: number;
  dev: string;
  ino: bigint;
}

async function identify(loop: Loop, fd: number): Promise<FileId> {
  const b = await loop.statx('', Linux.AT_EMPTY_PATH, Linux.STATX_BASIC_STATS, fd);
  const S = layout.Statx;
  return {
    mode: b.readUInt16LE(S.mode),
    size: Number(b.readBigUInt64LE(S.size_)),
    dev: `${b.readUInt32LE(S.devMajor)}:${b.readUInt32LE(S.devMinor)}`,
    ino: b.readBigUInt64LE(S.ino),
  };
}

/** ftruncate(fd, 0): IORING_OP_FTRUNCATE where the kernel has it (6.9), Node's otherwise. */
function truncate(loop: Loop, fd: number): Promise<unknown> {
  if (loop.ring.supports(Op.FTRUNCATE)) return loop.submit((s, i) => s.prepFtruncate(i, fd, 0), { syscall: 'ftruncate' });
  return ftruncateAsync(fd, 0);
}

/**
 * fs.promises.copyFile with the data moved by the kernel (splice, in lanes) instead of through
 * JavaScript, following libuv's uv__fs_copyfile step for step: open the source, open the
 * destination with the source's mode (O_EXCL with COPYFILE_EXCL), do nothing when both are the
 * same file, else truncate, set the source's mode, copy, and remove the destination if anything
 * failed after it was opened. Errors read `copyfile 'src' -> 'dest'` as Node's do. FICLONE modes,
 * URLs, non-regular sources and unusual arguments go to Node.
 */
export async function copyFile(src: PathLike, dest: PathLike, mode?: number): Promise<void> {
  const [s, d] = [plainPath(src), plainPath(dest)];
  const excl = mode === constants.COPYFILE_EXCL;
  if (s === undefined || d === undefined || (mode !== undefined && mode !== 0 && !excl) || !uringUsable()) return node.copyFile(src, dest, mode);
  const loop = getLoop();
  const asCopyfile = (error: unknown) => {
    const errno = (error as { errno?: number }).errno;
    return typeof errno === 'number' && errno < 0 ? uringError(errno, 'copyfile', { path: s.toString(), dest: d.toString() }) : error;
  };
  let srcFd: number;
  try {
    srcFd = await loop.open(s, Linux.O_RDONLY);
  } catch (error) {
    throw asCopyfile(error);
  }
  let dstFd = -1;
  let failure: unknown;
  let delegate = false;
  try {
    const source = await identify(loop, srcFd);
    if ((source.mode & constants.S_IFMT) !== constants.S_IFREG) {
      delegate = true; // directories, devices, FIFOs: Node's own rules and errors
    } else {
      dstFd = await loop.open(d, Linux.O_WRONLY | Linux.O_CREAT | (excl ? Linux.O_EXCL : 0), source.mode & 0o7777);
      let same = false;
      if (!excl) {
        const target = await identify(loop, dstFd);
        same = target.dev === source.dev && target.ino === source.ino;
        if (!same) await truncate(loop, dstFd);
      }
      if (!same) {
        await fchmodAsync(dstFd, source.mode & 0o7777); // open's mode went through the umask
        await splice(srcFd, 0, dstFd, 0, source.size);
      }
    }
  } catch (error) {
    failure = error;
  }
  await loop.closeFd(srcFd).catch((error) => (failure ??= error));
  if (dstFd >= 0) {
    await loop.closeFd(dstFd).catch((error) => (failure ??= error));
    if (failure !== undefined) await node.unlink(d).catch(() => {}); // as libuv: an error already happened
  }
  if (delegate) return node.copyFile(src, dest, mode);
  if (failure !== undefined) throw asCopyfile(failure);
}

