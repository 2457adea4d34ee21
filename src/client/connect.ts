import type { KeyPair, NoiseCrypto } from '../noise/index.js';
import { ClientConnection } from '../transport/client-connection.js';
import { ConnectionError, type TransportKeys } from '../transport/connection.js';
import type { LoginPayload } from '../transport/login.js';
import type { Node } from '../wire/index.js';
import type { ClientSocket, Dialer } from './dial.js';

export interface ConnectOptions {
  dial: Dialer;
  crypto: NoiseCrypto;
  staticKey: KeyPair;
  serverKey?: Uint8Array | undefined;
  forceXX?: boolean;
  login: LoginPayload;
  onNode(node: Node): void;
  onClose(reason: string): void;
  onKeys?(keys: TransportKeys): void;
  timeoutMs?: number;
}

export class LoginError extends Error {
  override readonly name = 'LoginError';
  constructor(readonly reason: string) {
    super(`login refused: ${reason}`);
  }
}

export interface OpenConnection {
  conn: ClientConnection;
  socket: ClientSocket;
  success: Node;
  send(node: Node): void;
  close(): void;
}

/**
 * Opens a socket, runs the handshake with the login, and resolves once the server said `<success/>`;
 * rejects with LoginError on `<failure/>`, ConnectionError on a protocol fault, or the socket's error.
 */
export function connect(o: ConnectOptions): Promise<OpenConnection> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let socket: ClientSocket | undefined;
    const timer = setTimeout(
      () => fail(new ConnectionError('timeout', 'no answer to the login')),
      o.timeoutMs ?? 15_000,
    );
    const fail = (err: Error) => {
      clearTimeout(timer);
      socket?.close();
      if (!settled) {
        settled = true;
        reject(err);
      }
    };
    const conn = new ClientConnection({
      crypto: o.crypto,
      staticKey: o.staticKey,
      serverKey: o.serverKey,
      forceXX: o.forceXX ?? false,
      login: o.login,
      write: (b) => socket?.write(b),
      ...(o.onKeys ? { onKeys: o.onKeys } : {}),
      onNode: (node) => {
        if (settled) return o.onNode(node);
        if (node.tag === 'success') {
          settled = true;
          clearTimeout(timer);
          const s = socket!;
          resolve({ conn, socket: s, success: node, send: (n) => conn.sendNode(n), close: () => s.close() });
        } else if (node.tag === 'failure') fail(new LoginError(node.attrs.reason ?? 'unknown'));
        else fail(new ConnectionError('bad_login', `expected <success/>, got <${node.tag}>`));
      },
    });
    o.dial({
      onData: (b) => {
        try {
          conn.receive(b);
        } catch (err) {
          if (settled) {
            socket?.close();
            o.onClose(err instanceof ConnectionError ? err.reason : String(err));
          } else fail(err as Error);
        }
      },
      onClose: (reason) => {
        conn.close();
        if (settled) o.onClose(reason);
        else fail(new ConnectionError('closed', 'the server closed the connection during login'));
      },
    }).then(
      (s) => {
        socket = s;
        conn.start();
      },
      (err: Error) => fail(err),
    );
  });
}
