import { x25519 } from '@noble/curves/ed25519.js';
import { decodeNode, encodeNode, type Node, toXml } from '../../wire/index.js';
import type { Clock } from '../core/clock.js';
import type { ServerConfigInput } from '../core/config.js';
import { parseConfig } from '../core/config.js';
import { silentLogger } from '../core/logger.js';
import type { ParleyModule } from '../core/module.js';
import { ParleyServer, type Transport } from '../core/server.js';
import type { Session } from '../core/session.js';
import { openSqliteStorage } from '../storage/sqlite/open.js';
import type { Storage } from '../storage/types.js';

/**
 * An in-process server for module tests: real core, real SQLite storage, no listeners. Sessions are
 * `TestSession`s that push every node through the real binary codec both ways, so a module cannot send
 * what the wire could not carry. End-to-end tests over TCP/WebSocket live in test/.
 */
export interface TestServer {
  server: ParleyServer;
  storage: Storage;
  connect(user: string, device?: number, opts?: { passive?: boolean }): Promise<TestSession>;
  /** Registers a device directly in storage (registration has its own tests). */
  addDevice(user: string, device?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function createTestServer(opts: {
  modules: ParleyModule[];
  config?: ServerConfigInput;
  storagePath?: string;
  clock?: Clock;
  /** Real listeners (TCP, WebSocket) for end-to-end tests; none by default. */
  transports?: Transport[];
}): Promise<TestServer> {
  const storage = await openSqliteStorage({ path: opts.storagePath ?? ':memory:' });
  const priv = x25519.utils.randomSecretKey();
  const server = new ParleyServer({
    config: parseConfig({ httpPort: 0, port: 0, logLevel: 'silent', ...opts.config }),
    storage,
    log: silentLogger(),
    staticKey: { privateKey: priv, publicKey: x25519.getPublicKey(priv) },
    modules: opts.modules,
    transports: opts.transports ?? [],
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  await server.start();
  return {
    server,
    storage,
    async addDevice(user, device = 0) {
      const now = Date.now();
      await storage.accounts.ensureAccount(user, now);
      await storage.accounts.putDevice({
        user,
        device,
        noiseKey: new Uint8Array(32).fill(device),
        registeredAt: now,
      });
    },
    async connect(user, device = 0, o = {}) {
      const s = new TestSession(server, server.nextSessionId(), user, device, o.passive ?? false);
      await server.openSession(s);
      return s;
    },
    stop: () => server.stop(),
  };
}

type Waiter = {
  match: (n: Node) => boolean;
  resolve: (n: Node) => void;
  timer: ReturnType<typeof setTimeout>;
};

export class TestSession implements Session {
  readonly transport = 'test' as const;
  readonly remoteAddress = '127.0.0.1';
  readonly connectedAt = Date.now();
  readonly state = new Map<string, unknown>();
  readonly jid: string;
  closed = false;
  closeReason: string | undefined;
  /** Everything the server sent, in order, decoded from its wire bytes. */
  readonly received: Node[] = [];
  private readonly waiters: Waiter[] = [];

  constructor(
    private readonly server: ParleyServer,
    readonly id: number,
    readonly user: string,
    readonly device: number,
    readonly passive: boolean,
  ) {
    this.jid = `${user}:${device}@s.us`;
  }

  send(node: Node): boolean {
    return this.sendEncoded(encodeNode(node));
  }

  sendEncoded(bytes: Uint8Array): boolean {
    if (this.closed) return false;
    const copy = decodeNode(bytes);
    this.received.push(copy);
    const i = this.waiters.findIndex((w) => w.match(copy));
    if (i >= 0) {
      const [w] = this.waiters.splice(i, 1);
      clearTimeout(w!.timer);
      w!.resolve(copy);
    }
    return true;
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    this.server.closeSession(this, reason);
  }

  /** Sends a stanza to the server as the client would (through the codec) and waits for it to be handled. */
  async write(node: Node): Promise<void> {
    await this.server.router.inbound(this, decodeNode(encodeNode(node)));
  }

  /** Resolves with the first node (already received or arriving within the timeout) that matches. */
  waitFor(match: (n: Node) => boolean, timeoutMs = 2000, from = 0): Promise<Node> {
    const seen = this.received.slice(from).find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`timed out waiting; received: ${this.received.map((n) => toXml(n)).join(' ')}`));
      }, timeoutMs);
      const w: Waiter = { match, resolve, timer };
      this.waiters.push(w);
    });
  }
}
