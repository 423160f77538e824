import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import * as https from 'node:https';
import * as nodeNet from 'node:net';
import * as tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { backend, connect, createServer } from './index.js';
import { TEST_TLS } from './testing.js';

const { key, cert } = TEST_TLS;

// node:tls over our sockets: TLS wraps a socket that is not node:net's as a plain stream
// (JSStreamSocket), reading its 'data' and 'end' and writing through write() and end().

const digest = (data: Buffer) => createHash('sha256').update(data).digest('hex');

type Listen = (onConnection: (socket: nodeNet.Socket) => void) => Promise<{ port: number; close: () => void }>;

const listenOn =
  (create: typeof createServer | typeof nodeNet.createServer): Listen =>
  async (onConnection) => {
    // allowHalfOpen: the TLS socket decides when the connection's sending side ends (see the README).
    const server = create({ allowHalfOpen: true }, onConnection);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return { port: (server.address() as nodeNet.AddressInfo).port, close: () => server.close() };
  };

/** A tls.Server given each connection of `listen`: the client sends `body` and ends; the server answers after the end. */
async function answerAfterEnd(listen: Listen, body: Buffer): Promise<{ reply: string; serverEvents: string[] }> {
  const serverEvents: string[] = [];
  const tlsServer = tls.createServer({ key, cert }, (socket) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => {
      serverEvents.push('end');
      socket.end(`${digest(Buffer.concat(chunks))} ${Buffer.concat(chunks).length}`);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => serverEvents.push(`error ${error.code}`));
    socket.on('close', () => serverEvents.push('close'));
  });
  const { port, close } = await listen((socket) => tlsServer.emit('connection', socket));
  const client = tls.connect({ port, host: '127.0.0.1', ca: cert, servername: 'localhost' }, () => client.end(body));
  let reply = '';
  client.setEncoding('utf8');
  client.on('data', (text: string) => (reply += text));
  await once(client, 'close');
  while (!serverEvents.includes('close')) await new Promise((resolve) => setTimeout(resolve, 5));
  close();
  return { reply, serverEvents };
}

/** A client that asks for TLS in plain text first (as SMTP's and PostgreSQL's do), then upgrades its socket with tls.connect({ socket }). */
async function startTls(connectRaw: (port: number) => nodeNet.Socket, body: Buffer): Promise<string> {
  const server = nodeNet.createServer((raw) => {
    raw.once('data', () => {
      raw.write('OK\n');
      const secure = new tls.TLSSocket(raw, { isServer: true, secureContext: tls.createSecureContext({ key, cert }) });
      const chunks: Buffer[] = [];
      secure.on('data', (chunk: Buffer) => chunks.push(chunk));
      secure.on('end', () => secure.end(digest(Buffer.concat(chunks))));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const raw = connectRaw((server.address() as nodeNet.AddressInfo).port);
  raw.write('STARTTLS\n');
  await once(raw, 'data');
  const secure = tls.connect({ socket: raw, ca: cert, servername: 'localhost' });
  await once(secure, 'secureConnect');
  secure.end(body);
  let reply = '';
  secure.setEncoding('utf8');
  secure.on('data', (text: string) => (reply += text));
  await once(secure, 'close');
  server.close();
  return reply;
}

describe(`node:tls over @uring/net sockets (backend: ${backend()})`, () => {
  it("a tls.Server given our server's connections answers after the client's end, as over node:net", async () => {
    const body = randomBytes(3 << 20);
    const ours = await answerAfterEnd(listenOn(createServer), body);
    const theirs = await answerAfterEnd(listenOn(nodeNet.createServer), body);
    expect(ours.reply).toBe(`${digest(body)} ${body.length}`);
    expect(ours).toEqual(theirs);
    expect(ours.serverEvents).toEqual(['end', 'close']);
  });

  it('tls.connect({ socket }) upgrades our client socket after a plain-text exchange, as a node:net one', async () => {
    const body = randomBytes(1 << 20);
    const ours = await startTls((port) => connect(port, '127.0.0.1'), body);
    const theirs = await startTls((port) => nodeNet.connect(port, '127.0.0.1'), body);
    expect(ours).toBe(digest(body));
    expect(ours).toBe(theirs);
  });

  it("an https.Server given our server's connections serves kept-alive requests and a 2 MiB body", async () => {
    const server = https.createServer({ key, cert }, (req, res) => {
      const hash = createHash('sha256');
      req.on('data', (chunk: Buffer) => hash.update(chunk));
      req.on('end', () => res.end(`${req.method} ${req.url} ${hash.digest('hex')}`));
    });
    const { port, close } = await listenOn(createServer)((socket) => server.emit('connection', socket));
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: cert });
    const request = (path: string, body?: Buffer) =>
      new Promise<{ text: string; port: number | undefined }>((resolve, reject) => {
        const req = https.request({ port, host: '127.0.0.1', servername: 'localhost', path, method: body ? 'POST' : 'GET', agent }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ text, port: req.socket?.localPort }));
        });
        req.on('error', reject);
        req.end(body);
      });
    const replies = [];
    for (let i = 0; i < 10; i++) {
      replies.push(await request(`/${i}`));
      await new Promise((resolve) => setImmediate(resolve)); // the agent frees the socket for the next request
    }
    const body = randomBytes(2 << 20);
    const posted = await request('/body', body);
    agent.destroy();
    close();
    server.close();
    expect(replies.map((r) => r.text)).toEqual(replies.map((_, i) => `GET /${i} ${digest(Buffer.alloc(0))}`));
    expect(new Set(replies.map((r) => r.port)).size).toBe(1); // one connection, kept alive
    expect(posted.text).toBe(`POST /body ${digest(body)}`);
  });
});
