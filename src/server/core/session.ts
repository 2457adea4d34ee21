import type { Node } from '../../wire/index.js';

export type TransportKind = 'tcp' | 'ws' | 'test';

/**
 * One logged-in device connection, whatever carries it. Transports implement it; the core and modules
 * only ever talk to this.
 */
export interface Session {
  readonly id: number;
  readonly user: string;
  readonly device: number;
  /** `user:device@s.us`: the address the server stamps as `from` on what this device sends. */
  readonly jid: string;
  readonly transport: TransportKind;
  readonly remoteAddress: string;
  /** A passive login (a background sync) does not show the user as online. */
  readonly passive: boolean;
  readonly connectedAt: number;
  readonly closed: boolean;
  /** Queues a node for the device; false when the session is closed or its send queue overflowed. */
  send(node: Node): boolean;
  /** Like send, for a node already encoded (encodeNode's bytes): the queue's stored stanzas. */
  sendEncoded(bytes: Uint8Array): boolean;
  /** Closes the connection, telling the peer why when the transport can. */
  close(reason: string): void;
  /** Per-module state, keyed by module name. */
  readonly state: Map<string, unknown>;
}
