import { AsyncResource } from 'node:async_hooks';
import { Duplex, type DuplexOptions } from 'node:stream';
import { isUint8Array } from 'node:util/types';
import { CqeFlag, Errno, FD_MAX, Linux, invalidArgType, invalidArgValue, netError, outOfRange, validateInteger, type SocketAddress } from '@uring/abi';
import { AbortError, Cancellation, CredentialsChangedError, getLoop, viewsAfter, type Multishot } from '@uring/loop';
import { closeOnAbort, validateSignal } from './abort.js';
import { RecvPool } from './recv-pool.js';
import { splice } from '@uring/streams';
import { isIP, type SocketReadyState } from 'node:net';
import { addressInfo, normalizeArgs } from './address.js';
import { connectFirst, connectOne, kAttemptLocal, lookupTargets, planTcp, type Target, type TcpConnectOptions, type TcpPlan } from './connect.js';
import { validateConnectTimeout } from './connect-timeout.js';
import { TIMEOUT_MAX, ioTimedOut, validateIoTimeouts, type IoTimeouts } from './io-timeouts.js';
import * as ops from './socket-ops.js';
import { emitUncaught } from './uncaught.js';

/** new Socket(options): an accepted descriptor to adopt, and connection options. */
export interface SocketOptions {
  /** A connected socket's descriptor (the server hands accepted ones over this way). */
  fd?: number;
  /** Keep the writable side open after the peer's FIN (default false: end it too). */
  allowHalfOpen?: boolean;
  /** Set TCP_NODELAY once connected. */
  noDelay?: boolean;
  /** Set SO_KEEPALIVE once connected, with this initial delay in ms. */
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  /** false: the socket starts with that side ended — it never receives, or never sends (node:net's options, as Duplex reads them). */
  readable?: boolean;
  writable?: boolean;
  /** The stream's buffer sizes, as for any Duplex (the server passes its highWaterMark option on). */
  highWaterMark?: number;
  readableHighWaterMark?: number;
  writableHighWaterMark?: number;
  /**
   * Destroys the socket with an AbortError when aborted, as node:net's: from the next tick if
   * aborted already (connect() then does not connect).
   */
  signal?: AbortSignal;
  /**
   * node:net's onread: received bytes go into `buffer` (or the buffer `buffer()` returns, asked
   * anew after each delivery), at most its length at a time, and to `callback(bytes, buffer)`
   * instead of 'data' events; `callback` returning false stops reading until resume().
   */
  onread?: { buffer: Uint8Array | (() => Uint8Array); callback: (bytes: number, buffer: Uint8Array) => boolean | void };
  /**
   * With `fd`: nothing is received until the socket is resumed (or read) — the kernel holds what
   * arrives. node:net's option of the same name, which its server's `pauseOnConnect` uses.
   */
  pauseOnCreate?: boolean;
}

/** @uring/net's own connect() options, beside node:net's: receive and send timeouts that end the connection (IoTimeouts). */
export interface UringConnectOptions extends IoTimeouts {
  /** How long the connection attempt may take, in ms (0: as long as the kernel tries; see validateConnectTimeout). */
  connectTimeout?: number;
}

/**
 * node:net connect options: port and host (or a Unix path), family, hints and lookup, the local
 * end (localAddress, localPort), autoSelectFamily, timeout and socket options, signal.
 */
export interface ConnectOptions extends TcpConnectOptions, UringConnectOptions {
  path?: string;
  /** net.connect()'s: setTimeout() on the new socket before it connects. socket.connect() ignores it, as node:net's. */
  timeout?: number;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  allowHalfOpen?: boolean;
  /** net.connect()'s: the new socket's (see SocketOptions). socket.connect() ignores it, as node:net's. */
  signal?: AbortSignal;
}

function missingArgs(): TypeError & { code: string } {
  const error = new TypeError('The "options" or "port" or "path" argument must be specified') as TypeError & { code: string };
  error.code = 'ERR_MISSING_ARGS';
  return error;
}

/** connect()'s arguments, as Node's normalizeArgs reads them; none at all is ERR_MISSING_ARGS. */
export function normalizeConnectArgs(args: unknown[]): [ConnectOptions, (() => void) | undefined] {
  if (args.length === 0) throw missingArgs();
  return normalizeArgs<ConnectOptions>(args);
}

/** A sendFile() waiting in the write queue: run at its turn, it calls `done` when the file has gone (or failed). */
type QueuedSplice = (done: (error?: Error | null) => void) => void;

/**
 * The reason a socket's own operations are aborted with at destroy (the `cause` of their
 * AbortErrors, which destroy() swallows): made once, as abort() with none builds a DOMException,
 * stack and all, for every socket.
 */
const DESTROYED = new Error('The socket was destroyed');

/**
 * The byte limit of a receive armed while data flows on (see #recvLimit): armed again in place,
 * an SQE per 16 full pool buffers, and at most this much taken past a pause() before the
 * receive's cancel comes.
 */
const FLOWING_LIMIT = 1024 * 1024;

/** Whether the nextTick queued by a connect() has run (see connect()). */
interface Ticked {
  done: boolean;
}
function markTicked(ticked: Ticked): void {
  ticked.done = true;
}

/** An AbortController aborted once, for every socket destroyed before anything asked for its own. */
const destroyedAbort = new AbortController();
destroyedAbort.abort(DESTROYED);

/** The hook through which an accepted socket's destroy counts it out of its server's connections. */
export const kReleaseConnection = Symbol('releaseConnection');
/** The hook through which a server tells a socket it accepted its family. */
export const kKnownFamily = Symbol('knownFamily');

/**
 * node:net's Socket on io_uring: a Duplex whose reads are recv operations and whose writes are
 * send / writev operations on the thread's loop. Writes queued while one is in flight go out
 * together (Writable's _writev), so a tick's writes cost one kernel round trip. Events in Node's
 * order: connect, ready, data, end, finish, close (with hadError); errors shaped like Node's
 * (`connect ECONNREFUSED 127.0.0.1:1`, `read ECONNRESET`, `write EPIPE`).
 */
