import { type BigIntStats, constants, fchmod, fstatSync, ftruncate, type PathLike } from 'node:fs';
import * as node from 'node:fs/promises';
import { promisify } from 'node:util';
import { Linux, Op, uringError } from '@uring/abi';
import { getLoop, type Loop } from '@uring/loop';
import { splice, uringUsable } from '@uring/streams';
import { plainPath } from '../fast-args.js';

const fchmodAsync = promisify(fchmod);
const [S_IFMT, S_IFREG] = [BigInt(constants.S_IFMT), BigInt(constants.S_IFREG)];
const ftruncateAsync = promisify(ftruncate);

/**
 * fstat(2) on the spot: IORING_OP_STATX always goes to an io-wq worker, a hand-off (~50 µs here)
 * that cost more than the rest of a small file's copy. Bigint: an inode number may pass 2^53.
 */
const identify = (fd: number) => fstatSync(fd, { bigint: true });

/** ftruncate(fd, length): IORING_OP_FTRUNCATE where the kernel has it (6.9), Node's otherwise. */
function truncate(loop: Loop, fd: number, length: number): Promise<unknown> {
  if (loop.ring.supports(Op.FTRUNCATE)) return loop.submit((s, i) => s.prepFtruncate(i, fd, length), { syscall: 'ftruncate' });
  return ftruncateAsync(fd, length);
}

/**
 * Whether fchmod(2) to `mode` would leave `target` as it is: the same permission bits, no
 * set-user/group-ID bit (chmod clears S_ISGID for a caller outside the file's group), and a file
 * this process owns (or root, with CAP_FOWNER), so that it would not fail with EPERM either.
 */
function chmodChangesNothing(target: BigIntStats, mode: bigint): boolean {
  const euid = process.geteuid?.();
  return (target.mode & 0o7777n) === mode && (mode & 0o6000n) === 0n && (euid === 0 || BigInt(euid ?? -1) === target.uid);
}

/**
 * fs.promises.copyFile with the data moved by the kernel (splice) instead of through JavaScript,
 * with the outcome of libuv's uv__fs_copyfile: open the source, open the destination with the
 * source's mode (O_EXCL with COPYFILE_EXCL), do nothing when both are the same file, give it the
 * source's mode, copy, cut it to what was copied, and remove the destination if anything failed
 * after it was opened. Errors read `copyfile 'src' -> 'dest'` as Node's do. Two steps differ, for
 * the hand-offs to kernel threads they cost, with the same file in the end: libuv truncates the
 * destination to 0 before the copy, this cuts what is left past the copy after it (nothing, for
 * a new file — and on ext4 an emptied file rewritten is flushed at its close, auto_da_alloc, as
 * writeFile's README explains); and fchmod(2) is skipped where it would change nothing. FICLONE
 * modes, URLs, non-regular sources and unusual arguments go to Node.
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
    const source = identify(srcFd);
    if ((source.mode & S_IFMT) !== S_IFREG) {
      delegate = true; // directories, devices, FIFOs: Node's own rules and errors
    } else {
      const perm = source.mode & 0o7777n;
      dstFd = await loop.open(d, Linux.O_WRONLY | Linux.O_CREAT | (excl ? Linux.O_EXCL : 0), Number(perm));
      const target = identify(dstFd);
      if (target.dev !== source.dev || target.ino !== source.ino) {
        // Not a regular file (a device): libuv's order, whose ftruncate fails there (EINVAL).
        if ((target.mode & S_IFMT) !== S_IFREG) await truncate(loop, dstFd, 0);
        // open's mode went through the umask, and an existing file kept its own
        if (!chmodChangesNothing(target, perm)) await fchmodAsync(dstFd, Number(perm));
        const moved = await splice(srcFd, 0, dstFd, 0, Number(source.size));
        if (target.size > BigInt(moved)) await truncate(loop, dstFd, moved);
      }
    }
  } catch (error) {
    failure = error;
  }
  const closing = [loop.closeFd(srcFd), dstFd >= 0 ? loop.closeFd(dstFd) : undefined];
  for (const closed of closing) await closed?.catch((error) => (failure ??= error));
  if (dstFd >= 0 && failure !== undefined) await node.unlink(d).catch(() => {}); // as libuv: an error already happened
  if (delegate) return node.copyFile(src, dest, mode);
  if (failure !== undefined) throw asCopyfile(failure);
}
