// node:http fuzzing: seeded random lives of one node:http server over the sockets of the `net`
// given (@uring/net's createHttpServer, or node:http's own server on node:net to check the checks)
// and its clients — node:http's, through a keep-alive Agent, and raw node:net sockets for what an
// Agent does not do. Each step waits for its outcome before the next is drawn, so every check is
// one node:http guarantees whatever the timing:
//   - a request (GET, POST or PUT; a body of 0 B to 300 KiB, by Content-Length or chunked) gets
//     200 and its whole response: the body echoed (the server may pause the request a while:
//     backpressure), or N bytes written in chunks of C, with or without a pause between chunks;
//   - requests pipelined on one socket get their responses whole and in order;
//   - `Connection: close`: the response says so, then the server ends the connection;
//   - a request the server's handler answers by destroying its socket: the client's request
//     fails with ECONNRESET ('socket hang up');
//   - a client that goes away mid-response or mid-upload: the server's response emits 'close';
//   - bytes that are not HTTP: 400 Bad Request, then the connection is closed (node:http's
//     default 'clientError' handling);
//   - closeIdleConnections(): the idle keep-alive connections close, and requests go on on new ones;
//   - getConnections() counts the connections open, as the server's 'connection' events and
//     their sockets' 'close' events tell;
//   - no 'error' on the server, no response left neither finished nor closed, nothing left open at
//     the end: server.close() calls back and emits 'close'; no socket descriptor left (after a
//     round of sequences run at once, see fuzzRound in sockets.mjs).
import { once } from 'node:events';
import * as http from 'node:http';
import * as nodeNet from 'node:net';
import { rng } from '../../../scripts/rng.mjs';
import { drawEndpoint, later, openFds, socketsLeft, waitFor } from './sockets.mjs';

/** The bytes of a response of `n` bytes, and of a request body: a pattern that shows a lost or moved chunk. */
export function pattern(n, salt) {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + salt) & 0xff;
  return b;
}

/**
 * The handler: `/echo` pipes the body back (`?pause=ms` pauses the request first); `/size/N/C/G`
 * writes N bytes in chunks of C (`G` 1: a setImmediate between chunks), waiting for 'drain';
 * `/destroy` destroys the socket. Every response records whether it finished or closed.
 */
