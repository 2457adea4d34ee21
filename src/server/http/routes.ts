import type { IncomingMessage, ServerResponse } from 'node:http';
import { ERRORS, ParleyError } from '../../protocol/errors.js';
import type { Logger } from '../core/logger.js';

export interface HttpRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  remoteAddress: string;
  /** The raw request, for handlers that stream the body (media uploads). */
  raw: IncomingMessage;
  /** Reads and parses a JSON body of at most `limit` bytes. */
  json(limit?: number): Promise<unknown>;
}

export type HttpResult = { status: number; body: unknown } | { stream: true };
export type HttpHandler = (req: HttpRequest, res: ServerResponse) => Promise<HttpResult>;

const DEFAULT_JSON_LIMIT = 64 * 1024;

/**
 * The server's HTTP surface (registration, media, metrics) is a handful of routes, so a small exact-match
 * table on node:http keeps full control over streaming and body limits without a framework.
 */
export class HttpRoutes {
  private readonly table = new Map<string, HttpHandler>();

  constructor(private readonly log: Logger) {}

  add(method: string, path: string, handler: HttpHandler): void {
    const key = `${method.toUpperCase()} ${path}`;
    if (this.table.has(key)) throw new Error(`route ${key} already registered`);
    this.table.set(key, handler);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const handler = this.table.get(`${req.method} ${url.pathname}`);
    if (!handler) {
      const known = [...this.table.keys()].some((k) => k.endsWith(` ${url.pathname}`));
      return send(res, known ? 405 : 404, {
        status: 'fail',
        reason: known ? 'not_allowed' : 'item_not_found',
      });
    }
    const request: HttpRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      remoteAddress: req.socket.remoteAddress ?? 'unknown',
      raw: req,
      json: (limit = DEFAULT_JSON_LIMIT) => readJson(req, limit),
    };
    try {
      const r = await handler(request, res);
      if ('stream' in r) return;
      send(res, r.status, r.body);
    } catch (err) {
      if (err instanceof ParleyError) {
        const body: Record<string, unknown> = { status: 'fail', reason: err.code };
        if (err.detail) body.detail = err.detail;
        if (err.retryAfter !== undefined) body.retry_after = err.retryAfter;
        return send(res, err.status, body);
      }
      this.log.error({ err, path: url.pathname }, 'http handler failed');
      send(res, 500, { status: 'fail', reason: 'internal', detail: ERRORS.internal.message });
    }
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
  res.end(data);
}

function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) return reject(new ParleyError('too_large', `body above ${limit} bytes`));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.destroy();
        reject(new ParleyError('too_large', `body above ${limit} bytes`));
      } else chunks.push(c);
    });
    req.on('error', reject);
    req.on('end', () => {
      try {
        resolve(chunks.length === 0 ? {} : JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new ParleyError('bad_request', 'body is not JSON'));
      }
    });
  });
}
