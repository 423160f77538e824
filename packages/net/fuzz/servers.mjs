// Server fuzzing: seeded random lives of one server — listen (again after a close, on a port in use
// too), connections coming and going (a client's end or destroy, the server side's end or
// destroy, messages echoed), maxConnections, getConnections, close() with connections open or on
// a closed server, ref/unref — with the server from the `net` given (ours, or node:net to check
// the checks) and its clients node:net's (or in one sequence of three from `net` too). Each step
// waits for its outcome before the next is drawn, so every check is one node:net's server
// guarantees whatever the timing:
//   - listen: one 'listening' event, `listening` and address() then; a second listen() throws
//     ERR_SERVER_ALREADY_LISTEN; a port in use gives one 'error' EADDRINUSE and leaves it closed;
//   - connections: a client of a listening server gets one 'connection' (its address the
//     client's), or — over maxConnections — is closed unread, with a 'drop'; a message
//     comes back whole (the server echoes); a closed server takes no connection;
//   - getConnections(): calls back later (not during the call) with the connections open;
//   - close(): `listening` false at once; each close() calls back once — with
//     ERR_SERVER_NOT_RUNNING when the server was not listening — never while one of its
//     connections is open or it listens again, and once the last is closed; a 'close' event comes
//     then too;
//   - no 'error' but the ones asked for; no socket descriptor left after the sequence (after a
//     round of sequences run at once, see fuzzRound in sockets.mjs).
import * as nodeNet from 'node:net';
import { rng } from '../../../scripts/rng.mjs';
import { drawEndpoint, later, openFds, socketsLeft, waitFor } from './sockets.mjs';

/**
 * One sequence of `steps` random steps on a server from `net`. Resolves with `{ seed, steps, ops }`
 * or — at the first broken guarantee — `{ seed, step, label, log }`. `countSockets: false` leaves
 * the descriptor count to the caller (fuzzRound).
 */
