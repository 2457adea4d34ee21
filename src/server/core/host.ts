import type { Node } from '../../wire/index.js';
import type { ServerConfig } from './config.js';
import type { Logger } from './logger.js';
import type { Session } from './session.js';

/** What the client put in Noise message 3 (or the IK first flight): `<login user device version passive/>`. */
export interface LoginRequest {
  user: string;
  device: number;
  version: string;
  passive: boolean;
  /** The client's Noise static public key, proven by the handshake. */
  noiseKey: Uint8Array;
  remoteAddress: string;
}

export type LoginResult = { ok: true } | { ok: false; reason: string };

/**
 * The side of the server that transports talk to. A transport turns a socket into frames, runs the Noise
 * handshake with `staticKey`, asks `authenticate`, and on success builds a Session and hands over.
 */
export interface SessionHost {
  readonly config: ServerConfig;
  readonly log: Logger;
  /** The server's long-lived Noise static key pair. */
  readonly staticKey: { publicKey: Uint8Array; privateKey: Uint8Array };
  authenticate(login: LoginRequest): Promise<LoginResult>;
  /** Registers a logged-in session and delivers its backlog; the transport must not send before this resolves. */
  openSession(session: Session): Promise<void>;
  /** A stanza arrived on a session. */
  inbound(session: Session, node: Node): void;
  /** The connection ended (either side). */
  closeSession(session: Session, reason: string): void;
  /** Unique ids for sessions. */
  nextSessionId(): number;
}