export class Socket extends Duplex {
  #fd = -1;
  /** A second connect()'s failure, waiting for the first attempt's descriptor (see #connectAgain). */
  #refuseAgain: (() => void) | undefined;
  /** Set by a failed connect attempt (see kAttemptLocal). */
  [kAttemptLocal]: SocketAddress | undefined;
  /** Set by the server that accepted this socket: called once, at the socket's destroy. */
  [kReleaseConnection]: (() => void) | undefined;
  /**
   * Aborted at destroy: what the connection's operations wait on (the receive clock, a sendFile)
   * — made by the first that asks (#aborter), as most sockets have none.
   */
  #abort: AbortController | undefined;
  get #aborter(): AbortSignal {
    return (this.#abort ??= new AbortController()).signal;
  }
  /**
   * The connect under way, aborted at destroy (its ring operations are cancelled), dropped when it
   * ends: a Cancellation, not an AbortController — that one, made per connect and aborted at
   * destroy, was ~8% of a client's CPU per connection (2026-12-07).
   */
  #connectAbort: Cancellation | undefined;
  #receiving = false;
  #stopping = false;
  /** _read was called and nothing has been pushed since. */
  #requested = false;
  #receive: Multishot | undefined;
  #wantRead = false;
  #inflight = 0;
  #idle: (() => void) | undefined;
  /**
   * Our end()'s shutdown until it has called back, and what waits for that (the peer's FIN, see
   * #ended), run right after the callback: a promise per ended connection cost more.
   */
  #shutdown: { after: (() => void) | undefined } | undefined;
  /** Bytes handed to the kernel's send path — whole writes, as node:net's _bytesDispatched — and spliced (sendFile). */
  #bytesWritten = 0;
  /** The write-queue chunks of sendFile() calls, and the splice each stands for (run when its turn comes; calls back when done). */
  #splices: Map<Buffer, QueuedSplice> | undefined; // made by the first sendFile(): other writes look no further
  /**
   * The bytes of the write being sent (Writable sends one at a time), counted in #bytesWritten
   * already and in writableLength still; not 0 while its send is in flight (what destroy() cancels).
   */
  #writing = 0;
  /** sendFile() splices under way: destroy() leaves the connection to them (see _destroy). */
  #splicing = 0;
  /** resetAndDestroy(): SO_LINGER 0 is set, the close resets the connection. */
  #resetting = false;
  #timeoutMs: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #peer: SocketAddress | undefined;
  #local: SocketAddress | undefined;
  #hadError = false;
  #unref = false;
  #unix: boolean | undefined;
  #recvTimeout = 0;
  #sendTimeout = 0;
  /** When data last arrived (or reading last started): the receive clock's origin. */
  #lastRecv = 0;
  #recvClock = false;
  /** TCP_NODELAY and keep-alive as asked (node:net's kSetNoDelay, kSetKeepAlive…): set on the socket once connected, and not again unchanged. */
  #noDelay = false;
  #keepAlive = false;
  #keepAliveDelay = 0;
  /**
   * Data had arrived, unseen, when destroy() was called: close(2) resets a connection whose
   * receive queue holds unread data (RST, not FIN), and with node:net's sockets such data is
   * still in the kernel's queue when the handle closes; multishot recv has already taken it out,
   * so the close resets itself (SO_LINGER 0): the peer learns its data was lost. What counts is
   * what the receive's later CQEs in the batch being reaped carry — a destroy() from a 'data'
   * handler leaves them — not what arrives while the close waits for sends and the receive's end:
   * node:net's socket is closed by then, and the peer gets its FIN first. Data received before
   * destroy() and left unread in the stream's buffer does not count either — node:net's socket
   * had read it out of the kernel too, and its close sends a FIN.
   */
  #unread = false;
  /** Set by _destroy until its microtask: the CQEs settled meanwhile are the batch's (see #unread). */
  #destroyBatch = false;
  /** onread (see SocketOptions): the buffer bytes go into, the function that gives the next one, the callback. */
  #userBuffer: Uint8Array | undefined;
  #bufferGen: (() => Uint8Array) | undefined;
  #onread: ((bytes: number, buffer: Uint8Array) => boolean | void) | undefined;
  /** onread's callback returned false (or pause()): not reading; what had arrived waits here for resume(). */
  #onreadStopped = false;
  #held: Buffer | undefined;
  /** The peer's FIN arrived while onread was stopped: it follows the held data on resume(). */
  #eofHeld = false;
  /** Both FINs are through — ours (end()'s shutdown(2)) and the peer's (a receive of 0): destroy() has no FIN to send early. */
  #finSent = false;
  #peerFin = false;
  /** resume() or read() has started onread again: the held data goes to the callback from a setImmediate (see #restartOnread). */
  #heldScheduled = false;
  /**
   * The receive found the stream's end on a TCP connection already over (reset) while a send was
   * waiting: the end waits for that send, whose error says what ended the connection (see #onRecv).
   */
  #endAfterSend = false;
  /** connect() was called: node:net's socket has a handle from then on, which shows in its 'close' event. */
  #connectCalled = false;
  /** A TCP connection of our connect(), not yet connected again (see #connectAgain). */
  #reconnectable = false;
  /**
   * The async context of the connect() call, as node:net's socket handle carries it: what the ring
   * completes for this socket (received data, the end, errors, write callbacks, and so 'close') is
   * delivered in it — not in the context of whatever code happened to reap the completion (the
   * submitting microtask of another socket's write, say). An accepted socket (or one made from a
   * descriptor) takes the context it is made in: its server's listen() (see Server), which is the
   * top level where node:net's accepted sockets run unless listen() itself ran in a context.
   */
  #scope!: AsyncResource; // set with the descriptor (#adopt) or at connect(), before any operation on it
  /** The signal given to the constructor (or net.connect): its abort destroys the socket. */
  #signal: AbortSignal | undefined;
  /** 'close' has been emitted: connect() may start a new connection on this object (see #renew). */
  #closeEmitted = false;
  /** Whether connect() is in progress. */
  connecting = false;
  /** Bytes received so far. */
  bytesRead = 0;
  /** The server that accepted this socket, if any. */
  server: unknown;
  /** The `address:port` of each attempt when autoSelectFamily tried several addresses, else undefined (as node:net). */
  declare readonly autoSelectFamilyAttemptedAddresses: string[];

  constructor(options: SocketOptions = {}) {
    rejectObjectMode(options);
    validateKeepAliveDelay(options.keepAliveInitialDelay);
    const { highWaterMark, readableHighWaterMark, writableHighWaterMark, signal, readable, writable } = options;
    // `readable: false` / `writable: false` start that side ended, as node:net's Socket passes them
    // to Duplex: a socket that never reads (nothing is received) or never writes. (Duplex takes
    // them; this @types/node's DuplexOptions does not list them.)
    super({ highWaterMark, readableHighWaterMark, writableHighWaterMark, readable, writable, allowHalfOpen: Boolean(options.allowHalfOpen), emitClose: false, autoDestroy: true, decodeStrings: true } as DuplexOptions);
    if (signal) {
      // As node:net's: aborted (now or later), the socket is destroyed with an AbortError — one
      // aborted already from the next tick, and connect() then does not connect.
      validateSignal(signal, 'signal');
      this.#signal = signal;
      closeOnAbort(this, signal, () => this.destroy(new AbortError(undefined, { cause: signal.reason })));
    }
    if (!this.allowHalfOpen) this.once('end', this.#endedByPeer);
    this.#noDelay = Boolean(options.noDelay);
    this.#keepAlive = Boolean(options.keepAlive);
    this.#keepAliveDelay = keepAliveSeconds(options.keepAliveInitialDelay);
    const { onread } = options; // taken as Node takes it: anything else is ignored
    if (onread !== null && typeof onread === 'object' && (isUint8Array(onread.buffer) || typeof onread.buffer === 'function') && typeof onread.callback === 'function') {
      if (typeof onread.buffer === 'function') this.#bufferGen = onread.buffer;
      else this.#userBuffer = onread.buffer;
      this.#onread = onread.callback;
    }
    if (options.fd !== undefined) {
      validateInteger(options.fd, 'fd', 0, FD_MAX); // as node:net's: stored into SQEs, 1.5 would be fd 1
      // What kind of descriptor a user gave is checked where the exported class constructs
      // (index.ts): a server's accepted sockets come here without that check's system calls.
      this.#adopt(options.fd, Boolean(options.pauseOnCreate));
    }
  }

  /**
   * Without allowHalfOpen the peer's FIN ends our side too (Duplex does that), and a write after
   * it fails as node:net's `writeAfterFIN` does: EPIPE, "This socket has been ended by the other
   * party", the callback called with it and the socket destroyed — not Writable's
   * ERR_STREAM_WRITE_AFTER_END.
   */
  readonly #endedByPeer = (): void => {
    this.write = ((chunk: unknown, encoding?: BufferEncoding | ((error?: Error | null) => void), cb?: (error?: Error | null) => void): boolean => {
      if (!this.writableEnded) return Duplex.prototype.write.call(this, chunk, encoding as BufferEncoding, cb);
      if (typeof encoding === 'function') cb = encoding;
      const error = Object.assign(new Error('This socket has been ended by the other party'), { code: 'EPIPE' });
      if (typeof cb === 'function') process.nextTick(cb, error);
      this.destroy(error);
      return false;
    }) as typeof this.write;
  };

