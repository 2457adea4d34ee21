import { randomBytes } from 'node:crypto';
import type { NoiseCrypto } from '../noise/index.js';
import { ERRORS, isErrorCode, ParleyError } from '../protocol/errors.js';
import { parseUserJid, userJid } from '../protocol/jid.js';
import { ConnectionError } from '../transport/connection.js';
import { decodeNode, encodeNode, type Node } from '../wire/index.js';
import { connect, LoginError, type OpenConnection } from './connect.js';
import { type Dialer, dialerFor } from './dial.js';
import { Encryption, type EncryptionOptions, needsEncryption } from './e2e/index.js';
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
  /** End-to-end encryption tuning (prekey counts, retry limits); the defaults suit real use. */
  e2e?: EncryptionOptions;
}

interface PendingIq {
  resolve(n: Node): void;
  reject(e: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/** How often a message may be encrypted again for a changed device list before it fails. */
const MAX_REENCRYPT = 3;
/** After a failure that may heal (a timeout, the server busy), the outbox tries again this much later. */
const PUMP_RETRY_MS = 1000;

type Waiter = { resolve(v: { id: string; t: number }): void; reject(e: Error): void };

/** Errors that no reconnect can fix: stop and tell the user. */
const FATAL = new Set(['not_authorized', 'bad_param', 'server_key_mismatch', 'conflict']);

/**
 * The SDK: one device's connection with login, automatic reconnect (exponential backoff with jitter),
 * resend of everything not yet acked, and a local store so a restart loses nothing. Messages are end-to-end
 * encrypted per recipient device (`e2e`): the server relays and stores ciphertext only.
 */
export class ParleyClient extends TypedEmitter<ClientEvents> {
  readonly store: ClientStore;
  readonly identity: Identity;
  readonly e2e: Encryption;
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
  private iqSeq = 0;
  /** The reason of a `stream:error` the server sent just before closing this connection. */
  private streamError: string | undefined;
  private readonly iqs = new Map<string, PendingIq>();
  /** The outbox: pending stanzas go out one at a time, in order, each encrypted first if it needs to be. */
  private pumping = false;
  private pumpAgain = false;
  private pumpTimer: ReturnType<typeof setTimeout> | undefined;
  /** Pending keys written on the current connection (a new connection sends them all again). */
  private sentHere = new Set<string>();
  private readonly failures = new Map<string, number>();
  private keySync: Promise<void> | undefined;

  constructor(private readonly o: ClientOptions) {
    super();
    this.store = o.store;
    this.identity = o.identity;
    this.e2e = new Encryption(this, o.e2e);
  }

  get jid(): string {
    return userJid(this.identity.user);
  }

  /**
   * Connects; resolves once logged in the first time and this device's encryption keys are in the
   * server's directory (or uploading them failed: see `keysUploaded`); rejects if the login is refused
   * for good.
   */
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
    this.streamError = undefined;
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
    this.sentHere = new Set();
    // Our keys in the directory first (peers need them to answer), the outbox meanwhile.
    const sync = this.e2e.syncKeys();
    this.keySync = sync;
    sync.catch((err: Error) =>
      this.emit('warning', { message: `encryption keys not uploaded: ${err.message}` }),
    );
    this.emit('online', { t: Number(this.open.success.attrs.t ?? 0) });
    this.kick();
    if (this.firstLogin) {
      // start() resolves once peers can reach this device: its keys are in the directory.
      await sync.catch(() => {});
      this.firstLogin?.resolve();
      this.firstLogin = undefined;
    }
  }

  /**
   * Resolves once this device's keys are in the server's prekey directory (after the current login's
   * check); rejects if that failed. Registration waits for it, so others can message a new device.
   */
  async keysUploaded(): Promise<void> {
    if (!this.keySync) throw new Error('not logged in');
    await this.keySync;
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
    // The server says why before it closes (`conflict`: this device logged in elsewhere); that beats
    // the bare socket close, and decides whether reconnecting can help.
    if (this.streamError) reason = this.streamError;
    this.streamError = undefined;
    this.open = undefined;
    clearTimeout(this.pingTimer);
    this.failIqs('connection lost');
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
    if (node.tag === 'stream:error') {
      this.streamError = node.attrs.reason ?? 'stream_error';
      return;
    }
    // Answers to our iqs settle at once, outside the inbound queue: a handler in that queue may be
    // waiting for one of them.
    if (node.tag === 'iq' && (node.attrs.type === 'result' || node.attrs.type === 'error')) {
      const p = this.iqs.get(node.attrs.id ?? '');
      if (p) {
        this.iqs.delete(node.attrs.id!);
        clearTimeout(p.timer);
        if (node.attrs.type === 'result') p.resolve(node);
        else {
          const e = Array.isArray(node.content) ? node.content[0] : undefined;
          const reason = e?.attrs.reason ?? 'internal';
          p.reject(new ParleyError(isErrorCode(reason) ? reason : 'internal', e?.attrs.text));
        }
        return;
      }
    }
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

  /** Sends an iq and resolves with the server's result; an error answer rejects with its ParleyError. */
  iq(node: Node, timeoutMs = 10_000): Promise<Node> {
    if (this.state !== 'online' || !this.open)
      return Promise.reject(new ParleyError('unavailable', 'offline'));
    const id = `q${++this.iqSeq}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.iqs.delete(id);
        reject(new ParleyError('timeout', `iq ${node.attrs.xmlns ?? ''}`));
      }, timeoutMs);
      this.iqs.set(id, { resolve, reject, timer });
      if (!this.write({ ...node, attrs: { ...node.attrs, id } })) {
        clearTimeout(timer);
        this.iqs.delete(id);
        reject(new ParleyError('unavailable', 'offline'));
      }
    });
  }

  private failIqs(why: string): void {
    for (const p of this.iqs.values()) {
      clearTimeout(p.timer);
      p.reject(new ParleyError('unavailable', why));
    }
    this.iqs.clear();
  }

  /** Stores a stanza that needs the server's ack, then sends it (in order, after what waits before it). */
  async sendReliable(key: string, node: Node): Promise<void> {
    await this.store.addPending({ key, stanza: encodeNode(node), createdAt: Date.now() });
    this.kick();
  }

  /** Wakes the outbox. */
  kick(): void {
    void this.pump();
  }

  /**
   * @internal for inbound.ts: the server acked (or refused for good) a pending stanza. Its key may be
   * used again (a second retry receipt for the same message), and must then be sent again.
   */
  async dropPending(key: string): Promise<boolean> {
    this.sentHere.delete(key);
    return this.store.removePending(key);
  }

  /**
   * Sends every pending stanza not yet sent on this connection, oldest first. A message still in its
   * plain form is encrypted first (which may need the server's device lists and bundles), so the order
   * of the store is the order on the wire.
   */
  private async pump(): Promise<void> {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    clearTimeout(this.pumpTimer);
    try {
      do {
        this.pumpAgain = false;
        const conn = this.open;
        if (this.state !== 'online' || !conn) return;
        for (const p of await this.store.pending()) {
          if (this.open !== conn || this.state !== 'online') return;
          if (this.sentHere.has(p.key)) continue;
          let node = decodeNode(p.stanza);
          if (needsEncryption(node)) {
            try {
              node = await this.e2e.encryptPending(p, node);
              this.failures.delete(p.key);
            } catch (err) {
              if (await this.encryptionFailed(p.key, node, err)) continue;
              // May heal (offline, a timeout): later, and nothing after it overtakes it meanwhile.
              this.pumpTimer = setTimeout(() => this.kick(), PUMP_RETRY_MS);
              return;
            }
          }
          if (this.open !== conn) return;
          if (this.write(node)) this.sentHere.add(p.key);
        }
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
      if (this.pumpAgain && this.state === 'online') this.kick();
    }
  }

  /** True when the message failed for good (it is dropped from the outbox); false: try again later. */
  private async encryptionFailed(key: string, node: Node, err: unknown): Promise<boolean> {
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    const code = err instanceof ParleyError ? err.code : undefined;
    const final = code !== undefined ? !ERRORS[code].retryable : n >= MAX_REENCRYPT;
    if (!final) return false;
    this.failures.delete(key);
    await this.dropPending(key);
    const reason = code ?? 'internal';
    const id = node.attrs.id ?? '';
    if (!key.startsWith('message:')) {
      this.emit('warning', { message: `not sent: ${key}: ${(err as Error).message}` });
      return true;
    }
    const chat = parseUserJid(node.attrs.to ?? '')?.user ?? '';
    await this.store.updateStatus(chat, id, 'failed');
    this.emit('failed', { chat, id, reason });
    this.settle(id, {
      error: err instanceof ParleyError ? err : new ParleyError('internal', (err as Error).message),
    });
    return true;
  }

  /**
   * @internal for inbound.ts: the server refused a message because our device list was stale. It goes
   * back to its plain form and is encrypted again for the devices the server knows now.
   */
  async reencrypt(key: string, chat: string): Promise<void> {
    this.e2e.forgetDevices(chat, this.identity.user);
    const p = (await this.store.pending()).find((x) => x.key === key);
    const n = (this.failures.get(`mismatch:${key}`) ?? 0) + 1;
    this.failures.set(`mismatch:${key}`, n);
    if (!p?.plain || n > MAX_REENCRYPT) {
      const node = p
        ? decodeNode(p.plain ?? p.stanza)
        : { tag: 'message', attrs: { id: key.slice(8), to: userJid(chat) } };
      await this.encryptionFailed(
        key,
        node,
        new ParleyError('device_mismatch', 'the device list keeps changing'),
      );
      return;
    }
    await this.store.updatePending(key, p.plain);
    this.sentHere.delete(key);
    this.kick();
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
    clearTimeout(this.pumpTimer);
    this.failIqs('client closed');
    this.e2e.close();
    // Let an encryption or decryption that is committing finish before the store goes away.
    const end = Date.now() + 2000;
    while (this.pumping && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.inbound,
      new Promise((r) => (timer = setTimeout(r, Math.max(0, end - Date.now())))),
    ]);
    clearTimeout(timer);
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
