import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import fs, { backend as fsBackend } from '@uring/fs';
import { backend as netBackend, createHttpServer, sendFile } from '@uring/net';
import { contentType } from './mime.js';
import { parseRange } from './range.js';

/** Bodies up to this size go out with the headers in one write; larger ones are spliced. */
const INLINE_MAX = 64 * 1024;

/** Where `serve` listens and whom it tells about requests. */
export interface ServeOptions {
  /** Port to listen on (0: any free port). Default 8080. */
  port?: number;
  /** Address to listen on. Default 127.0.0.1. */
  host?: string;
  /** Called once per answered request: method, path, status, body bytes. */
  onRequest?: (method: string, path: string, status: number, bytes: number) => void;
}

/** A running server: its http.Server, URL, backends, and `close()` (which also ends open connections). */
export interface Serving {
  server: Server;
  url: string;
  backends: { fs: string; net: string };
  close(): Promise<void>;
}

/**
 * A static file server: Node's http parser over @uring/net sockets, files opened and stat'ed with
 * @uring/fs, bodies over 64 KiB spliced from the file to the socket on the ring (sendFile), never
 * copied through JavaScript. GET and HEAD; single byte ranges (206, 416); directories get their
 * index.html or a listing; paths outside `root` are 404s, as missing files are.
 */
export async function serve(root: string, options: ServeOptions = {}): Promise<Serving> {
  const base = resolve(root);
  const info = await fs.stat(base); // ENOENT / ENOTDIR surface to the caller
  if (!info.isDirectory()) throw Object.assign(new Error(`not a directory: ${root}`), { code: 'ENOTDIR' });
  const server = createHttpServer((req, res) => {
    answer(base, req, res).then(
      (bytes) => options.onRequest?.(req.method ?? '', req.url ?? '', res.statusCode, bytes),
      (error: Error) => {
        // Headers gone already: all that is left is to cut the connection.
        if (res.headersSent) res.destroy(error);
        else reply(res, 500, 'text/plain', `500 ${error.message}\n`);
      },
    );
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const { address, port, family } = server.address() as AddressInfo;
  const host = family === 'IPv6' ? `[${address}]` : address;
  return {
    server,
    url: `http://${host}:${port}/`,
    backends: { fs: fsBackend(), net: netBackend() },
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

function reply(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): number {
  const bytes = Buffer.from(body);
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'content-length': bytes.length, ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : bytes);
  return bytes.length;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Answers one request; resolves the body bytes sent. */
async function answer(base: string, req: IncomingMessage, res: ServerResponse): Promise<number> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'text/plain', '405 method not allowed\n', { allow: 'GET, HEAD' });
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  } catch {
    return reply(res, 400, 'text/plain', '400 bad request\n');
  }
  if (pathname.includes('\0')) return reply(res, 400, 'text/plain', '400 bad request\n');
  const path = join(base, pathname);
  if (path !== base && !path.startsWith(base + sep)) return reply(res, 404, 'text/plain', '404 not found\n');

  let stats;
  try {
    stats = await fs.stat(path);
  } catch (error) {
    return notFound(res, error as NodeJS.ErrnoException);
  }
  if (stats.isDirectory()) {
    if (!pathname.endsWith('/')) return reply(res, 301, 'text/plain', 'moved\n', { location: `${encodeURI(pathname)}/` });
    const index = join(path, 'index.html');
    const indexStats = await fs.stat(index).catch(() => undefined);
    if (indexStats?.isFile()) return sendFileResponse(req, res, index, indexStats.size, indexStats.mtime);
    const entries = await fs.readdir(path, { withFileTypes: true });
    const items = entries
      .map((e) => (e.isDirectory() ? `${e.name}/` : e.name))
      .sort()
      .map((name) => `<li><a href="${escapeHtml(encodeURIComponent(name.replace(/\/$/, '')) + (name.endsWith('/') ? '/' : ''))}">${escapeHtml(name)}</a></li>`);
    return reply(res, 200, 'text/html', `<!doctype html>\n<title>Index of ${escapeHtml(pathname)}</title>\n<h1>Index of ${escapeHtml(pathname)}</h1>\n<ul>\n${items.join('\n')}\n</ul>\n`);
  }
  if (!stats.isFile()) return reply(res, 404, 'text/plain', '404 not found\n');
  return sendFileResponse(req, res, path, stats.size, stats.mtime);
}

function notFound(res: ServerResponse, error: NodeJS.ErrnoException): number {
  if (error.code === 'ENOENT' || error.code === 'ENOTDIR' || error.code === 'ENAMETOOLONG') return reply(res, 404, 'text/plain', '404 not found\n');
  if (error.code === 'EACCES' || error.code === 'EPERM') return reply(res, 403, 'text/plain', '403 forbidden\n');
  throw error;
}

/** 200 or 206 with the file's bytes (or 416); the body goes by splice when it is large. */
async function sendFileResponse(req: IncomingMessage, res: ServerResponse, path: string, size: number, mtime: Date): Promise<number> {
  const range = parseRange(req.headers.range, size);
  const headers: Record<string, string | number> = {
    'content-type': contentType(extname(path)),
    'accept-ranges': 'bytes',
    'last-modified': mtime.toUTCString(),
  };
  if (range === 'unsatisfiable') return reply(res, 416, 'text/plain', '416 range not satisfiable\n', { 'content-range': `bytes */${size}` });
  const [start, end] = range ?? [0, size - 1];
  const length = Math.max(0, end - start + 1);
  if (range) headers['content-range'] = `bytes ${start}-${end}/${size}`;
  headers['content-length'] = length;
  res.writeHead(range ? 206 : 200, headers);
  if (req.method === 'HEAD' || length === 0) {
    res.end();
    return 0;
  }
  let handle;
  try {
    handle = await fs.open(path, 'r');
  } catch (error) {
    res.destroy(error as Error); // the headers are written; a body can no longer be promised
    return 0;
  }
  try {
    const socket = res.socket as Socket | null;
    if (length <= INLINE_MAX || !socket) {
      // Small bodies (and a pipelined response still waiting for its socket) go through http.
      const body = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(body, 0, length, start);
      if (bytesRead < length) res.destroy(new Error(`${path} shrank while being served`));
      else res.end(body);
      return bytesRead;
    }
    res.flushHeaders();
    const sent = await sendFile(socket, handle.fd, start, length);
    if (sent < length) res.destroy(new Error(`${path} shrank while being served`));
    else res.end();
    return sent;
  } finally {
    await handle.close();
  }
}
