import { EventEmitter } from 'node:events';
import type { StoredMessage } from './store.js';

export interface ClientEvents {
  /** Logged in; `t` is the server's time. */
  online: [{ t: number }];
  /** The connection dropped; the client reconnects by itself unless closed. */
  offline: [{ reason: string; retryInMs: number | undefined }];
  /** A new incoming message (already stored and acked). */
  message: [StoredMessage & { offline: boolean }];
  /** A status change of one of our messages. */
  receipt: [
    { chat: string; id: string; status: 'delivered' | 'read' | 'played'; from: string; offline: boolean },
  ];
  /** A server ack for one of our messages. */
  sent: [{ chat: string; id: string; t: number }];
  presence: [{ user: string; available: boolean; lastSeen: number | 'deny' | undefined }];
  chatstate: [{ user: string; state: 'composing' | 'paused' }];
  /** The offline backlog was delivered (the server's `<ib><offline count/>`). */
  synced: [{ count: number }];
  /** A send failed for good (the server refused it). */
  failed: [{ chat: string; id: string; reason: string }];
  /**
   * A contact's device has a new identity key (reinstalled, or someone else). Messages keep flowing with
   * the new key, as in WhatsApp; the contact is no longer verified until safety numbers are compared.
   */
  'identity-changed': [{ user: string; device: number }];
  /**
   * A message could not be decrypted. `retrying`: the sender was asked to send it again; false: it was
   * asked often enough and the message is lost.
   */
  undecryptable: [{ chat: string; id: string; from: string; error: string; retrying: boolean }];
  /** Something unexpected that did not stop the client. */
  warning: [{ message: string }];
}

/** A typed EventEmitter (whatsmeow and Baileys both regret untyped event buses). */
export class TypedEmitter<E extends { [K in keyof E]: unknown[] }> {
  private readonly ee = new EventEmitter();
  on<K extends keyof E & string>(event: K, fn: (...args: E[K]) => void): () => void {
    this.ee.on(event, fn as (...a: unknown[]) => void);
    return () => this.ee.off(event, fn as (...a: unknown[]) => void);
  }
  once<K extends keyof E & string>(event: K, fn: (...args: E[K]) => void): void {
    this.ee.once(event, fn as (...a: unknown[]) => void);
  }
  protected emit<K extends keyof E & string>(event: K, ...args: E[K]): void {
    this.ee.emit(event, ...args);
  }
}
