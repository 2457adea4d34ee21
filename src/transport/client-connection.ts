import type { HandshakeState, KeyPair } from '../noise/index.js';
import { NoiseError } from '../noise/index.js';
import { type Node, STREAM_HEADER } from '../wire/index.js';
import { type ConnectionOptions, NoiseConnection } from './connection.js';
import { encodeLogin, type LoginPayload } from './login.js';

export interface ClientConnectionOptions extends ConnectionOptions {
  staticKey: KeyPair;
  login: LoginPayload;
  /** The pinned server key: IK when known (login in the first flight), and XX checks the server against it. */
  serverKey?: Uint8Array | undefined;
  /** Use XX even with a pinned key (after an IK attempt failed). */
  forceXX?: boolean;
  onNode(node: Node): void;
  /** The handshake finished; `serverKey` is the key the server proved. */
  onEstablished?(serverKey: Uint8Array): void;
}

export class ClientConnection extends NoiseConnection {
  private hs: HandshakeState | undefined;
  readonly pattern: 'XX' | 'IK';

  constructor(private readonly o: ClientConnectionOptions) {
    super(o);
    this.pattern = o.serverKey && !o.forceXX ? 'IK' : 'XX';
  }

  /** Writes the stream header and the first handshake message. */
  start(): void {
    this.hs = this.handshake(
      this.pattern,
      true,
      this.o.staticKey,
      this.pattern === 'IK' ? this.o.serverKey : undefined,
    );
    const first =
      this.pattern === 'IK' ? this.hs.writeMessage(encodeLogin(this.o.login)) : this.hs.writeMessage();
    this.writeFrame(first, STREAM_HEADER);
  }

  protected onHandshakeFrame(frame: Uint8Array): void {
    const hs = this.hs;
    if (!hs) this.fail('bad_state', 'frame before start');
    try {
      hs.readMessage(frame);
      if (this.pattern === 'XX') {
        const rs = hs.remoteStatic()!;
        if (this.o.serverKey && !equal(rs, this.o.serverKey)) {
          this.fail(
            'server_key_mismatch',
            'the server proved a different key than the one pinned at registration',
          );
        }
        this.writeFrame(hs.writeMessage(encodeLogin(this.o.login)));
      }
    } catch (err) {
      if (err instanceof NoiseError) this.fail('bad_handshake', err.message);
      throw err;
    }
    this.establish(hs);
    // Done with it: the handshake state holds the ephemeral private key and native key objects.
    this.hs = undefined;
    this.o.onEstablished?.(hs.remoteStatic()!);
  }

  protected onNode(node: Node): void {
    this.o.onNode(node);
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