export async function fuzzServer(seed, steps, net, { deadline = 5_000, countSockets = true } = {}) {
  const r = rng(seed);
  const fdsBefore = countSockets ? openFds() : undefined;
  const { kind, host, path } = drawEndpoint(r, seed, 'sfuzz');
  const allowHalfOpen = r.int(2) === 0;
  const clientNet = r.int(3) === 0 ? net : nodeNet;
  const log = [`${kind}, allowHalfOpen ${allowHalfOpen}, clients ${clientNet === nodeNet ? "node:net's" : 'the same'}`];

  const conns = []; // the server's side of each connection, in order of 'connection'
  const closedSides = new WeakSet(); // those that emitted 'close'
  const clients = []; // { socket, closed, got, serverSide }
  const seen = { listening: 0, close: 0, drop: 0, errors: [] };
  const closes = []; // one per close() call: { expect, done, error, bad }
  const server = net.createServer({ allowHalfOpen }, (socket) => {
    conns.push(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => closedSides.add(socket));
    socket.on('data', (d) => socket.write(d));
    if (allowHalfOpen) socket.on('end', () => socket.end());
  });
  server.setMaxListeners(0); // a close() with connections open waits on 'close', as node:net's
  server.on('listening', () => seen.listening++);
  server.on('close', () => seen.close++);
  server.on('drop', () => seen.drop++);
  server.on('error', (e) => seen.errors.push(e.code));
  let target; // where clients connect: the last listen's
  const open = () => conns.filter((s) => !s.destroyed);
  const until = (done, ms = deadline) => waitFor(done, ms);

  let stepNow = 0;
  const breaks = (label) => ({ seed, step: stepNow, label, log });
  /** The checks after every step. */
  const check = () => {
    for (const c of closes) {
      if (c.calls > 1) return 'a close() called back twice';
      if (c.bad) return c.bad;
    }
    if (seen.errors.length) return `'error' on the server: ${seen.errors.join(',')}`;
    return undefined;
  };
  /** Closes every pending close() must have called back by now: none while the server listens or has connections open. */
  const drained = async () => {
    if (server.listening || open().length > 0) return undefined;
    if (!(await until(() => closes.every((c) => c.calls === 1)))) return `close() never called back: the server is closed and drained`;
    if (closes.length && !(await until(() => seen.close > 0))) return "no 'close' event: the server is closed and drained";
    return undefined;
  };

  /** A client connection to `target`: resolves with its record once connected and served, or dropped, refused. */
  const connect = async () => {
    const before = { conns: conns.length, drop: seen.drop };
    const over = Boolean(server.maxConnections) && open().length >= server.maxConnections;
    const socket = clientNet.connect({ ...target });
    const c = { socket, closed: false, got: [], error: undefined, connected: false };
    socket.on('data', (d) => c.got.push(d));
    socket.on('error', (e) => (c.error = e.code));
    socket.on('close', () => (c.closed = true));
    socket.once('connect', () => (c.connected = true));
    if (!(await until(() => c.connected || c.closed))) return { label: 'a connect() neither connected nor failed' };
    if (!server.listening) {
      // No 'connection' can come; a Unix path is gone (ENOENT), a TCP port may have been taken by another program meanwhile.
      await until(() => c.closed, 50);
      if (conns.length > before.conns) return { label: 'a closed server took a connection' };
      if (kind === 'unix' && c.error !== 'ENOENT' && c.error !== 'ECONNREFUSED') return { label: `a connect to a closed server's path: ${c.error ?? 'connected'}` };
      socket.destroy();
      await until(() => c.closed);
      return { c: undefined, note: `refused ${c.error ?? '(connected elsewhere)'}` };
    }
    if (!c.connected) return { label: `a connect to a listening server failed: ${c.error}` };
    if (over) {
      if (!(await until(() => c.closed))) return { label: 'a connection over maxConnections was not closed' };
      if (conns.length !== before.conns) return { label: "a connection over maxConnections had a 'connection' event" };
      if (c.got.length) return { label: 'a connection over maxConnections received data' };
      if (!(await until(() => seen.drop === before.drop + 1))) return { label: `no 'drop' for a connection over maxConnections (${seen.drop - before.drop})` };
      return { c: undefined, note: 'dropped' };
    }
    if (!(await until(() => conns.length === before.conns + 1))) return { label: "no 'connection' for a client of a listening server" };
    c.serverSide = conns.at(-1);
    if (kind !== 'unix' && c.serverSide.remotePort !== socket.localPort) return { label: `the 'connection' socket's remotePort ${c.serverSide.remotePort}, the client's port ${socket.localPort}` };
    clients.push(c);
    return { c, note: 'served' };
  };

  const alive = () => clients.filter((c) => !c.closed && !c.serverSide.destroyed);
  const bothClosed = (c) => until(() => c.closed && closedSides.has(c.serverSide));
  let ops = 0;
  for (; stepNow < steps; stepNow++) {
    const op = r.int(100);
    const live = alive();
    try {
      if (op < 18) {
        // listen (again), or a second listen() while listening
        if (server.listening) {
          let code;
          try {
            server.listen(path ?? 0, ...(path ? [] : [host]));
          } catch (error) {
            code = error.code;
          }
          log.push(`listen while listening: ${code}`);
          if (code !== 'ERR_SERVER_ALREADY_LISTEN') return breaks(`a second listen() gave ${code ?? 'no error'}`);
        } else {
          const was = seen.listening;
          if (path) server.listen(path);
          else server.listen(0, host);
          // (With a host, node:net's looks it up first: listening and address() come with 'listening'.)
          if (!(await until(() => seen.listening === was + 1))) return breaks("no 'listening' event");
          const a = server.address();
          log.push(`listen: ${JSON.stringify(a)}`);
          if (!server.listening || a === null) return breaks("'listening', but not listening, or address() null");
          if (path ? a !== path : a.family !== (kind === 'tcp6' ? 'IPv6' : 'IPv4') || a.address !== host || !(a.port > 0)) return breaks(`address() ${JSON.stringify(a)}`);
          target = path ? { path } : { port: a.port, host };
          await later(5);
          if (seen.listening !== was + 1) return breaks(`${seen.listening - was} 'listening' events`);
        }
      } else if (op < 22 && !path && !server.listening) {
        // listen on a port in use: EADDRINUSE, and the server stays closed
        const blocker = nodeNet.createServer().listen(0, host);
        await new Promise((resolve) => blocker.once('listening', resolve));
        const { port } = blocker.address();
        server.listen(port, host);
        const ok = await until(() => seen.errors.length > 0);
        const codes = seen.errors.splice(0);
        await new Promise((resolve) => blocker.close(resolve));
        log.push(`listen on a port in use: ${codes.join(',')}`);
        if (!ok || codes.join() !== 'EADDRINUSE') return breaks(`listen on a port in use gave ${codes.join(',') || 'no error'}`);
        if (server.listening || server.address() !== null) return breaks('listening after EADDRINUSE');
      } else if (op < 45 && target) {
        const n = 1 + r.int(3);
        for (let k = 0; k < n; k++) {
          const res = await connect();
          if (res.label) return breaks(res.label);
          log.push(`connect: ${res.note}`);
        }
      } else if (op < 57 && live.length) {
        // a message, echoed whole
        const c = r.pick(live);
        const size = r.pick([1, 100, 5000, 70_000, 300_000]);
        const message = Buffer.alloc(size, seed + stepNow);
        c.got = [];
        c.socket.write(message);
        log.push(`echo ${size} B`);
        if (!(await until(() => Buffer.concat(c.got).length >= size || c.closed))) return breaks(`an echo of ${size} B never came back (${Buffer.concat(c.got).length})`);
        if (!Buffer.concat(c.got).equals(message)) return breaks(`the echo of ${size} B came back as ${Buffer.concat(c.got).length} B, or other bytes`);
      } else if (op < 72 && live.length) {
        // one connection ends: from the client or the server side, by end() or destroy()
        const c = r.pick(live);
        const how = r.pick(['client end', 'client destroy', 'server end', 'server destroy']);
        log.push(how);
        if (how === 'client end') c.socket.end();
        else if (how === 'client destroy') c.socket.destroy();
        else if (how === 'server end') c.serverSide.end();
        else c.serverSide.destroy();
        if (!(await bothClosed(c))) return breaks(`${how}: the connection did not close (client ${c.closed}, server side ${closedSides.has(c.serverSide)})`);
      } else if (op < 80) {
        const expected = open().length;
        let during = true;
        let got;
        server.getConnections((error, count) => (got = { error, count, sync: during }));
        during = false;
        if (!(await until(() => got !== undefined))) return breaks('getConnections() never called back');
        log.push(`getConnections: ${got.count} (${expected} open)`);
        if (got.sync) return breaks('getConnections() called back during the call');
        if (got.error || got.count !== expected) return breaks(`getConnections(): ${got.error?.code ?? got.count}, ${expected} open`);
      } else if (op < 86) {
        server.maxConnections = r.pick([0, 1, 2, 3]);
        log.push(`maxConnections ${server.maxConnections}`);
      } else if (op < 96) {
        const wasListening = server.listening;
        const c = { calls: 0, bad: undefined };
        closes.push(c);
        server.close((error) => {
          c.calls++;
          if (wasListening && error) c.bad = `close() of a listening server called back with ${error.code}`;
          if (!wasListening && error?.code !== 'ERR_SERVER_NOT_RUNNING') c.bad = `close() of a closed server called back with ${error?.code ?? 'no error'}`;
          if (open().length > 0) c.bad = `close() called back with ${open().length} connections open`;
          if (server.listening) c.bad = 'close() called back while the server listens again';
        });
        log.push(`close (listening ${wasListening}, ${open().length} open)`);
        if (server.listening) return breaks('listening after close()');
        // (node:net's still names a Unix server's path.)
        if (!path && server.address() !== null) return breaks(`address() after close(): ${JSON.stringify(server.address())}`);
      } else {
        if (r.int(2)) server.unref();
        else server.ref();
      }
      ops++;
      const problem = check() ?? (await drained());
      if (problem) return breaks(problem);
    } catch (error) {
      return breaks(`threw ${error.code ?? ''} ${error.message}`);
    }
  }

  // The end: every connection closed from the client, the server closed; everything calls back.
  for (const c of clients) c.socket.destroy();
  if (!(await until(() => clients.every((c) => c.closed && closedSides.has(c.serverSide))))) return breaks('connections did not close at the end');
  if (server.listening) {
    const c = { calls: 0, bad: undefined };
    closes.push(c);
    server.close((error) => {
      c.calls++;
      if (error) c.bad = `the last close() called back with ${error.code}`;
    });
  }
  server.ref();
  const problem = check() ?? (await drained());
  if (problem) return breaks(problem);
  if (closes.length === 0 && seen.listening === 0 && seen.close !== 0) return breaks("a 'close' event from a server never listening nor closed");
  const left = fdsBefore === undefined ? 0 : await socketsLeft(fdsBefore);
  if (left > 0) return breaks(`${left} socket descriptors left open`);
  return { seed, steps, ops };
}
