import * as http from 'node:http';
import { closeCallback, kClusterClose, type Server } from './server.js';

/**
 * Node's own http.Server (its parser, keep-alive, timeouts) over @uring/net sockets: the returned
 * server's listen, address, close, getConnections, maxConnections, ref and unref act on a
 * @uring/net Server, whose connections are handed to http's 'connection' handler, and whose
 * listening, drop, error and close events are the http server's. Where io_uring is unusable, it
 * is a plain http.Server on node:net.
 */
export function httpOver(createNetServer: () => Server | undefined, ...args: Parameters<typeof http.createServer>): http.Server {
  const server = http.createServer(...args);
  const net = createNetServer();
  if (!net) return server;
  // The options node:http's server chose for its connections (noDelay on unless told otherwise,
  // keepAlive, highWaterMark; allowHalfOpen) are the @uring/net server's, which accepts them —
  // read and set through the http server, as on the node:net Server it extends.
  for (const key of ['allowHalfOpen', 'pauseOnConnect', 'noDelay', 'keepAlive', 'keepAliveInitialDelay', 'highWaterMark'] as const) {
    (net as unknown as Record<string, unknown>)[key] = (server as unknown as Record<string, unknown>)[key];
    Object.defineProperty(server, key, { get: () => net[key], set: (value: never) => (net[key] = value), configurable: true, enumerable: true });
  }
  net.on('connection', (socket) => server.emit('connection', socket));
  net.on('listening', () => server.emit('listening'));
  net.on('error', (error) => server.emit('error', error));
  net.on('close', () => server.emit('close'));
  net.on('drop', (...data: unknown[]) => server.emit('drop', ...data));
  const patched = server as unknown as Record<string, unknown>;
  patched.listen = (...listenArgs: unknown[]) => {
    const cb = typeof listenArgs[listenArgs.length - 1] === 'function' ? (listenArgs.pop() as () => void) : undefined;
    if (cb) server.once('listening', cb);
    net.listen(...listenArgs);
    return server;
  };
  patched.address = () => net.address();
  patched.close = (cb?: (error?: Error) => void) => {
    closeCallback(server, net.listening, cb); // on the http server, as its listeners' 'close'
    net.close();
    // What http.Server's own close does first (httpServerPreClose): idle connections closed, and
    // the timer that checks requests against headersTimeout and requestTimeout — started at each
    // 'listening' — stopped, which otherwise runs on (and holds the server) after the close.
    server.closeIdleConnections();
    stopConnectionsCheck(server);
    return server;
  };
  net[kClusterClose] = (cb) => void server.close(cb);
  patched.getConnections = (cb: (error: Error | null, count: number) => void) => (net.getConnections(cb), server);
  Object.defineProperty(server, 'listening', { get: () => net.listening, configurable: true });
  Object.defineProperty(server, 'maxConnections', { get: () => net.maxConnections, set: (n: number) => (net.maxConnections = n), configurable: true });
  patched.ref = () => (net.ref(), server);
  patched.unref = () => (net.unref(), server);
  return server;
}

/** node:http's per-server interval (Node 18.14+), under a symbol of its own: cleared where found. */
function stopConnectionsCheck(server: http.Server): void {
  const own = server as unknown as Record<symbol, unknown>;
  for (const key of Object.getOwnPropertySymbols(server)) {
    if (key.description === 'http.server.connectionsCheckingInterval') clearInterval(own[key] as NodeJS.Timeout);
  }
}
