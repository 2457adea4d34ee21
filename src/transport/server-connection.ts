import type { HandshakeState, KeyPair } from '../noise/index.js';
import { NoiseError } from '../noise/index.js';
import type { Node } from '../wire/index.js';
import { type ConnectionOptions, NoiseConnection } from './connection.js';
import { XX_MSG1_LENGTH } from './handshake.js';
import { decodeLogin, type LoginPayload } from './login.js';

export interface ServerConnectionOptions extends ConnectionOptions {
  staticKey: KeyPair;
  /** The handshake finished: the peer proved `remoteStatic` and asks to log in. */
  onLogin(login: LoginPayload, remoteStatic: Uint8Array): void;
  onNode(node: Node): void;
}

/**
 * The server side of a connection: header, then XX (three messages) or IK (two, the login in the first
 * flight, told apart by the first message's length), then transport frames.
 */
export class ServerConnection extends NoiseConnection {
  private hs: HandshakeState | undefined;

  constructor(private readonly o: ServerConnectionOptions) {
    super(o);
    this.expectHeader();
  }

  protected onHandshakeFrame(frame: Uint8Array): void {
    try {
      if (!this.hs) {
        const ik = frame.length !== XX_MSG1_LENGTH;
        this.hs = this.handshake(ik ? 'IK' : 'XX', false, this.o.staticKey);
        const payload = this.hs.readMessage(frame);
        this.writeFrame(this.hs.writeMessage());
        if (ik) this.finish(payload);
        return;
      }
      this.finish(this.hs.readMessage(frame));
    } catch (err) {
      if (err instanceof NoiseError) this.fail('bad_handshake', err.message);
      throw err;
    }
  }

  private finish(payload: Uint8Array): void {
    const hs = this.hs!;
    const login = decodeLogin(payload);
    if (!login) this.fail('bad_login', 'the handshake payload is not a <login/>');
    this.establish(hs);
    // Done with it: the handshake state holds the ephemeral private key and native key objects.
    this.hs = undefined;
    this.o.onLogin(login, hs.remoteStatic()!);
  }

  protected onNode(node: Node): void {
    this.o.onNode(node);
  }
}
