import cluster from 'node:cluster';
import type { EventEmitter } from 'node:events';
import { Linux, fcntl } from '@uring/abi';

/**
 * What node:cluster's worker side hands a server for a listen: with the primary's default
 * round-robin a stand-in (the primary accepts, and each connection arrives as a libuv TCP or pipe
 * handle through `onconnection`); with `NODE_CLUSTER_SCHED_POLICY=none` the listening socket itself,
 * bound by the primary and shared by every worker (its `fd`).
 */
export interface ClusterHandle {
  fd?: number;
  close(callback?: () => void): void;
  listen?(backlog: number): number;
  getsockname?(out: Record<string, unknown>): number;
  ref?(): void;
  unref?(): void;
  onconnection?: (status: number, connection: ClusterConnection | undefined) => void;
}

/** A connection the primary handed over: a libuv stream handle with its descriptor. */
export interface ClusterConnection {
  fd: number;
  close(): void;
}

/** What a worker asks the primary for: the fields node:net's listenInCluster sends. */
export interface ClusterQuery {
  /** An IP address, a socket path, or null for every address. */
  address: string | null;
  /** -1 for a path. */
  port: number;
  /** 4 or 6; -1 for a path. */
  addressType: number;
  /** UV_TCP_IPV6ONLY (1) for ipv6Only. */
  flags: number;
  backlog: number;
}

type ClusterInternals = {
  isWorker?: boolean;
  worker?: unknown;
  _getServer?: (server: EventEmitter, query: ClusterQuery, cb: (errno: number, handle: ClusterHandle | null) => void) => void;
};

/**
 * Whether a listen() here goes through the cluster primary, as node:net's does in a process that
 * `cluster.fork()` started: a worker set up by Node, and `exclusive` not asked for. (Node's own
 * `cluster._getServer` carries the request; a worker thread inside such a process has no
 * cluster worker of its own and binds for itself.)
 */
export function inClusterWorker(): boolean {
  const c = cluster as unknown as ClusterInternals;
  return c.isWorker === true && c.worker != null && typeof c._getServer === 'function';
}

/** Asks the primary for `query`'s listening socket, as node:net's listenInCluster: the reply comes to `cb` (errno is a negative errno, 0 on success). */
export function queryPrimary(server: EventEmitter, query: ClusterQuery, cb: (errno: number, handle: ClusterHandle | null) => void): void {
  (cluster as unknown as ClusterInternals)._getServer!(server, query, cb);
}

/**
 * A descriptor of our own for one libuv handed us (F_DUPFD_CLOEXEC): the handle is closed by its
 * owner, our copy by us. `blocking` clears O_NONBLOCK, which libuv sets, where the description is
 * ours alone (a connection); a shared listening socket keeps it, as its other users need. The new
 * descriptor, or -errno.
 */
export function takeDescriptor(fd: number, blocking: boolean): number {
  const own = fcntl(fd, Linux.F_DUPFD_CLOEXEC, 0);
  if (own < 0 || !blocking) return own;
  const flags = fcntl(own, Linux.F_GETFL, 0);
  if (flags >= 0 && flags & Linux.O_NONBLOCK) fcntl(own, Linux.F_SETFL, flags & ~Linux.O_NONBLOCK);
  return own;
}
