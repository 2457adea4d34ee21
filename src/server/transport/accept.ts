import { inflateSync } from 'node:zlib';
import { nodeCrypto } from '../../noise/crypto-node.js';
import { deviceJid } from '../../protocol/jid.js';
import { ConnectionError, type Inflate } from '../../transport/connection.js';
import type { LoginPayload } from '../../transport/login.js';
import { ServerConnection } from '../../transport/server-connection.js';
import type { Node } from '../../wire/index.js';
import { unixSeconds } from '../core/clock.js';
import type { SessionHost } from '../core/host.js';
import type { Session, TransportKind } from '../core/session.js';
import { keyLogWriter } from './keylog-file.js';

/** What a transport gives us of its socket. */
export interface RawSocket {
  write(bytes: Uint8Array): void;
  /** Bytes accepted by write() but not yet handed to the OS: the send queue. */
  buffered(): number;
  /** Closes after flushing what was written. */
  end(): void;
  destroy(): void;
}

export const inflateBounded: Inflate = (data, max) => inflateSync(data, { maxOutputLength: max });

/** Nodes a client may send after login before its session is open; more is a protocol violation. */
const MAX_EARLY_NODES = 64;

/**
 * Drives one accepted socket: handshake (with a timeout), login, then a Session for the core. Any
 * violation closes this connection alone, with its reason logged.
 */
export class AcceptedConnection implements Session {
  readonly state = new Map<string, unknown>();
  readonly connectedAt = Date.now();
  id = 0;
  user = '';
  device = 0;
  jid = '';
  passive = false;
  closed = false;
  private opened = false;
  private early: Node[] | undefined = [];
  private readonly conn: ServerConnection;
  /** The handshake deadline; dropped once logged in (a cleared Timeout is still ~120 bytes). */
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly host: SessionHost,
    private readonly socket: RawSocket,
    readonly transport: TransportKind,
    readonly remoteAddress: string,
  ) {
    const onKeys = keyLogWriter();
    this.conn = new ServerConnection({
      crypto: nodeCrypto,
      staticKey: host.staticKey,
      maxFrame: host.config.maxFrame,
      inflate: inflateBounded,
      // Bound methods, not arrow functions: each named closure would carry its own property
      // dictionary (tsx keeps function names by defining them), per connection.
      write: this.writeRaw.bind(this),
      ...(onKeys ? { onKeys } : {}),
      onLogin: this.startLogin.bind(this),
      onNode: this.onNode.bind(this),
    });
    this.timer = setTimeout(() => this.abort('handshake_timeout'), host.config.handshakeTimeoutMs);
  }

  /** Bytes from the socket. */
  receive(chunk: Uint8Array): void {
    if (this.closed) return;
    try {
      this.conn.receive(chunk);
    } catch (err) {
      if (err instanceof ConnectionError) this.abort(err.reason, err.message);
      else {
        this.host.log.error({ err, addr: this.remoteAddress }, 'connection handler failed');
        this.abort('internal');
      }
    }
  }

  /** The socket ended or failed. */
  socketClosed(why = 'closed'): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.conn.close();
    if (this.opened) this.host.closeSession(this, why);
  }

  private startLogin(login: LoginPayload, key: Uint8Array): void {
    void this.login(login, key);
  }

  private async login(login: LoginPayload, key: Uint8Array): Promise<void> {
    let result: Awaited<ReturnType<SessionHost['authenticate']>>;
    try {
      result = await this.host.authenticate({ ...login, noiseKey: key, remoteAddress: this.remoteAddress });
    } catch (err) {
      this.host.log.error({ err }, 'authentication failed');
      result = { ok: false, reason: 'internal' };
    }
    if (this.closed) return;
    if (!result.ok) {
      this.conn.sendNode({ tag: 'failure', attrs: { reason: result.reason } });
      this.finish(`login refused: ${result.reason}`);
      return;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    this.id = this.host.nextSessionId();
    this.user = login.user;
    this.device = login.device;
    this.jid = deviceJid(login.user, login.device);
    this.passive = login.passive;
    this.conn.sendNode({ tag: 'success', attrs: { t: unixSeconds(Date.now()), server: 's.us' } });
    this.opened = true;
    await this.host.openSession(this);
    const early = this.early ?? [];
    this.early = undefined;
    for (const n of early) this.host.inbound(this, n);
  }

  private onNode(node: Node): void {
    if (this.early) {
      if (this.early.length >= MAX_EARLY_NODES)
        throw new ConnectionError('bad_request', 'stanzas before login completed');
      this.early.push(node);
      return;
    }
    this.host.inbound(this, node);
  }

  send(node: Node): boolean {
    if (this.closed) return false;
    this.conn.sendNode(node);
    return this.checkQueue();
  }

  sendEncoded(bytes: Uint8Array): boolean {
    if (this.closed) return false;
    this.conn.sendEncoded(bytes);
    return this.checkQueue();
  }

  private checkQueue(): boolean {
    if (this.socket.buffered() > this.host.config.sendQueueBytes) {
      // A reader this far behind is stalled or hostile; its stanzas stay queued in storage for next time.
      this.abort('slow_reader');
      return false;
    }
    return true;
  }

  close(reason: string): void {
    if (this.closed) return;
    if (this.conn.established) {
      try {
        this.conn.sendNode({ tag: 'stream:error', attrs: { reason } });
      } catch {
        // The connection may already be unusable; closing is what matters.
      }
    }
    this.finish(reason);
  }

  private writeRaw(b: Uint8Array): void {
    if (!this.closed) this.socket.write(b);
  }

  private finish(reason: string): void {
    this.host.log.debug(
      { addr: this.remoteAddress, user: this.user || undefined, reason },
      'connection closed',
    );
    this.socketClosed(reason);
    this.socket.end();
  }

  private abort(reason: string, detail?: string): void {
    if (this.closed) return;
    this.host.log.info(
      { addr: this.remoteAddress, transport: this.transport, reason, detail },
      'connection dropped',
    );
    this.socketClosed(reason);
    this.socket.destroy();
  }
}
