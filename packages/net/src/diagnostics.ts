import dc from 'node:diagnostics_channel';

/**
 * node:net's built-in diagnostics channels, published at the same points as Node 20's net.js, so
 * that a subscriber (an APM agent, a test) sees our sockets and servers as it sees node:net's:
 * - `net.client.socket` `{ socket }`: net.connect() / createConnection() made a socket, before it
 *   connects (a `new Socket().connect()` publishes nothing, as in Node 20);
 * - `net.server.socket` `{ socket }`: a server accepted a connection, after its 'connection' event;
 * - the `net.server.listen` tracing channel: `asyncStart` `{ server, options }` when listen() is
 *   called, `asyncEnd` `{ server }` once the server is bound and listening (before 'listening'),
 *   `error` `{ server, error }` when binding or listening fails (before 'error').
 * Publishing costs nothing while nobody subscribes (`hasSubscribers`).
 */
export const clientSocket = dc.channel('net.client.socket');
export const serverSocket = dc.channel('net.server.socket');
export const serverListen = dc.tracingChannel('net.server.listen');
