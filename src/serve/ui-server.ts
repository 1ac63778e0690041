// HTTP + websocket server for the UI: static files from an allow-list, binary
// protobuf Frames over /ws, and extra routes (/metrics). Loopback by default; any
// other bind needs a token. Checks Host, Origin and token before a client gets data.
// POST routes (postRoutes: deep leak mode) need a token, the Host check, a same-origin
// Origin when one is sent, and a JSON body of at most MAX_POST_BODY_BYTES.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Frame } from '../model/snapshot.js';
import { FaultlineError } from '../model/errors.js';
import { encodeFrame } from '../proto/codec.js';
import { ClientHub, DEFAULT_HUB_LIMITS, type HubLimits } from './client-hub.js';
import { loadStaticFiles, type StaticFile } from './static-files.js';
import { allowedHostHeaders, checkListenAccess, hostHeaderOk, originOk, tokenOk, type ListenAddress } from './access.js';

/** What a client is sent: on connect, then (live) as it happens. */
export interface FrameSource {
  /** Meta, History, latest Snapshot: what a client gets first. */
  greeting(): Frame[];
  /** Replay: the frames for `timeMs`: the snapshot in force then, and what goes with it. */
  seek?(timeMs: number): Promise<Frame[]> | Frame[];
}

export interface UiServerOptions {
  listen: ListenAddress;
  token: string | null;
  source: FrameSource;
  routes?: Record<string, (req: IncomingMessage, res: ServerResponse) => void>;
  /** POST handlers by path, called with the parsed JSON body; they need a token. */
  postRoutes?: Record<string, PostHandler>;
  webDir?: string;
  limits?: Partial<HubLimits>;
  /** Largest message a client may send (bytes); bigger ones close its socket. */
  maxClientMessageBytes?: number;
}

export type PostHandler = (req: IncomingMessage, res: ServerResponse, body: unknown) => void;

/** Largest POST body accepted (bytes); bigger ones get 413. */
export const MAX_POST_BODY_BYTES = 4096;

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy': "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; base-uri 'none'",
};

function requestToken(req: IncomingMessage): string | null {
  const url = new URL(req.url ?? '/', 'http://x');
  const fromQuery = url.searchParams.get('token');
  if (fromQuery !== null) return fromQuery;
  const auth = req.headers.authorization;
  return auth?.startsWith('Bearer ') ? auth.slice(7) : null;
}

