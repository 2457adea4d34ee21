import type { HttpRoutes } from '../http/routes.js';
import type { Storage } from '../storage/types.js';
import type { Clock } from './clock.js';
import type { ServerConfig } from './config.js';
import type { HookMap } from './hook-map.js';
import type { Hooks } from './hooks.js';
import type { Logger } from './logger.js';
import type { Router } from './router.js';
import type { SessionRegistry } from './sessions.js';

/** What a module gets to work with: the core's parts, never the transports or other modules' internals. */
export interface ModuleContext {
  readonly config: ServerConfig;
  readonly log: Logger;
  readonly hooks: Hooks<HookMap>;
  readonly router: Router;
  readonly sessions: SessionRegistry;
  readonly storage: Storage;
  readonly clock: Clock;
  readonly http: HttpRoutes;
  /** The server's long-lived Noise static public key (clients pin it at registration). */
  readonly serverKey: Uint8Array;
  /** The client TCP port once listening (0 before), for answers that tell clients where to connect. */
  chatPort(): number;
  /** Runs when the server stops (timers, pending work). */
  onStop(fn: () => void | Promise<void>): void;
}

/** A feature of the server: it registers hooks, iq handlers and HTTP routes in `setup`, and nothing else. */
export interface ParleyModule {
  name: string;
  setup(ctx: ModuleContext): void | Promise<void>;
}

export function defineModule(m: ParleyModule): ParleyModule {
  return m;
}
