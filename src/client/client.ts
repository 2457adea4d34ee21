import { randomBytes } from 'node:crypto';
import type { NoiseCrypto } from '../noise/index.js';
import { parseUserJid, userJid } from '../protocol/jid.js';
import { ConnectionError } from '../transport/connection.js';
import { decodeNode, encodeNode, type Node } from '../wire/index.js';
import { connect, LoginError, type OpenConnection } from './connect.js';
import { type Dialer, dialerFor } from './dial.js';
import { type ClientEvents, TypedEmitter } from './events.js';
import { handleInbound } from './inbound.js';
import type { ClientStore, Identity } from './store.js';

export interface ClientOptions {
  store: ClientStore;
  identity: Identity;
  crypto: NoiseCrypto;
  dial?: Dialer;
  version?: string;
  /** A passive login syncs without showing the user online. */
  passive?: boolean;
  reconnect?: { minMs?: number; maxMs?: number };
  /** Ping the server after this much silence; reconnect if it does not answer in pingTimeoutMs. */
  pingIdleMs?: number;
  pingTimeoutMs?: number;
}

type Waiter = { resolve(v: { id: string; t: number }): void; reject(e: Error): void };

/** Errors that no reconnect can fix: stop and tell the user. */
const FATAL = new Set(['not_authorized', 'bad_param', 'server_key_mismatch', 'conflict']);

/**
 * The SDK: one device's connection with login, automatic reconnect (exponential backoff with jitter),
 * resend of everything not yet acked, and a local store so a restart loses nothing.
 */
export class ParleyClient extends TypedEmitter<ClientEvents> {
  readonly store: ClientStore;
  readonly identity: Identity;
  state: 'idle' | 'connecting' | 'online' | 'closed' = 'idle';
  private open: OpenConnection | undefined;
  private attempt = 0;
  private forceXX = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setTimeout> | undefined;
  private lastInbound = 0;
  private pingId = 0;
  private readonly waiters = new Map<string, Waiter>();
  private inbound: Promise<void> = Promise.resolve();
  /** The offline count of the current connection, once its backlog has arrived. */
  syncedCount: number | undefined;
  private firstLogin: { resolve(): void; reject(e: Error): void } | undefined;

  constructor(private readonly o: ClientOptions) {
    super();
    this.store = o.store;
    this.identity = o.identity;
  }

  get jid(): string {
    return userJid(this.identity.user);
  }