function refuse(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

export class UiServer {
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly hub: ClientHub;
  private readonly files: Map<string, StaticFile>;
  private allowedHosts = new Set<string>();
  url = '';

  constructor(private readonly options: UiServerOptions) {
    checkListenAccess(options.listen, options.token);
    if (options.postRoutes && Object.keys(options.postRoutes).length > 0 && !options.token) {
      throw new FaultlineError('E_NEEDS_TOKEN', 'the UI server offers POST routes (deep leak mode) but no --token was given',
        'add --token SECRET, or --token auto to generate one');
    }
    this.files = loadStaticFiles(options.webDir);
    this.hub = new ClientHub({ ...DEFAULT_HUB_LIMITS, ...options.limits });
    this.wss = new WebSocketServer({ noServer: true, maxPayload: options.maxClientMessageBytes ?? 4096, perMessageDeflate: false });
    this.http = createServer((req, res) => this.handleRequest(req, res));
    this.http.on('upgrade', (req, socket, head) => this.handleUpgrade(req, socket, head));
  }

  async start(): Promise<string> {
    const { host, port } = this.options.listen;
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', (error: NodeJS.ErrnoException) =>
        reject(new FaultlineError('E_LISTEN', `cannot listen on ${host}:${port}: ${error.code ?? error.message}`,
          error.code === 'EADDRINUSE' ? 'another program uses that port: pick one with --listen 127.0.0.1:PORT' : 'check --listen')));
      this.http.listen(port, host, () => resolve());
    });
    const actualPort = (this.http.address() as { port: number }).port;
    this.allowedHosts = allowedHostHeaders(this.options.listen, actualPort);
    const shownHost = host.includes(':') ? `[${host}]` : host;
    this.url = `http://${shownHost}:${actualPort}/${this.options.token ? `?token=${encodeURIComponent(this.options.token)}` : ''}`;
    return this.url;
  }

  get clientCount(): number {
    return this.hub.size;
  }

  broadcast(frame: Frame): void {
    if (this.hub.size > 0) this.hub.broadcast(encodeFrame(frame));
  }

  private handleRequest(req: IncomingMessage, res: ServerResponse): void {
    if (!hostHeaderOk(req.headers.host, this.allowedHosts)) {
      res.writeHead(421, SECURITY_HEADERS).end('wrong Host\n');
      return;
    }
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const postRoute = Object.hasOwn(this.options.postRoutes ?? {}, path) ? this.options.postRoutes![path] : undefined;
    if (postRoute && req.method === 'POST') {
      this.handlePost(req, res, postRoute);
      return;
    }
    if (postRoute || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(405, { ...SECURITY_HEADERS, Allow: postRoute ? 'POST' : 'GET, HEAD' }).end();
      return;
    }
    const route = this.options.routes?.[path];
    if (route) {
      if (!tokenOk(requestToken(req), this.options.token)) {
        res.writeHead(401, SECURITY_HEADERS).end('token required\n');
        return;
      }
      route(req, res);
      return;
    }
    const file = this.files.get(path);
    if (!file) {
      res.writeHead(404, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': file.contentType, 'Cache-Control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  }

  private handlePost(req: IncomingMessage, res: ServerResponse, handler: PostHandler): void {
    const answer = (status: number, error: string, extra: Record<string, string> = {}): void => {
      res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'application/json', ...extra }).end(`${JSON.stringify({ error })}\n`);
    };
    if (!originOk(req.headers.origin, req.headers.host)) return answer(403, 'wrong Origin');
    if (!tokenOk(requestToken(req), this.options.token)) return answer(401, 'token required');
    const tooBig = (): void => {
      // answer, then drop the connection instead of reading the rest
      answer(413, `body over ${MAX_POST_BODY_BYTES} bytes`, { Connection: 'close' });
      req.resume();
      res.on('finish', () => req.destroy());
    };
    if (Number(req.headers['content-length'] ?? 0) > MAX_POST_BODY_BYTES) return tooBig();
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > MAX_POST_BODY_BYTES) {
        over = true;
        tooBig();
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      if (over) return;
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return answer(400, 'body is not JSON');
      }
      handler(req, res, body);
    });
  }

  private handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== '/ws') return refuse(socket, 404, 'Not Found');
    if (!hostHeaderOk(req.headers.host, this.allowedHosts)) return refuse(socket, 421, 'Misdirected Request');
    if (!originOk(req.headers.origin, req.headers.host)) return refuse(socket, 403, 'Forbidden');
    if (!tokenOk(requestToken(req), this.options.token)) return refuse(socket, 401, 'Unauthorized');
    if (this.hub.isFull()) return refuse(socket, 503, 'Service Unavailable');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.welcome(ws));
  }

  private welcome(ws: WebSocket): void {
    this.hub.add(ws);
    for (const frame of this.options.source.greeting()) this.hub.sendTo(ws, encodeFrame(frame));
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      let message: unknown;
      try {
        message = JSON.parse(data.toString());
      } catch {
        return;
      }
      if (typeof message !== 'object' || message === null) return; // "null", numbers, strings
      const m = message as { type?: unknown; timeMs?: unknown };
      if (m.type === 'seek' && typeof m.timeMs === 'number' && Number.isFinite(m.timeMs) && this.options.source.seek) {
        void Promise.resolve(this.options.source.seek(m.timeMs)).then(
          (frames) => {
            for (const frame of frames) this.hub.sendTo(ws, encodeFrame(frame));
          },
          () => {}, // a seek into a damaged chunk answers nothing; the client keeps its view
        );
      }
    });
  }

  async close(): Promise<void> {
    this.hub.close();
    this.wss.close();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeAllConnections?.();
  }
}