  /** Takes a connected descriptor: receiving starts at once, or — `paused` — once resumed or read. */
  #adopt(fd: number, paused = false): void {
    this.#fd = fd;
    this.#scope = new AsyncResource('URING_SOCKET');
    this.#firstUserBuffer();
    if (paused) (this as { readableFlowing: boolean | null }).readableFlowing = false; // as node:net's pauseOnCreate: no 'pause' event
    else this.read(0); // start receiving at once, as Node's sockets do: EOF is seen even if nobody reads
  }

  /** onread with a buffer function: its first buffer, once the socket has a descriptor (node:net: one that is not a Uint8Array leaves 'data' events on). */
  #firstUserBuffer(): void {
    if (!this.#bufferGen || this.#userBuffer) return;
    const first = this.#bufferGen();
    if (isUint8Array(first)) this.#userBuffer = first;
    else this.#onread = undefined;
  }

  /** What the server that accepted this socket knows already: whether it is a Unix socket (no getsockname then). */
  [kKnownFamily](unix: boolean): void {
    this.#unix = unix;
  }

  #isUnix(): boolean {
    this.#unix ??= ops.sockName(this.#fd, false)?.family === 'unix';
    return this.#unix;
  }

  /** The peer's address, looked up once while connected (Node caches it the same way). */
  #peerAddress(): SocketAddress | undefined {
    if (this.#peer === undefined && this.#fd >= 0 && !this.connecting && !this.destroyed) this.#peer = ops.sockName(this.#fd, true);
    return this.#peer;
  }

  /**
   * This end's address while the socket is open, looked up once connected (node:net caches it the
   * same way: localAddress, localPort and address() cost no getsockname each); none once destroyed
   * (node:net drops its handle then).
   */
  #localName(): SocketAddress | undefined {
    if (this.#fd < 0 || this.destroyed) return undefined;
    if (this.connecting) return ops.sockName(this.#fd, false);
    return (this.#local ??= ops.sockName(this.#fd, false));
  }

  // The getters answer on Socket.prototype itself (nothing connected: node:net's answers), as
  // code that walks prototypes (inspection, mocking) reads them there.

  get pending(): boolean {
    if (!(#fd in this)) return true;
    return this.#fd === -1 || this.connecting || this.destroyed;
  }

  /** node:net's legacy name for `connecting`. */
  get _connecting(): boolean {
    return this.connecting;
  }

  get readyState(): SocketReadyState {
    if (this.connecting) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable && !this.writable) return 'readOnly';
    if (!this.readable && this.writable) return 'writeOnly';
    return 'closed';
  }

  get bytesWritten(): number {
    if (!(#fd in this)) return undefined as unknown as number; // on Socket.prototype itself
    return this.#bytesWritten + this.writableLength - this.#writing;
  }

  /**
   * writableLength while the socket is connected or connecting; undefined before connect() and
   * once destroyed, as node:net's (which answers through its handle, there from connect() to
   * destroy()).
   */
  get bufferSize(): number {
    const connection = #fd in this && (this.#fd !== -1 || this.connecting) && !this.destroyed;
    return connection ? this.writableLength : (undefined as unknown as number); // node:net's types say number
  }

  /**
   * The socket's descriptor while it has one and is not destroyed. node:child_process's spawn()
   * takes a stream given as a child's stdin, stdout or stderr by its descriptor (`typeof stdio.fd
   * === 'number'`, lib/internal/child_process.js) — a node:net socket, by its native handle — so
   * this is what lets ours go there as node:net's do (the child gets a duplicate). node:net's
   * Socket has no such property, and its types do not name one.
   */
  get fd(): number | undefined {
    if (!(#fd in this)) return undefined;
    if (this.#fd < 0 || this.destroyed) return undefined;
    // Whoever takes the descriptor (spawn's stdio: a child writing to it) comes after the writes
    // made before, as with node:net's write(2) done in the call: they go to the kernel now.
    if (this.#writing > 0) getLoop().submitPending();
    return this.#fd;
  }

  get remoteAddress(): string | undefined {
    if (!(#fd in this)) return undefined;
    const peer = this.#peerAddress();
    return peer && peer.family !== 'unix' ? peer.address : undefined;
  }

  get remotePort(): number | undefined {
    if (!(#fd in this)) return undefined;
    const peer = this.#peerAddress();
    return peer && peer.family !== 'unix' ? peer.port : undefined;
  }

  get remoteFamily(): string | undefined {
    if (!(#fd in this)) return undefined;
    const peer = this.#peerAddress();
    return peer && peer.family !== 'unix' ? peer.family : undefined;
  }

  get localAddress(): string | undefined {
    if (!(#fd in this)) return undefined;
    const local = this.#localName();
    return local && local.family !== 'unix' ? local.address : undefined;
  }

  get localFamily(): string | undefined {
    if (!(#fd in this)) return undefined;
    const local = this.#localName();
    return local && local.family !== 'unix' ? local.family : undefined;
  }

  get localPort(): number | undefined {
    if (!(#fd in this)) return undefined;
    const local = this.#localName();
    return local && local.family !== 'unix' ? local.port : undefined;
  }

  /**
   * This end's address as node:net gives it: `{ address, family, port }` for TCP, and `{}` for a
   * Unix socket — node:net asks its handle, and libuv's pipe handle answers nothing (a server's
   * address() is its path; a connection's, client or accepted, is `{}`).
   */
  address(): { address: string; family: string; port: number } | object {
    const local = this.#localName();
    return local && local.family !== 'unix' ? (addressInfo(local) as { address: string; family: string; port: number }) : {};
  }

  /**
   * connect(options[, listener]), connect(port[, host][, listener]), connect(path[, listener]).
   * A host name is looked up now (options.lookup or dns.lookup; 'lookup' events); with several
   * addresses and autoSelectFamily (node:net's default), they are tried in turn (see connectFirst).
   */
  connect(...args: unknown[]): this {
    const [options, cb] = normalizeConnectArgs(args);
    if (!this.destroyed && (this.connecting || this.#fd !== -1)) return this.#connectAgain(options, cb);
    if (options.path == null && options.port === undefined) throw missingArgs();
    const pipe = Boolean(options.path); // as Node: an empty or null path with a port is TCP
    if (pipe && typeof options.path !== 'string') throw invalidArgType('options.path', 'of type string', options.path);
    const plan = pipe ? undefined : planTcp(options);
    const connectTimeout = validateConnectTimeout(options.connectTimeout);
    if (this.#signal?.aborted) return this; // destroyed by its signal (or about to be): no connection
    if (this.destroyed) {
      // A closed socket connects afresh, as node:net's (its docs: connect() is for reconnecting
      // after 'close'); one still closing does so once its 'close' is out.
      if (!this.#closeEmitted) {
        if (options.recvTimeout !== undefined || options.sendTimeout !== undefined) validateIoTimeouts(options);
        this.once('close', () => this.#reconnect(args));
        return this;
      }
      this.#renew();
    }
    if (options.recvTimeout !== undefined || options.sendTimeout !== undefined) this.setIoTimeouts(options);
    this.connecting = true; // before the lookup: one that calls back at once must find the socket connecting
    // An IP address is its own target, at once: no lookup and no promise for it.
    let targets: Promise<Target[] | undefined> | Target[] | undefined;
    try {
      const literal = plan ? isIP(plan.host) : 0;
      if (plan) targets = literal ? [{ address: plan.host, family: literal as 4 | 6 }] : lookupTargets(this, plan, options);
    } catch (error) {
      this.connecting = false;
      throw error;
    }
    if (cb) this.once('connect', cb);
    this.#unix = pipe;
    this.#connectCalled = true;
    this.#scope = new AsyncResource('URING_SOCKET');
    // 'connect' never comes before what was queued with nextTick meanwhile — node:net's comes from
    // a later event-loop turn — though the ring can connect within the caller's microtasks.
    const ticked: Ticked = { done: false };
    process.nextTick(markTicked, ticked);
    this.#track(this.#connect(options, plan, targets, connectTimeout, ticked));
    return this;
  }

  /** connect() deferred until 'close': what it throws then (a lookup's error) destroys the new connection. */
  #reconnect(args: unknown[]): void {
    try {
      this.connect(...args);
    } catch (error) {
      this.destroy(error as Error);
    }
  }

  /**
   * A closed socket made ready for a new connection, as node:net's connect() does with
   * _undestroy(): the stream's state, and everything that belonged to the last connection.
   * Settings stay (noDelay, keep-alive, timeouts, onread, ref/unref), as on node:net's socket.
   */
  #renew(): void {
    (this as unknown as { _undestroy(): void })._undestroy();
    this.#abort = undefined;
    this.#connectAbort = undefined;
    this.#receiving = false;
    this.#stopping = false;
    this.#requested = false;
    this.#receive = undefined;
    this.#wantRead = false;
    this.#idle = undefined;
    this.#peer = undefined;
    this.#local = undefined;
    this.#hadError = false;
    this.#unix = undefined;
    this.#reconnectable = false;
    this.#recvClock = false;
    this.#unread = false;
    this.#resetting = false;
    this.#onreadStopped = false;
    this.#held = undefined;
    this.#eofHeld = false;
    this.#finSent = false;
    this.#peerFin = false;
    this.#endAfterSend = false;
    this.#connectCalled = false;
    this.#closeEmitted = false;
    this.bytesRead = 0;
    this.#bytesWritten = 0;
    this.#refuseAgain = undefined;
    this[kAttemptLocal] = undefined;
    // node:net puts its write back too (writeAfterFIN replaced it when the peer ended).
    if (Object.hasOwn(this, 'write')) delete (this as { write?: unknown }).write;
    this.off('end', this.#endedByPeer);
    if (!this.allowHalfOpen) this.once('end', this.#endedByPeer);
  }

  /**
   * connect() on a socket connecting or connected: node:net does not throw; the kernel refuses a
   * second connect on the same socket (EALREADY, or EISCONN once connected) and the socket is
   * destroyed with `connect EALREADY <address>:<port> - Local (<its own end>)`, a tick later —
   * node:net's first connect(2) has been made by then and bound the local end. Ours may still be
   * in the ring (its socket and connect operations settle from a later tick): the error then waits
   * for the first attempt's descriptor, or its failure, and names the local end the same.
   */
  #connectAgain(options: ConnectOptions, cb: (() => void) | undefined): this {
    if (!this.connecting && this.#reconnectable && !options.path) {
      // node:net: connect() on a TCP socket it connected calls connect(2) again, and the kernel
      // answers the first such call on a socket whose nonblocking connect completed with 0 — the
      // way a nonblocking connect is finished — so 'connect' and 'ready' come again, on the same
      // connection; any later call is EISCONN (below), as for an accepted or a Unix socket. The
      // ring's connect finished the kernel's side already, so the first call is answered here.
      // The arguments are checked as for a first connect.
      planTcp(options);
      this.#reconnectable = false;
      if (cb) this.once('connect', cb);
      this.connecting = true;
      setImmediate(() => {
        if (this.destroyed || !this.connecting) return;
        this.connecting = false;
        this.emit('connect');
        this.emit('ready');
        if (this.#wantRead) this.#startRead(); // a _read made meanwhile waited for the connection
      });
      return this;
    }
    if (cb) this.once('connect', cb);
    const errno = this.connecting ? -Errno.EALREADY : -Errno.EISCONN;
    this.connecting = true; // as node:net's connect(), until the error destroys the socket
    const refuse = (): void => {
      const local = this.#fd >= 0 ? ops.sockName(this.#fd, false) : this[kAttemptLocal];
      const bound = local && local.family !== 'unix' && local.port > 0 ? { address: local.address, port: local.port } : undefined;
      this.destroy(netError(errno, 'connect', options.path ? { address: options.path } : { address: options.host || 'localhost', port: Number(options.port), local: bound }));
    };
    process.nextTick(() => {
      if (this.#fd === -1 && this.connecting && !this.destroyed) this.#refuseAgain = refuse;
      else refuse();
    });
    return this;
  }

  async #connect(options: ConnectOptions, plan: TcpPlan | undefined, targets: Promise<Target[] | undefined> | Target[] | undefined, connectTimeout: number, ticked: Ticked): Promise<void> {
    const signal = (this.#connectAbort = new Cancellation());
    let fd: number;
    try {
      if (plan === undefined) fd = await connectOne(this, { path: options.path! }, undefined, signal, connectTimeout);
      else {
        const list = Array.isArray(targets) ? targets : await targets;
        if (list === undefined || !this.connecting) return;
        fd = list.length === 1 ? await connectOne(this, list[0]!, plan, signal, connectTimeout) : await connectFirst(this, list, plan!, signal, connectTimeout);
      }
    } catch (error) {
      this.connecting = false;
      if (this.#refuseAgain) this.#refuseAgain(); // node:net reports the second connect()'s EALREADY, not this
      else if (!(error instanceof AbortError)) this.destroy(error as Error);
      return;
    } finally {
      if (this.#connectAbort === signal) this.#connectAbort = undefined;
    }
    this.#fd = fd; // destroyed meanwhile: _destroy closes it once this returns
    this.#reconnectable = plan !== undefined;
    this.#refuseAgain?.();
    this.#firstUserBuffer();
    // (Done by now unless the connect completed within the caller's microtasks.)
    if (!ticked.done) await new Promise((resolve) => process.nextTick(resolve));
    if (this.destroyed) return;
    this.connecting = false;
    if (!this.#unix) {
      if (this.#noDelay) ops.setIntOption(fd, Linux.IPPROTO_TCP, Linux.TCP_NODELAY, 1);
      if (this.#keepAlive) ops.setKeepAlive(fd, true, this.#keepAliveDelay);
    }
    this.#touch();
    // (In a promise's reaction here: a listener's throw is made uncaught, as from node:net's afterConnect.)
    if (!emitUncaught(this, 'connect') || !emitUncaught(this, 'ready')) return;
    if (this.#wantRead) this.#startRead();
    else if (!this.isPaused()) this.read(0);
  }

  /** Counts an operation in flight: _destroy closes the descriptor only after the last one. */
  #track(p: Promise<unknown>): void {
    this.#inflight++;
    p.then(this.#untrack, this.#untrack); // one reaction, where finally() and its catch() made two promises
  }

  readonly #untrack = (): void => {
    if (--this.#inflight === 0) this.#idle?.();
  };

  override _read(): void {
    if (this.#recvTimeout > 0 && !this.#requested) this.#lastRecv = performance.now(); // reading (again): the clock starts
    this.#wantRead = true;
    this.#requested = true;
    if (this.#fd === -1 || this.connecting) return; // starts once connected
    this.#startRead();
  }

  /**
   * Arms a multishot recv (6.0) over the loop's provided-buffer ring: one SQE for as long as the
   * socket is read, a CQE per arrival, each copied out of its pool buffer and pushed. When the
   * stream is full (push() returns false) the receive is cancelled — a paused socket holds no
   * armed receive and no pool buffer — and _read arms it again once the consumer has caught up.
   */
  #startRead(): void {
    if (this.#receiving || this.#onreadStopped || this.destroyed) return;
    this.#receiving = true;
    this.#stopping = false;
    this.#lastRecv = performance.now();
    this.#armRecvClock();
    const loop = getLoop();
    const pool = RecvPool.of(loop);
    const fd = this.#fd;
    const scope = this.#scope;
    this.#inflight++; // until it has ended (onEnd)
    // With a byte limit (pool.limits), the receive ends once it has taken what the stream had room
    // for when it was armed: armed again at once while data flows on, else by the next _read. Where
    // the kernel has no limit, a stream that does not flow gets one receive at a time (a single-shot
    // recv, up to a pool buffer), armed again by its next _read, as node:net reads.
    const oneShot = !pool.limits && !this.#flowing();
    let limitEnded = false;
    const receive = loop.multishot(
      (s, i) => {
        if (oneShot) s.prepRecv(i, fd, 0, 0);
        else s.prepRecvMultishot(i, fd, 0, 0);
        s.bufferSelect(i, pool.bgid);
        if (pool.limits) s.setRecvLimit(i, this.#recvLimit());
      },
      {
        rearm:
          pool.limits || oneShot
            ? (res) => {
                if (res === -Errno.ENOBUFS) return true; // the pool ran dry: armed again as without a limit
                if (res <= 0) return false;
                if (!oneShot && this.#flowsOn()) return true;
                limitEnded = true;
                return false;
              }
            : undefined,
        syscall: 'read',
        net: {},
        keep: pool, // the pool holds every buffer the kernel may write into
        // No abort signal: _destroy cancels it, and its CQEs still come to #onRecv until the last,
        // which gives their buffers back and tells data that arrived after destroy() (see #unread).
        unref: this.#unref,
        onCqe: (res, flags) => scope.runInAsyncScope(this.#onRecv, this, res, flags, pool, receive),
        // (Not scope.bind: Node 20's makes two deprecate() wrappers for each bound function.)
        onEnd: (error) => {
          try {
            if (error === undefined) scope.runInAsyncScope(over);
            else scope.runInAsyncScope(failed, undefined, error as NodeJS.ErrnoException);
          } finally {
            this.#untrack();
          }
        },
      },
    );
    this.#receive = receive;
    // Ended by a loop retired after a credentials change — cancelled by it, or refused before the
    // kernel saw it (CredentialsChangedError): receiving goes on from getLoop()'s new loop.
    const again = () => !this.destroyed && !this.readableEnded && !this.#onreadStopped && !this.#stopping && loop.credentialsChanged;
    const over = () => {
      this.#receiving = false;
      this.#receive = undefined;
      // Cancelled because the stream was full, or out of pool buffers while being cancelled (the
      // loop ends such a receive without an error): arm again if the stream has asked for more
      // meanwhile (its _read call found us still armed).
      if ((this.#stopping || limitEnded) && this.#requested && !this.#onreadStopped && !this.destroyed && !this.readableEnded) this.#startRead();
      else if (again()) this.#startRead();
    };
    const failed = (error: NodeJS.ErrnoException) => {
      this.#receiving = false;
      this.#receive = undefined;
      if (again() && error instanceof CredentialsChangedError) this.#startRead();
      else if (!(error instanceof AbortError) && !this.destroyed) this.destroy(error);
    };
  }

  /**
   * How much one arming of the receive may take (Sqes.setRecvLimit): what the stream has room for
   * below its highWaterMark (up to FLOWING_LIMIT) — at least one byte, so one receive of up to a
   * pool buffer, as node:net reads 64 KiB at a time until push() says the stream is full — or
   * FLOWING_LIMIT while data goes straight on to 'data' listeners or onread. Without a limit a
   * paused socket took all the kernel had, up to the whole pool (4 MiB), before its cancel came;
   * node:net's holds one read.
   */
  #recvLimit(): number {
    if (this.#flowing()) return FLOWING_LIMIT;
    // (Never above FLOWING_LIMIT: the SQE's field is 32 bits, which a highWaterMark need not be.)
    return Math.min(Math.max(this.readableHighWaterMark - this.readableLength, 1), FLOWING_LIMIT);
  }

  /** Whether what arrives goes straight on, to 'data' listeners or onread, rather than into the stream's buffer. */
  #flowing(): boolean {
    return this.#onread !== undefined || this.readableFlowing === true;
  }

  /** Whether a receive that has taken its limit is armed again at once: data flows on (and nothing asked it to stop). */
  #flowsOn(): boolean {
    if (this.#stopping || this.destroyed) return false;
    if (this.#onread) return !this.#onreadStopped;
    return this.readableFlowing === true && this.readableLength < this.readableHighWaterMark;
  }

  /** One receive's completion: data pushed (or handed to onread), or the end. */
  #onRecv(res: number, flags: number, pool: RecvPool, receive: Multishot): void {
    if (res > 0 && flags & CqeFlag.BUFFER) {
      const bid = flags >>> 16;
      if (this.destroyed) {
        pool.release(bid);
        if (this.#destroyBatch) this.#unread = true;
        return;
      }
      this.bytesRead += res;
      if (this.#recvTimeout > 0) this.#lastRecv = performance.now();
      this.#touch();
      if (this.#onread) {
        // Straight from the pool buffer into the caller's: one copy (#deliver keeps a copy of what it holds back).
        try {
          this.#deliver(pool.view(bid, res));
        } finally {
          pool.release(bid);
        }
        return;
      }
      const chunk = pool.take(bid, res);
      this.#requested = false; // push() calls _read again if the stream wants more
      if (!this.push(chunk) && !this.#stopping) {
        this.#stopping = true;
        receive.cancel();
      }
    } else if (res === 0 && !this.destroyed) {
      this.#peerFin = true;
      // A reset that meets a waiting send and this receive: the kernel hands its error to the
      // operation it runs first, and the other sees the connection over — here an end of stream,
      // the send's error still to come. Which error it is tells what happened: ECONNRESET, the peer
      // reset a connection that was open (node:net's read learns of it first: see #sent); EPIPE, it
      // reset one that had ended with a FIN (node:net's write fails first, and the error destroys
      // the socket before its 'end'). So the end waits for the send.
      if (this.#writing > 0 && ops.isClosedTcp(this.#fd)) {
        this.#endAfterSend = true;
        return;
      }
      this.#endOfStream();
    }
  }

  /** The peer's FIN (or a reset's end of stream): 'end' after what was received, or held behind onread's stop. */
  #endOfStream(): void {
    if (this.#onreadStopped || this.#held !== undefined) this.#eofHeld = true; // onread said stop: the end waits behind the data held
    else this.#ended();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const splice = this.#splices?.get(chunk);
    if (splice) this.#send([], (error) => (error ? callback(error) : splice(callback))); // once connected
    else this.#send(chunk.length > 0 ? [chunk] : [], callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    const buffers: Buffer[] = [];
    for (let k = 0; k < chunks.length; k++) {
      const splice = this.#splices?.get(chunks[k]!.chunk);
      if (splice) {
        // A sendFile() among them: what was written before it, then the file, then the rest.
        const rest = chunks.slice(k + 1);
        this.#send(buffers, (error) => {
          if (error) return callback(error);
          splice(() => (rest.length > 0 ? this._writev(rest, callback) : callback()));
        });
        return;
      }
      if (chunks[k]!.chunk.length > 0) buffers.push(chunks[k]!.chunk);
    }
    this.#send(buffers, callback);
  }

  /** A write's buffers (decodeStrings: every chunk is a Buffer), sent once connected. */
  #send(buffers: Buffer[], callback: (error?: Error | null) => void): void {
    if (this.connecting || this.#fd === -1) {
      if (!this.connecting) return callback(socketClosed());
      // Sent once connected; closed first, the write fails as node:net's does.
      const onClose = () => callback(codedError('Socket closed before the connection was established', 'ERR_SOCKET_CLOSED_BEFORE_CONNECTION'));
      this.once('close', onClose);
      this.once('connect', () => {
        this.off('close', onClose);
        this.#send(buffers, callback);
      });
      return;
    }
    this.#inflight++;
    let total = 0;
    for (const b of buffers) total += b.length;
    this.#bytesWritten += total;
    this.#writing = total;
    this.#sendFrom(buffers, callback);
  }

  /**
   * Sends `rest` in full — again from where a short send, or the IOV_MAX buffers one send takes,
   * stopped — then calls back and counts the write out of flight (_destroy closes the descriptor
   * only after the last one). The send calls back from the loop's reap: a write allocates no promise.
   */
  #sendFrom(rest: readonly ArrayBufferView[], callback: (error?: Error | null) => void): void {
    if (rest.length === 0) {
      process.nextTick(() => this.#wrote(callback)); // as node:net calls back a write done at once
      return;
    }
    ops.send(this.#fd, rest, this.#sendTimeout, (error, n) => this.#scope.runInAsyncScope(this.#sent, this, rest, callback, error, n));
  }

  /** A send's completion: the rest sent, or the write called back. */
  #sent(rest: readonly ArrayBufferView[], callback: (error?: Error | null) => void, error: Error | null, n: number): void {
    // Refused unsent by a loop retired after a credentials change: sent again on getLoop()'s new loop.
    if (error instanceof CredentialsChangedError) return this.#sendFrom(rest, callback);
    // Destroyed meanwhile (its send cancelled, or failed since): no error, as node:net's
    // onWriteComplete calls back a destroyed stream's write.
    if (this.destroyed) return this.#wrote(callback);
    if (error) {
      // A peer's reset that met this waiting send while the receive was armed, the receive seeing
      // the connection over (its end of stream held for this send): node:net's socket learns of
      // such a reset from its read — libuv's uv__stream_io reads before it writes when both are
      // ready — and calls the write back as a destroyed stream's. Reported as node:net's is. (A
      // send made after the reset had come gets it as node:net's write(2) does: `write ECONNRESET`.)
      if ((error as NodeJS.ErrnoException).code === 'ECONNRESET' && this.#endAfterSend) {
        this.destroy(netError(-Errno.ECONNRESET, 'read', {}));
        return this.#wrote(callback);
      }
      return this.#wrote(callback, error);
    }
    this.#touch();
    const next = viewsAfter(rest, n);
    if (next.length > 0) return this.#sendFrom(next, callback);
    this.#wrote(callback);
    // The send held an end of stream and went through after all: the end now.
    if (this.#endAfterSend && this.#writing === 0 && !this.destroyed) {
      this.#endAfterSend = false;
      this.#endOfStream();
    }
  }

  /** The write is over: its callback, then the count _destroy waits on (also if the callback throws). */
  #wrote(callback: (error?: Error | null) => void, error?: Error): void {
    this.#writing = 0; // out of writableLength with this callback
    try {
      callback(error);
    } finally {
      if (--this.#inflight === 0) this.#idle?.();
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    // Not connected (yet): end() waits for the connection, as node:net's (pending) does.
    if (this.connecting || this.#fd === -1) {
      this.once('connect', () => this._final(callback));
      return;
    }
    // The FIN now (shutdown(2), see ops.shutdown); the callback — 'finish' — from the check phase.
    // node:net's calls back from a later poll (libuv's uv__drain: shutdown(2), then the callback),
    // so a write made on 'end' (after end() without allowHalfOpen) still finds the stream not
    // finished: writeAfterFIN's EPIPE, then 'error' — finishing at once destroyed the socket first.
    const errno = ops.shutdown(this.#fd);
    this.#finSent = errno >= 0;
    const error = errno >= 0 || errno === -Errno.ENOTCONN ? null : netError(errno, 'shutdown');
    const shutdown: { after: (() => void) | undefined } = { after: undefined };
    this.#shutdown = shutdown;
    setImmediate(() => {
      if (this.#shutdown === shutdown) this.#shutdown = undefined;
      try {
        callback(error);
      } finally {
        shutdown.after?.();
      }
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#hadError = Boolean(error);
    this.connecting = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    // Cancels a connect in flight (the loop keeps its address until the kernel is done).
    this.#connectAbort?.abort(DESTROYED);
    this.#connectAbort = undefined;
    // What else waits on the socket; none made: the shared aborted one, so what asks after this is refused.
    if (this.#abort) this.#abort.abort(DESTROYED);
    else this.#abort = destroyedAbort;
    // node:net's close(2) ends the connection during the call: the peer gets the FIN before
    // anything it writes later in this tick arrives (and such data then resets, as at a closed
    // socket). Ours closes once its receive and sends have ended, at the next submit at the
    // earliest — so where that close would send a FIN, it shuts the connection both ways now, as
    // the close would: no write or sendFile() under way (their bytes go first, as those
    // node:net's write had handed the kernel), no resetAndDestroy(), and nothing received unseen —
    // neither CQEs this reap has still to deliver (see #unread) nor bytes in the kernel's queue —
    // which makes the close a reset instead. With both FINs through (an end() and the peer's end)
    // there is nothing left to send or to refuse: no shutdown(2) (ENOTCONN) and no FIONREAD.
    if (
      this.#fd !== -1 &&
      !(this.#finSent && this.#peerFin) &&
      !this.connecting &&
      !this.#resetting &&
      this.#writing === 0 &&
      this.#splicing === 0 &&
      !this.#receive?.pendingInReap() &&
      ops.unreadInKernel(this.#fd) === 0
    ) {
      ops.shutdownBoth(this.#fd);
    }
    this.#receive?.cancel(); // its last CQEs still come; the descriptor closes after them (see #track)
    this.#destroyBatch = true;
    queueMicrotask(() => (this.#destroyBatch = false));
    // A send the peer takes no data for would hold the close back for ever: cancelled, as node:net's
    // close cancels its writes. Refused (a loop closed, or retired by a credentials change, whose
    // sends a new loop cannot cancel), it ends when the peer takes the data or the connection drops.
    if (this.#writing > 0 && this.#fd !== -1) ops.cancelAll(this.#fd).catch(() => undefined); // ENOENT: it had just ended
    // Done at once, as node:net's _destroy, whose handle closes later: the error goes out (next
    // tick) before the callbacks of writes cancelled with the close, and before 'close'.
    callback(error);
    const finish = () => {
      const fdNow = this.#fd; // a connect that ended meanwhile leaves its descriptor here
      const reset = fdNow !== -1 && this.#unread && !this.#isUnix();
      this.#fd = -1;
      if (fdNow === -1 && !this.#connectCalled) {
        // Never connected nor connecting (node:net: no handle): 'close' with no argument, next tick.
        process.nextTick(() => this.#emitClose());
        return;
      }
      if (reset) ops.setLinger(fdNow, 0);
      // 'close' in a later event-loop turn than 'error', as node:net's comes from the handle's
      // close callback: the error went out in a nextTick queued by callback(), and code that
      // awaits 'error', then 'close', must still see both whenever the close's CQE is reaped.
      const closeLater = () => setImmediate(() => this.#emitClose(this.#hadError));
      if (fdNow === -1) closeLater();
      else ops.closeThen(fdNow, closeLater);
    };
    if (this.#inflight === 0) finish();
    else this.#idle = finish;
    // Its server counts it out now, as node:net's _destroy does: getConnections() right after the
    // destroy, and a closed server's 'close' (with close()'s callback), do not wait for our 'close'.
    const release = this[kReleaseConnection];
    this[kReleaseConnection] = undefined;
    release?.();
  }

  /** 'close' — with hadError once connect() was called (node:net's handle), without before — after which connect() may start afresh. */
  #emitClose(...hadError: [boolean] | []): void {
    this.#closeEmitted = true;
    this.emit('close', ...hadError);
  }

  /**
   * Sends `length` bytes (Infinity: to the end) of the file open as `fd`, from `offset`, after
   * everything already written: IORING_OP_SPLICE (5.7) through a pipe, so file pages reach the
   * socket without passing through JavaScript (sendfile(2)'s path, on the ring). It takes its turn
   * in the socket's write queue, so writes made after the call — also before it settles — follow
   * the file's bytes. Resolves the bytes sent; counts them in bytesWritten. Rejects with
   * ERR_SOCKET_CLOSED when the socket is closed or closes first, or with the splice's error or an
   * AbortError (the socket is then left to the caller).
   */
  async sendFile(fd: number, offset = 0, length = Infinity, options: { signal?: AbortSignal } = {}): Promise<number> {
    validateSendFile(this, fd, offset, length);
    return new Promise<number>((resolve, reject) => {
      // Its place in the write queue: a chunk of its own, which _write/_writev splice at once
      // everything written before it has been sent, holding what is written after it meanwhile.
      const marker = Buffer.alloc(0);
      const splices = (this.#splices ??= new Map<Buffer, QueuedSplice>());
      splices.set(marker, (done) => {
        splices.delete(marker);
        if (this.#fd === -1) {
          reject(socketClosed());
          return done();
        }
        const signal = options.signal ? AbortSignal.any([options.signal, this.#aborter]) : this.#aborter;
        const socketFd = this.#fd;
        const sent = splice(fd, offset, socketFd, -1, length, {
          signal,
          check: () => {
            if (this.#fd !== socketFd) throw socketClosed();
          },
        });
        this.#track(sent);
        this.#splicing++;
        // A failed splice rejects the promise and leaves the socket to the caller: the queue goes on.
        sent
          .finally(() => this.#splicing--)
          .then(
            (n) => {
              this.#bytesWritten += n;
              this.#touch();
              resolve(n);
            },
            (error: Error) => reject(this.destroyed ? socketClosed() : error),
          )
          .finally(() => done());
      });
      this.write(marker, (error) => {
        if (error && splices.delete(marker)) reject(this.destroyed ? socketClosed() : error); // never reached its turn
      });
    });
  }

  /**
   * Sets the receive and send timeouts (see IoTimeouts; 0 turns one off, an absent one is left as
   * it is): a send that makes no progress for `sendTimeout` ms, or `recvTimeout` ms without data
   * while reading, destroys the socket with `write ETIMEDOUT` / `read ETIMEDOUT`. Data handed to
   * sendFile() is not timed.
   */
  setIoTimeouts(options: IoTimeouts): this {
    const { recv, send } = validateIoTimeouts(options);
    if (options.recvTimeout !== undefined) this.#recvTimeout = recv;
    if (options.sendTimeout !== undefined) this.#sendTimeout = send;
    if (this.#receiving) {
      this.#lastRecv = performance.now();
      this.#armRecvClock();
    }
    return this;
  }

  /**
   * The receive clock: one IORING_OP_TIMEOUT for what is left of `recvTimeout` since the last
   * arrival, re-armed when it finds data came meanwhile — not one timer per receive. It stops
   * while the socket is not reading (#startRead starts it again) and with the socket (the abort).
   */
  #armRecvClock(): void {
    if (this.#recvClock || this.#recvTimeout <= 0 || this.destroyed) return;
    this.#recvClock = true;
    const wait = Math.max(1, this.#lastRecv + this.#recvTimeout - performance.now());
    getLoop()
      .sleep(wait, { signal: this.#aborter, unref: true })
      .then(
        () => {
          this.#recvClock = false;
          if (this.destroyed || this.readableEnded || !this.#receiving || this.#stopping || this.#recvTimeout <= 0) return;
          // Paused, or the consumer is full: not reading, so not timed — look again a period later.
          if (this.isPaused() || this.readableLength >= this.readableHighWaterMark) this.#lastRecv = performance.now();
          if (performance.now() - this.#lastRecv >= this.#recvTimeout) this.destroy(ioTimedOut('read'));
          else this.#armRecvClock();
        },
        () => {
          this.#recvClock = false;
        },
      );
  }

  /**
   * onread: `chunk` into the user's buffer, a buffer's length at a time, each to the callback (and
   * the next buffer from the buffer function). A callback that returns false stops reading, as
   * node:net's readStop: the receive is cancelled and the rest of `chunk` is held for resume() —
   * as is what still arrives from before the cancel took effect.
   */
  #deliver(chunk: Buffer): void {
    if (this.#held !== undefined) {
      // Behind data held since a stop, still to go to the callback: kept in order after it.
      this.#held = Buffer.concat([this.#held, chunk]);
      return;
    }
    let rest = chunk;
    while (rest.length > 0 && !this.destroyed && !this.#onreadStopped) {
      const target = this.#userBuffer!;
      const n = Math.min(target.length, rest.length);
      if (n === 0) {
        // A zero-length buffer takes nothing: node:net's read fails (libuv's alloc callback gave
        // it no room: UV_ENOBUFS) and destroys the socket.
        this.destroy(netError(-Errno.ENOBUFS, 'read'));
        return;
      }
      target.set(rest.subarray(0, n));
      rest = rest.subarray(n);
      const more = this.#onread!(n, target) !== false;
      if (this.#bufferGen) {
        const next = this.#bufferGen();
        if (isUint8Array(next)) this.#userBuffer = next;
      }
      if (!more) {
        this.#stopOnread();
        break;
      }
    }
    // Held as a copy: `chunk` may be a view of a pool buffer the kernel gets back after this call.
    if (rest.length > 0) this.#held = this.#held ? Buffer.concat([this.#held, rest]) : Buffer.from(rest);
  }

  /**
   * The peer's FIN: the end of the readable side. The loop settles a batch of CQEs at once, and
   * what earlier ones set off through promises must run first, as in node:net: so from a nextTick
   * queued by a microtask — after every promise reaction the batch started, and their nextTicks.
   * Still in this turn of the event loop, as node:net's onStreamRead is: a socket destroyed on
   * 'end' (node:http's client does) then has its 'close' from this turn's setImmediate, before
   * the next turn's timers, as node:net's from this turn's close callbacks.
   */
  #ended(): void {
    const end = () =>
      queueMicrotask(() =>
        process.nextTick(() => {
          if (this.destroyed || this.readableEnded) return;
          this.push(null);
          super.read(0); // emits 'end' now if nothing is buffered, even with no reader (as Node's onStreamRead)
        }),
      );
    // Our end() has not called back yet: in node:net a FIN the peer sends in answer to ours comes
    // after 'finish' (its shutdown calls back first), so the end waits for our shutdown's callback.
    // (With IORING_OP_SHUTDOWN, done by an io-wq worker, the answer even came before the shutdown's
    // CQE: 'end' before 'finish', 6 times in 500 under ASan with both cores busy.)
    // (At most one end is waiting: the FIN comes once a connection.)
    if (this.#shutdown) this.#shutdown.after = end;
    else end();
  }

  /** onread: stops reading (the receive is cancelled) until resume(). */
  #stopOnread(): void {
    this.#onreadStopped = true;
    if (this.#receiving && !this.#stopping) {
      this.#stopping = true;
      this.#receive?.cancel();
    }
  }

  /** As Readable's pause(); with onread, reading stops too, as node:net's readStop. */
  override pause(): this {
    if (this.#onread && !this.connecting && this.#fd >= 0) this.#stopOnread();
    return super.pause();
  }

  /** As Readable's resume(); the receive clock (setIoTimeouts) starts again: a paused socket is not timed. With onread, reading starts again. */
  override resume(): this {
    if (this.#recvTimeout > 0) this.#lastRecv = performance.now();
    this.#restartOnread();
    return super.resume();
  }

  /** As Readable's read(); with onread, reading starts again, as node:net's read() does. */
  override read(size?: number): unknown {
    this.#restartOnread();
    return super.read(size);
  }

  /**
   * onread stopped: reading starts again. What was held goes to the callback first — from a
   * setImmediate, as node:net's callback is only ever called from a read of the event loop's, never
   * inside resume() or read(): a callback that says stop again there would otherwise be started
   * again at once by the read(0) that Readable's resume() makes on the next tick.
   */
  #restartOnread(): void {
    if (!this.#onread || !this.#onreadStopped || this.connecting || this.#fd < 0) return;
    this.#onreadStopped = false;
    if (this.#held === undefined && !this.#eofHeld) return this.#startRead();
    if (this.#heldScheduled) return;
    this.#heldScheduled = true;
    setImmediate(() => this.#scope.runInAsyncScope(this.#deliverHeld, this));
  }

  /** #restartOnread's second half: the held data to the callback, then the held end, or reading on. */
  #deliverHeld(): void {
    this.#heldScheduled = false;
    if (this.destroyed || this.#onreadStopped) return; // stopped again meanwhile (pause()): still held
    const held = this.#held;
    this.#held = undefined;
    if (held) this.#deliver(held);
    if (this.#onreadStopped) return; // the callback said stop again
    if (this.#eofHeld) {
      this.#eofHeld = false;
      this.#ended();
    } else this.#startRead();
  }

  /**
   * Closes the TCP connection with a reset (RST) instead of a FIN, then destroys the socket, as
   * node:net's (uv_tcp_close_reset: SO_LINGER with a zero timeout, then close). A connecting
   * socket resets once connected; a Unix socket cannot (ERR_INVALID_HANDLE_TYPE); a closed one is
   * destroyed with ERR_SOCKET_CLOSED.
   */
  resetAndDestroy(): this {
    // No handle (never connected, or destroyed: node:net drops it in _destroy): nothing to reset.
    if ((this.#fd === -1 && !this.connecting) || this.destroyed) {
      this.destroy(socketClosed());
      return this;
    }
    if (this.#isUnix()) throw Object.assign(new TypeError('This handle type cannot be sent'), { code: 'ERR_INVALID_HANDLE_TYPE' });
    if (this.connecting) this.once('connect', () => this.#reset());
    else this.#reset();
    return this;
  }

  #reset(): void {
    ops.setLinger(this.#fd, 0);
    this.#resetting = true; // no FIN from _destroy: the close sends the RST alone
    this.destroy();
  }

  /** Ends the writable side, then destroys once it has finished (what http uses). */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  /** TCP_NODELAY (no argument: on), now if connected, else once connected; a Unix socket ignores it. As node:net's. */
  setNoDelay(enable?: boolean): this {
    const on = enable === undefined ? true : Boolean(enable);
    if (this.#connected() && on !== this.#noDelay && !this.#isUnix()) ops.setIntOption(this.#fd, Linux.IPPROTO_TCP, Linux.TCP_NODELAY, on ? 1 : 0);
    this.#noDelay = on;
    return this;
  }

  /**
   * SO_KEEPALIVE, and with a delay of a second or more the first probe after that idle time, then
   * probes a second apart, ten of them — as libuv 1.46 sets them (uv_tcp_keepalive) for node:net.
   * Now if connected, else once connected; a Unix socket ignores it.
   */
  setKeepAlive(enable?: boolean, initialDelay?: number): this {
    const on = Boolean(enable);
    const seconds = keepAliveSeconds(initialDelay);
    if (this.#connected() && (on !== this.#keepAlive || (on && seconds !== this.#keepAliveDelay)) && !this.#isUnix()) ops.setKeepAlive(this.#fd, on, seconds);
    this.#keepAlive = on;
    this.#keepAliveDelay = seconds;
    return this;
  }

  #connected(): boolean {
    return this.#fd >= 0 && !this.connecting;
  }

  /** Emits 'timeout' after `ms` without activity (0 disables), as Node's socket.setTimeout. */
  setTimeout(ms: number, callback?: () => void): this {
    if (this.destroyed) return this; // as node:net's: a destroyed socket ignores it, bad arguments too
    this.#timeoutMs = ms;
    if (typeof ms !== 'number') throw invalidArgType('msecs', 'of type number', ms);
    if (!(ms >= 0) || !Number.isFinite(ms)) throw outOfRange('msecs', 'a non-negative finite number', ms);
    if (ms > TIMEOUT_MAX) {
      // As node:net's (its getTimerDuration): cut to what a timer takes, saying so — where a plain
      // setTimeout() would fire after 1 ms.
      process.emitWarning(`${ms} does not fit into a 32-bit signed integer.\nTimer duration was truncated to ${TIMEOUT_MAX}.`, 'TimeoutOverflowWarning');
      ms = TIMEOUT_MAX;
    }
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (ms > 0) {
      this.#timer = setTimeout(() => this.emit('timeout'), ms);
      this.#timer.unref();
    }
    if (callback !== undefined) {
      if (typeof callback !== 'function') throw invalidArgType('callback', 'of type function', callback);
      if (ms === 0) this.removeListener('timeout', callback);
      else this.once('timeout', callback);
    }
    return this;
  }

  /** The idle timeout last set with setTimeout (0 once cleared), undefined before: as node:net's. */
  get timeout(): number | undefined {
    if (!(#fd in this)) return undefined;
    return this.#timeoutMs;
  }

  /** Assignable, as node:net's plain property is; only setTimeout() sets the timer. */
  set timeout(value: number | undefined) {
    if (#fd in this) this.#timeoutMs = value;
  }

  /**
   * Activity: the idle timer starts over. Refreshed, as node:net does (`_unrefTimer`), not made
   * anew — node:http sets a keep-alive timeout on every idle socket, and each receive and send
   * touches it. A timer that already fired is armed again.
   */
  #touch(): void {
    this.#timer?.refresh();
  }

  /** Keeps the process alive while the socket is open for reading (the default), as Node's socket.ref(). */
  ref(): this {
    this.#unref = false;
    this.#receive?.ref();
    return this;
  }

  /** Lets the process exit with this socket still open, as Node's socket.unref(). */
  unref(): this {
    this.#unref = true;
    this.#receive?.unref();
    return this;
  }
}

/** node:net's check of a keepAliveInitialDelay option (Socket and Server): a number, if given (a negative one counts as 0). */
export function validateKeepAliveDelay(value: unknown): void {
  if (value !== undefined && typeof value !== 'number') throw invalidArgType('options.keepAliveInitialDelay', 'of type number', value);
}

/** node:net's keep-alive delay: whole seconds of the milliseconds given (~~(ms / 1000)). */
function keepAliveSeconds(ms: unknown): number {
  return ~~((ms as number) / 1000);
}

/** sendFile's arguments, checked the same way on both backends; a closed socket is ERR_SOCKET_CLOSED. */
export function validateSendFile(socket: Duplex, fd: number, offset: number, length: number): void {
  validateInteger(fd, 'fd', 0, FD_MAX);
  validateInteger(offset, 'offset', 0);
  if (length !== Infinity) validateInteger(length, 'length', 0);
  if (!socket.writable || socket.destroyed) throw socketClosed();
}

/** Node's ERR_SOCKET_CLOSED. */
export function socketClosed(): Error {
  return codedError('Socket is closed', 'ERR_SOCKET_CLOSED');
}

/** An Error with node's `code` (node:net's ERR_SOCKET_* and ERR_SERVER_* errors are plain Errors so coded). */
export function codedError(message: string, code: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

/** A socket carries bytes: object modes throw as node:net's Socket constructor does (ERR_INVALID_ARG_VALUE, "is not supported"). */
function rejectObjectMode(given: object): void {
  const options = given as { objectMode?: unknown; readableObjectMode?: unknown; writableObjectMode?: unknown };
  if (options.objectMode) throw invalidArgValue('options.objectMode', options.objectMode, 'is not supported');
  if (options.readableObjectMode || options.writableObjectMode) {
    const name = options.readableObjectMode ? 'readableObjectMode' : 'writableObjectMode';
    throw invalidArgValue(`options.${name}`, options.readableObjectMode || options.writableObjectMode, 'is not supported');
  }
}