  /** Connects; resolves once logged in the first time, rejects if the login is refused for good. */
  start(): Promise<void> {
    if (this.state !== 'idle') return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.firstLogin = { resolve, reject };
      void this.dial();
    });
  }

  private async dial(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'connecting';
    this.syncedCount = undefined;
    const id = this.identity;
    try {
      this.open = await connect({
        dial: this.o.dial ?? dialerFor(id.chatUrl),
        crypto: this.o.crypto,
        staticKey: { privateKey: id.noisePrivate, publicKey: id.noisePublic },
        serverKey: id.serverKey,
        forceXX: this.forceXX,
        login: {
          user: id.user,
          device: id.device,
          version: this.o.version ?? 'parley-sdk/0.1',
          passive: !!this.o.passive,
        },
        onNode: (n) => this.onNode(n),
        onClose: (reason) => this.dropped(reason),
      });
    } catch (err) {
      const reason =
        err instanceof LoginError || err instanceof ConnectionError
          ? err.reason
          : (err as Error).message || 'error';
      // An IK first flight fails if the server's key changed; XX then tells us whether it really did.
      if (!this.forceXX && err instanceof ConnectionError && reason !== 'server_key_mismatch')
        this.forceXX = true;
      if (FATAL.has(reason)) this.fatal(reason);
      else this.scheduleRetry(reason);
      return;
    }
    // close() may have run while the handshake was in flight.
    if ((this.state as string) === 'closed') {
      this.open.close();
      return;
    }
    this.state = 'online';
    this.attempt = 0;
    this.lastInbound = Date.now();
    this.armPing();
    this.emit('online', { t: Number(this.open.success.attrs.t ?? 0) });
    this.firstLogin?.resolve();
    this.firstLogin = undefined;
    for (const p of await this.store.pending()) this.write(decodeNode(p.stanza));
  }

  private fatal(reason: string): void {
    this.state = 'closed';
    const err = new LoginError(reason);
    if (this.firstLogin) this.firstLogin.reject(err);
    this.firstLogin = undefined;
    this.emit('offline', { reason, retryInMs: undefined });
  }

  private scheduleRetry(reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'connecting';
    const min = this.o.reconnect?.minMs ?? 500;
    const max = this.o.reconnect?.maxMs ?? 30_000;
    const base = Math.min(max, min * 2 ** this.attempt++);
    const delay = Math.round(base * (0.5 + Math.random() * 0.5));
    this.emit('offline', { reason, retryInMs: delay });
    this.retryTimer = setTimeout(() => void this.dial(), delay);
  }

  private dropped(reason: string): void {
    this.open = undefined;
    clearTimeout(this.pingTimer);
    if (this.state === 'closed') return;
    if (FATAL.has(reason)) this.fatal(reason);
    else this.scheduleRetry(reason);
  }

  private armPing(): void {
    clearTimeout(this.pingTimer);
    const idle = this.o.pingIdleMs ?? 30_000;
    this.pingTimer = setTimeout(() => {
      if (this.state !== 'online') return;
      if (Date.now() - this.lastInbound < idle) {
        this.armPing();
        return;
      }
      const id = `p${++this.pingId}`;
      this.write({
        tag: 'iq',
        attrs: { id, type: 'get', xmlns: 'w:p', to: 's.us' },
        content: [{ tag: 'ping', attrs: {} }],
      });
      const sent = Date.now();
      this.pingTimer = setTimeout(() => {
        if (this.lastInbound < sent) {
          this.open?.close();
          this.dropped('ping_timeout');
        } else this.armPing();
      }, this.o.pingTimeoutMs ?? 15_000);
    }, idle);
  }

  private onNode(node: Node): void {
    this.lastInbound = Date.now();
    // One at a time, in arrival order: events and store writes must follow the server's order.
    this.inbound = this.inbound
      .then(() => handleInbound(this, node))
      .catch((err: Error) => this.emit('warning', { message: err.message }));
  }

  /** Sends now if online; false when offline (pending stanzas go out on reconnect). */
  write(node: Node): boolean {
    if (this.state !== 'online' || !this.open) return false;
    try {
      this.open.send(node);
      return true;
    } catch {
      return false;
    }
  }

  /** Stores a stanza that needs the server's ack, then sends it if online. */
  async sendReliable(key: string, node: Node): Promise<void> {
    await this.store.addPending({ key, stanza: encodeNode(node), createdAt: Date.now() });
    this.write(node);
  }

  /** Sends a text; resolves with the server's acceptance time once acked (after any reconnects). */
  async sendText(to: string, text: string): Promise<{ id: string; t: number }> {
    if (!parseUserJid(userJid(to))) throw new Error(`not a phone number: ${to}`);
    const id = newId();
    const t = Math.floor(Date.now() / 1000);
    await this.store.addMessage({
      chat: to,
      id,
      sender: this.identity.user,
      outgoing: true,
      text,
      t,
      status: 'pending',
    });
    const acked = new Promise<{ id: string; t: number }>((resolve, reject) =>
      this.waiters.set(id, { resolve, reject }),
    );
    const body = new TextEncoder().encode(text);
    await this.sendReliable(`message:${id}`, {
      tag: 'message',
      attrs: { id, to: userJid(to), type: 'text', t: String(t) },
      content: [{ tag: 'body', attrs: {}, content: body }],
    });
    return acked;
  }

  /** Marks messages read locally and tells their sender. */
  async markRead(chat: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.store.markRead(chat, ids);
    const [first, ...rest] = ids;
    const node: Node = { tag: 'receipt', attrs: { id: first!, to: userJid(chat), type: 'read' } };
    if (rest.length > 0)
      node.content = [
        { tag: 'list', attrs: {}, content: rest.map((id) => ({ tag: 'item', attrs: { id } })) },
      ];
    await this.sendReliable(`receipt:${first}:read`, node);
  }

  setPresence(available: boolean): boolean {
    return this.write({ tag: 'presence', attrs: { type: available ? 'available' : 'unavailable' } });
  }

  subscribe(user: string): boolean {
    return this.write({ tag: 'presence', attrs: { type: 'subscribe', to: userJid(user) } });
  }

  typing(to: string, state: 'composing' | 'paused'): boolean {
    return this.write({ tag: 'chatstate', attrs: { to: userJid(to) }, content: [{ tag: state, attrs: {} }] });
  }

  /**
   * Resolves with the offline count once this connection's backlog has been delivered. Remembered per
   * connection, because the `<ib>` can arrive in the same read as the login's `<success/>`.
   */
  waitSynced(timeoutMs = 20_000): Promise<number> {
    if (this.syncedCount !== undefined) return Promise.resolve(this.syncedCount);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no offline sync within ${timeoutMs} ms`)), timeoutMs);
      this.once('synced', ({ count }) => {
        clearTimeout(timer);
        resolve(count);
      });
    });
  }

  /** Resolves once nothing awaits the server's ack (or after timeoutMs). */
  async flush(timeoutMs = 10_000): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if ((await this.store.pending()).length === 0) return true;
      await new Promise((r) => setTimeout(r, 25));
    }
    return false;
  }

  async close(): Promise<void> {
    this.state = 'closed';
    clearTimeout(this.retryTimer);
    clearTimeout(this.pingTimer);
    this.open?.close();
    this.open = undefined;
    for (const w of this.waiters.values()) w.reject(new Error('client closed'));
    this.waiters.clear();
    await this.store.close();
  }

  /** @internal for inbound.ts: settles a sendText promise. */
  settle(id: string, result: { t: number } | { error: Error }): void {
    const w = this.waiters.get(id);
    if (!w) return;
    this.waiters.delete(id);
    if ('error' in result) w.reject(result.error);
    else w.resolve({ id, t: result.t });
  }

  /** @internal for inbound.ts. */
  fire<K extends keyof ClientEvents & string>(event: K, ...args: ClientEvents[K]): void {
    if (event === 'synced') this.syncedCount = (args[0] as { count: number }).count;
    this.emit(event, ...args);
  }
}

/** Message ids: 16 upper-case hex digits, which the wire packs into 9 bytes. */
export function newId(): string {
  return randomBytes(8).toString('hex').toUpperCase();
}
