import { once } from 'node:events';
import * as http from 'node:http';
import * as nodeNet from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { backend, createHttpServer } from './index.js';

/**
 * One life of an HTTP connection under a server's timeouts: what a raw client sent, what the
 * server is given to do, and the least time the server must have waited before closing.
 */
interface Scenario {
  options: http.ServerOptions;
  setup?: (server: http.Server) => void;
  handler?: http.RequestListener;
  /** A 'clientError' listener that answers 400 itself (otherwise node:http's own answer). */
  answerClientError?: boolean;
  send: string[];
  /** The server may not close the connection before this many ms after the client's connect. */
  notBefore: number;
}

const echoUrl: http.RequestListener = (req, res) => {
  req.resume();
  req.on('end', () => res.end(`ok ${req.url}`));
};

const headersNeverEnd: Scenario = {
  options: { headersTimeout: 200, requestTimeout: 0, connectionsCheckingInterval: 50 },
  send: ['GET / HTTP/1.1\r\nHost: x\r\n'],
  notBefore: 200,
};

const bodyNeverEnds: Scenario = {
  options: { headersTimeout: 200, requestTimeout: 300, connectionsCheckingInterval: 50 },
  send: ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc'],
  notBefore: 300,
};

const scenarios: Record<string, Scenario> = {
  'keepAliveTimeout closes an idle keep-alive connection': {
    options: { keepAliveTimeout: 100 },
    send: ['GET / HTTP/1.1\r\nHost: x\r\n\r\n'],
    notBefore: 100,
  },
  'keepAliveTimeout after pipelined requests': {
    options: { keepAliveTimeout: 100 },
    send: ['GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HTTP/1.1\r\nHost: x\r\n\r\n'],
    notBefore: 100,
  },
  'headersTimeout answers 408 to headers that never end': headersNeverEnd,
  "headersTimeout through a 'clientError' listener": { ...headersNeverEnd, answerClientError: true },
  'requestTimeout answers 408 to a body that never ends': bodyNeverEnds,
  "requestTimeout through a 'clientError' listener": { ...bodyNeverEnds, answerClientError: true },
  'server.setTimeout destroys a silent connection': {
    options: {},
    setup: (server) => server.setTimeout(150),
    send: [],
    notBefore: 150,
  },
  "server.setTimeout's callback ends it instead": {
    options: {},
    setup: (server) => server.setTimeout(150, (socket: nodeNet.Socket) => socket.end('bye')),
    send: [],
    notBefore: 150,
  },
  "req.setTimeout's callback answers late": {
    options: {},
    handler: (req, res) => void req.setTimeout(150, () => res.end('late')),
    send: ['GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'],
    notBefore: 150,
  },
  'res.setTimeout without a callback destroys the socket': {
    options: {},
    handler: (_req, res) => void res.setTimeout(150),
    send: ['GET / HTTP/1.1\r\nHost: x\r\n\r\n'],
    notBefore: 150,
  },
};

/** What a raw node:net client saw of `scenario` on a server `make` made, and when it closed. */
async function live(make: (options: http.ServerOptions, handler: http.RequestListener) => http.Server, scenario: Scenario) {
  const server = make(scenario.options, scenario.handler ?? echoUrl);
  scenario.setup?.(server);
  const events: string[] = [];
  if (scenario.answerClientError) {
    server.on('clientError', (error: NodeJS.ErrnoException, socket: nodeNet.Socket) => {
      events.push(`clientError ${error.code}`);
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    });
  }
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const start = performance.now(); // before the connect: a server's idle timer starts at its accept
  const client = nodeNet.connect((server.address() as nodeNet.AddressInfo).port, '127.0.0.1');
  await once(client, 'connect');
  let received = '';
  client.on('data', (chunk) => (received += chunk));
  client.on('end', () => events.push('end'));
  client.on('error', (error: NodeJS.ErrnoException) => events.push(`error ${error.code}`));
  for (const message of scenario.send) client.write(message);
  await once(client, 'close');
  const waited = performance.now() - start;
  await delay(100); // what the server does on the client's FIN after it closed (a second 'clientError')
  server.close();
  await once(server, 'close');
  return { received: received.replace(/^Date: .*\r\n/gm, ''), events, waited };
}

describe(`createHttpServer under node:http's timeouts (backend: ${backend()})`, () => {
  it('keepAliveTimeout, headersTimeout, requestTimeout, server/req/res.setTimeout: the same bytes and events as http.createServer, never early', async () => {
    const entries = Object.entries(scenarios);
    const outcomes = await Promise.all(
      entries.map(([, scenario]) =>
        Promise.all([live((o, h) => http.createServer(o, h), scenario), live((o, h) => createHttpServer(o, h), scenario)]),
      ),
    );
    entries.forEach(([name, scenario], i) => {
      const [node, ours] = outcomes[i]!;
      expect({ name, received: ours.received, events: ours.events }).toEqual({ name, received: node.received, events: node.events });
      expect(node.received.length + node.events.length, name).toBeGreaterThan(0); // the scenario did something
      expect(ours.waited, name).toBeGreaterThanOrEqual(scenario.notBefore - 2); // performance.now() against the timer's ms
    });
  }, 20_000);
});