function handler(responses) {
  return async (req, res) => {
    const record = { url: req.url, finished: false, closed: false };
    responses.push(record);
    res.on('finish', () => (record.finished = true));
    res.on('close', () => (record.closed = true));
    req.on('error', () => undefined); // a client gone mid-upload: 'aborted', then ECONNRESET
    const url = new URL(req.url, 'http://x');
    const parts = url.pathname.split('/');
    if (parts[1] === 'destroy') return req.socket.destroy();
    if (parts[1] === 'echo') {
      const pause = Number(url.searchParams.get('pause') ?? 0);
      if (pause) {
        req.pause();
        await later(pause);
        req.resume();
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      req.pipe(res);
      return;
    }
    if (parts[1] === 'size') {
      const [n, chunk, gaps] = parts.slice(2).map(Number);
      const body = pattern(n, n);
      res.writeHead(200, { 'content-length': String(n) });
      for (let at = 0; at < n; at += chunk) {
        if (res.destroyed) return;
        if (!res.write(body.subarray(at, at + chunk))) await drainOrClose(res);
        if (gaps) await new Promise(setImmediate);
      }
      if (!res.destroyed) res.end();
      return;
    }
    res.writeHead(404);
    res.end();
  };
}

/** Resolves at the response's next 'drain', or its 'close', whichever comes first. */
function drainOrClose(res) {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** A raw connection to the server: everything it receives, whether it ended and closed. */
function rawClient(target) {
  const socket = nodeNet.connect(target);
  const c = { socket, got: [], ended: false, closed: false, error: undefined };
  socket.on('data', (d) => c.got.push(d));
  socket.on('end', () => (c.ended = true));
  socket.on('close', () => (c.closed = true));
  socket.on('error', (e) => (c.error = e.code));
  return c;
}

/**
 * Parses the HTTP/1.1 responses in `bytes` (Content-Length bodies; a 400 without one ends the
 * stream): [{ status, headers, body }], and whether the last is complete.
 */
export function parseResponses(bytes) {
  const out = [];
  let at = 0;
  while (at < bytes.length) {
    const end = bytes.indexOf('\r\n\r\n', at);
    if (end < 0) return { responses: out, complete: false };
    const lines = bytes.subarray(at, end).toString('latin1').split('\r\n');
    const status = Number(lines[0].split(' ')[1]);
    const headers = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    if (end + 4 + length > bytes.length) return { responses: out, complete: false };
    out.push({ status, headers, body: bytes.subarray(end + 4, end + 4 + length) });
    at = end + 4 + length;
  }
  return { responses: out, complete: true };
}

/**
 * One sequence of `steps` random steps on a node:http server over `net`'s sockets. Resolves with
 * `{ seed, steps, ops }` or — at the first broken guarantee — `{ seed, step, label, log }`.
 * `countSockets: false` leaves the descriptor count to the caller (fuzzRound).
 */
export async function fuzzHttp(seed, steps, net, { deadline = 5_000, countSockets = true } = {}) {
  const r = rng(seed);
  const fdsBefore = countSockets ? openFds() : undefined;
  const { kind, host, path } = drawEndpoint(r, seed, 'hfuzz');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 + r.int(4) });
  const log = [`${kind}, agent maxSockets ${agent.maxSockets}`];

  const responses = [];
  const create = net === nodeNet ? http.createServer : net.createHttpServer;
  const server = create(handler(responses));
  const conns = []; // the server's sockets, in order of 'connection'
  const agentSockets = new Set(); // the Agent's sockets (the client ends) not closed yet
  const closedSides = new WeakSet();
  const seen = { errors: [], close: 0 };
  server.on('connection', (socket) => {
    conns.push(socket);
    socket.on('close', () => closedSides.add(socket));
  });
  server.on('error', (e) => seen.errors.push(e.code));
  server.on('close', () => seen.close++);
  const until = (done, ms = deadline) => waitFor(done, ms);
  if (path) server.listen(path);
  else server.listen(0, host);
  await once(server, 'listening');
  const address = server.address();
  const target = path ? { path } : { port: address.port, host };
  const base = path ? { socketPath: path, agent } : { host, port: address.port, agent };

  /** One request through the Agent: resolves { status, body } or { error } once the request is over for the client too (its 'close'). */
  const request = (method, url, body, chunked) =>
    new Promise((resolve) => {
      let outcome;
      const headers = chunked || !body ? {} : { 'content-length': String(body.length) };
      const req = http.request({ ...base, method, path: url, headers }, (res) => {
        const got = [];
        res.on('data', (d) => got.push(d));
        res.on('end', () => (outcome ??= { status: res.statusCode, body: Buffer.concat(got), headers: res.headers }));
        res.on('error', (error) => (outcome ??= { error: error.code ?? error.message }));
      });
      req.on('error', (error) => (outcome ??= { error: error.code ?? error.message }));
      // (The response can end before the request has finished writing: the Agent frees the
      // socket only then, and a step that closes connections must not come in between.)
      req.on('close', () => setImmediate(() => resolve(outcome ?? { error: 'closed without a response' })));
      req.on('socket', (socket) => {
        if (agentSockets.has(socket)) return;
        agentSockets.add(socket);
        socket.on('close', () => agentSockets.delete(socket));
      });
      if (body && chunked) {
        for (let at = 0; at < body.length; at += 16_384) req.write(body.subarray(at, at + 16_384));
      } else if (body) req.write(body);
      req.end();
    });

  let stepNow = 0;
  const breaks = (label) => ({ seed, step: stepNow, label, log });
  const open = () => conns.filter((s) => !closedSides.has(s));
  /** After every step: no server error; every response but those still being sent has finished or closed. */
  const check = async () => {
    if (seen.errors.length) return `'error' on the server: ${seen.errors.join(',')}`;
    if (!(await until(() => responses.every((x) => x.finished || x.closed)))) return `a response neither finished nor closed: ${responses.filter((x) => !x.finished && !x.closed).map((x) => x.url).join(', ')}`;
    return undefined;
  };

  let ops = 0;
  for (; stepNow < steps; stepNow++) {
    const op = r.int(100);
    try {
      if (op < 30) {
        // a request through the Agent: a body echoed, or N bytes written in chunks
        const method = r.pick(['GET', 'POST', 'PUT']);
        if (method === 'GET' || r.int(3) === 0) {
          const n = r.pick([0, 1, 1000, 70_000, 300_000]);
          const chunk = r.pick([1, 100, 16_384, 65_536]);
          const gaps = n / chunk > 200 ? 0 : r.int(2);
          const url = `/size/${n}/${chunk}/${gaps}`;
          log.push(`${method} ${url}`);
          const res = await request(method, url);
          if (res.error) return breaks(`${method} ${url} failed: ${res.error}`);
          if (res.status !== 200 || !res.body.equals(pattern(n, n))) return breaks(`${method} ${url}: ${res.status}, ${res.body.length} B${res.body.length === n ? ', other bytes' : ''}`);
        } else {
          const n = r.pick([1, 1000, 70_000, 300_000]);
          const chunked = r.int(2) === 0;
          const pause = r.pick([0, 0, 20]);
          const body = pattern(n, seed + stepNow);
          const url = `/echo${pause ? `?pause=${pause}` : ''}`;
          log.push(`${method} ${url} ${n} B${chunked ? ' chunked' : ''}`);
          const res = await request(method, url, body, chunked);
          if (res.error) return breaks(`${method} ${url} of ${n} B failed: ${res.error}`);
          if (res.status !== 200 || !res.body.equals(body)) return breaks(`${method} ${url} of ${n} B: ${res.status}, ${res.body.length} B back${res.body.length === n ? ', other bytes' : ''}`);
        }
      } else if (op < 42) {
        // requests pipelined on one raw connection: their responses whole and in order
        const sizes = Array.from({ length: 1 + r.int(5) }, () => r.pick([0, 5, 3000, 100_000]));
        const c = rawClient(target);
        await once(c.socket, 'connect');
        c.socket.write(sizes.map((n) => `GET /size/${n}/4096/0 HTTP/1.1\r\nHost: x\r\n\r\n`).join(''));
        log.push(`pipelined ${sizes.join(', ')}`);
        const parsed = () => parseResponses(Buffer.concat(c.got));
        if (!(await until(() => parsed().responses.length === sizes.length || c.closed))) return breaks(`pipelined: ${parsed().responses.length} of ${sizes.length} responses`);
        const got = parsed().responses;
        if (got.length !== sizes.length) return breaks(`pipelined: ${got.length} of ${sizes.length} responses, then the connection closed`);
        for (let k = 0; k < sizes.length; k++) if (got[k].status !== 200 || !got[k].body.equals(pattern(sizes[k], sizes[k]))) return breaks(`pipelined response ${k}: ${got[k].status}, ${got[k].body.length} of ${sizes[k]} B`);
        if (r.int(2)) c.socket.end();
        else c.socket.destroy();
        if (!(await until(() => c.closed))) return breaks('a pipelining client did not close');
      } else if (op < 50) {
        // Connection: close — the response, then the server ends the connection
        const c = rawClient(target);
        await once(c.socket, 'connect');
        c.socket.write('GET /size/100/100/0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
        log.push('Connection: close');
        if (!(await until(() => c.ended || c.closed))) return breaks('Connection: close: the server did not end the connection');
        const got = parseResponses(Buffer.concat(c.got)).responses;
        if (got.length !== 1 || got[0].status !== 200 || got[0].headers.connection !== 'close' || !got[0].body.equals(pattern(100, 100))) return breaks(`Connection: close: ${JSON.stringify(got.map((x) => [x.status, x.headers.connection, x.body.length]))}`);
        c.socket.end();
        if (!(await until(() => c.closed))) return breaks('Connection: close: the client did not close');
      } else if (op < 56) {
        // the handler destroys the socket: the request fails with a reset
        log.push('/destroy');
        const res = await request('GET', '/destroy');
        if (res.error !== 'ECONNRESET') return breaks(`a request whose socket the server destroyed: ${res.error ?? res.status}`);
      } else if (op < 66) {
        // the client goes away mid-response, or mid-upload: the server's response closes
        const before = responses.length;
        const upload = r.int(2) === 0;
        log.push(upload ? 'client gone mid-upload' : 'client gone mid-response');
        const c = rawClient(target);
        await once(c.socket, 'connect');
        if (upload) c.socket.write(`POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n${'u'.repeat(1000)}`);
        else c.socket.write('GET /size/4000000/65536/1 HTTP/1.1\r\nHost: x\r\n\r\n');
        if (!(await until(() => responses.length > before && (upload || c.got.length > 0)))) return breaks('the request never reached the handler');
        c.socket.destroy();
        const record = responses[before];
        // (It may have finished first: the client can read megabytes before it goes.)
        if (!(await until(() => record.closed))) return breaks(`a response whose client went away never closed (finished ${record.finished})`);
      } else if (op < 72) {
        // bytes that are not HTTP: 400, then the connection closes
        const c = rawClient(target);
        await once(c.socket, 'connect');
        c.socket.write(r.pick(['BLAH\r\n\r\n', 'GET / HTTP/1.1\r\nHost x\r\n\r\n', 'GET / HTTP/9.9\r\n\r\n', '\x00\x01\x02\r\n\r\n']));
        log.push('not HTTP');
        if (!(await until(() => c.closed || c.ended))) return breaks('a request that is not HTTP: the connection stayed open');
        const text = Buffer.concat(c.got).toString('latin1');
        if (!text.startsWith('HTTP/1.1 400 Bad Request')) return breaks(`a request that is not HTTP got ${JSON.stringify(text.slice(0, 40))}`);
        c.socket.destroy();
        if (!(await until(() => c.closed))) return breaks('a client of a bad request did not close');
      } else if (op < 80) {
        server.closeIdleConnections();
        log.push(`closeIdleConnections (${open().length} open)`);
        // Every step has waited for its requests: the connections left are idle, and all close —
        // at both ends (the Agent must not reuse a socket whose server end is gone: in one process,
        // its client end may learn of the close a poll after the server end's 'close').
        if (!(await until(() => open().length === 0 && agentSockets.size === 0))) return breaks(`closeIdleConnections(): ${open().length} connections still open, ${agentSockets.size} at the Agent`);
      } else if (op < 92) {
        const expected = open().length;
        let got;
        server.getConnections((error, count) => (got = { error, count }));
        if (!(await until(() => got !== undefined))) return breaks('getConnections() never called back');
        log.push(`getConnections: ${got.count} (${expected} open)`);
        // A connection the client closed a moment ago may still be closing on the server's side.
        if (got.error || (got.count !== expected && !(await until(() => open().length === got.count, 200)))) return breaks(`getConnections(): ${got.error?.code ?? got.count}, ${open().length} open`);
      } else {
        agent.destroy();
        log.push('the agent destroyed: its connections close');
        if (!(await until(() => open().length === 0 && agentSockets.size === 0))) return breaks(`the agent's connections did not close (${open().length} open on the server, ${agentSockets.size} at the Agent)`);
      }
      ops++;
      const problem = await check();
      if (problem) return breaks(problem);
    } catch (error) {
      return breaks(`threw ${error.code ?? ''} ${error.message}`);
    }
  }

  // The end: the agent's connections closed, the server closed; it calls back and emits 'close'.
  agent.destroy();
  let closed;
  server.close((error) => (closed = error ?? null));
  server.closeAllConnections();
  if (!(await until(() => closed !== undefined))) return breaks('server.close() never called back');
  if (closed) return breaks(`server.close() called back with ${closed.code}`);
  if (!(await until(() => seen.close === 1))) return breaks(`${seen.close} 'close' events from the server`);
  if (!(await until(() => open().length === 0))) return breaks(`${open().length} connections open after close()`);
  const problem = await check();
  if (problem) return breaks(problem);
  const left = fdsBefore === undefined ? 0 : await socketsLeft(fdsBefore);
  if (left > 0) return breaks(`${left} socket descriptors left open`);
  return { seed, steps, ops };
}
