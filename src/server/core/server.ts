import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Node } from '../../wire/index.js';
import { HttpRoutes } from '../http/routes.js';
import type { Storage } from '../storage/types.js';
import { authenticate, LoginLimiter } from './auth.js';
import { type Clock, systemClock } from './clock.js';
import type { ServerConfig } from './config.js';
import type { HookMap } from './hook-map.js';
import { Hooks } from './hooks.js';
import type { LoginRequest, LoginResult, SessionHost } from './host.js';
import type { Logger } from './logger.js';
import type { ModuleContext, ParleyModule } from './module.js';
import { Router } from './router.js';
import type { Session } from './session.js';
import { SessionRegistry } from './sessions.js';

/** A listener that carries sessions (TCP, WebSocket): started after modules, stopped before storage closes. */
export interface Transport {
  readonly name: string;
  start(host: SessionHost, http: HttpServer): Promise<void>;
  stop(): Promise<void>;
  /** The bound port, once started (0 when it has none of its own, like WebSocket on the HTTP port). */
  port(): number;
}

export interface ServerParts {
  config: ServerConfig;
  storage: Storage;
  log: Logger;
  staticKey: { publicKey: Uint8Array; privateKey: Uint8Array };
  modules: ParleyModule[];
  transports: Transport[];
  clock?: Clock;
}

/**
 * The composition root: core parts, then modules, then listeners. It knows no feature; everything a user
 * sees is a module registered through the ModuleContext.
 */
export class ParleyServer implements SessionHost {
  readonly config: ServerConfig;
  readonly log: Logger;
  readonly staticKey: { publicKey: Uint8Array; privateKey: Uint8Array };
  readonly storage: Storage;
  readonly hooks: Hooks<HookMap>;
  readonly router: Router;
  readonly sessions = new SessionRegistry();
  readonly http: HttpRoutes;
  readonly clock: Clock;
  private readonly stopFns: (() => void | Promise<void>)[] = [];
  private readonly loginLimiter: LoginLimiter;
  private httpServer: HttpServer | undefined;
  private sessionIds = 1;

  constructor(private readonly parts: ServerParts) {
    this.config = parts.config;
    this.log = parts.log;
    this.staticKey = parts.staticKey;
    this.storage = parts.storage;
    this.clock = parts.clock ?? systemClock;
    this.hooks = new Hooks<HookMap>(this.log);
    this.router = new Router(this.hooks, this.log);
    this.http = new HttpRoutes(this.log);
    this.loginLimiter = new LoginLimiter(this.config.login.failuresPerMinute, this.clock);
  }

  async start(): Promise<void> {
    const ctx: ModuleContext = {
      config: this.config,
      log: this.log,
      hooks: this.hooks,
      router: this.router,
      sessions: this.sessions,
      storage: this.storage,
      clock: this.clock,
      http: this.http,
      serverKey: this.staticKey.publicKey,
      chatPort: () => this.transportPort('tcp'),
      onStop: (fn) => this.stopFns.push(fn),
    };
    for (const m of this.parts.modules) {
      await m.setup({ ...ctx, log: this.log.child({ module: m.name }) });
    }
    const http = createHttpServer((req, res) => void this.http.handle(req, res));
    http.headersTimeout = 15_000;
    http.requestTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(this.config.httpPort, this.config.host, () => resolve());
    });
    this.httpServer = http;
    for (const t of this.parts.transports) await t.start(this, http);
  }

  httpPort(): number {
    return (this.httpServer?.address() as AddressInfo | null)?.port ?? 0;
  }

  transportPort(name: string): number {
    return this.parts.transports.find((t) => t.name === name)?.port() ?? 0;
  }

  async stop(): Promise<void> {
    for (const t of this.parts.transports) await t.stop();
    for (const s of [...this.sessions.all()]) s.close('unavailable');
    for (const fn of this.stopFns.reverse()) await fn();
    if (this.httpServer) {
      this.httpServer.closeAllConnections();
      await new Promise<void>((r) => this.httpServer!.close(() => r()));
    }
    await this.storage.close();
  }

  nextSessionId(): number {
    return this.sessionIds++;
  }

  authenticate(login: LoginRequest): Promise<LoginResult> {
    return authenticate(login, this.storage, this.loginLimiter, this.log);
  }

  async openSession(session: Session): Promise<void> {
    // A replaced session's own close finds it no longer registered, so its `session.closed` runs here:
    // modules must see every session that ends, or their per-session state leaks.
    const replaced = this.sessions.add(session);
    if (replaced) {
      this.router.sessionClosed(replaced);
      await this.hooks.run('session.closed', { session: replaced, reason: 'conflict' });
    }
    await this.hooks.run('session.opened', { session });
  }

  inbound(session: Session, node: Node): void {
    void this.router.inbound(session, node);
  }

  closeSession(session: Session, reason: string): void {
    this.router.sessionClosed(session);
    if (this.sessions.remove(session)) void this.hooks.run('session.closed', { session, reason });
  }
}
