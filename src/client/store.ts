/**
 * The SDK's local state, behind an interface so Node keeps it in SQLite and a browser in IndexedDB.
 * A client that restarts loses nothing: its identity, unacknowledged sends and received messages live here.
 */
export interface Identity {
  user: string;
  device: number;
  noisePrivate: Uint8Array;
  noisePublic: Uint8Array;
  /** The server's Noise static key, pinned at registration. */
  serverKey: Uint8Array;
  /** HTTP base URL (registration, media). */
  httpUrl: string;
  /** Chat connection: tcp://host:port or ws://host:port/ws. */
  chatUrl: string;
}

export type MessageStatus = 'pending' | 'sent' | 'delivered' | 'read' | 'played' | 'failed';

export interface StoredMessage {
  /** The other party's user number: the conversation. */
  chat: string;
  id: string;
  /** Sender's user number (ours for outgoing). */
  sender: string;
  outgoing: boolean;
  text: string;
  /** Unix seconds: the server's acceptance time once known, else local. */
  t: number;
  status: MessageStatus;
}

/** A stanza waiting for the server's ack; re-sent after every reconnect until acked. */
export interface PendingStanza {
  key: string;
  /**
   * What goes on the wire. A message starts out as its plain form (`<message id to type><body/>…`) and
   * is replaced by its end-to-end encrypted form when first sent, so every resend is the same bytes.
   */
  stanza: Uint8Array;
  createdAt: number;
  /** The plain form of an encrypted message, kept to encrypt it again (the recipient's devices changed). */
  plain?: Uint8Array;
}

/** This device's end-to-end identity (Signal protocol) and its key-id counters. */
export interface LocalKeys {
  /** 33-byte public key (0x05 ‖ X25519), 32-byte private key. */
  identity: { publicKey: Uint8Array; privateKey: Uint8Array };
  registrationId: number;
  /** The id the next generated one-time prekey gets. */
  nextPreKeyId: number;
  /** The id the next generated signed prekey gets. */
  nextSignedPreKeyId: number;
}

export interface StoredPreKey {
  id: number;
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

export interface StoredSignedPreKey extends StoredPreKey {
  signature: Uint8Array;
  /** Unix ms. */
  createdAt: number;
}

/** A peer device's identity key as we trust it (first use, or accepted after a change). */
export interface TrustedIdentity {
  user: string;
  device: number;
  key: Uint8Array;
  /** The user compared safety numbers and marked this contact verified (since the key last changed). */
  verified: boolean;
  /** Unix ms of the last change of this device's key, if it ever changed. */
  changedAt?: number;
}

/** End-to-end state changes that must land together (with a received message, or an encrypted send). */
export interface E2EWrites {
  sessions: { user: string; device: number; record: Uint8Array }[];
  identities: { user: string; device: number; key: Uint8Array }[];
  /** One-time prekeys used up by a session setup. */
  removePreKeys: number[];
  now: number;
}

/** What a commit did besides the writes. */
export interface E2ECommitResult {
  /** The message was stored (false: it was already there). */
  newMessage: boolean;
  /** Devices whose identity key replaced a different one (each is now unverified). */
  changedIdentities: { user: string; device: number }[];
}

/**
 * The end-to-end encryption state of this device: keys, sessions per peer device, trusted identities.
 * `commit` applies session, identity and prekey changes atomically, together with what they produced
 * (a decrypted message, or the encrypted form of a pending message): a crash can never leave a ratchet
 * advanced without its message stored, or a ciphertext sent from a key that was not saved as used.
 */
export interface E2EStore {
  getLocalKeys(): Promise<LocalKeys | undefined>;
  setLocalKeys(keys: LocalKeys): Promise<void>;
  /** Adds one-time prekeys and moves the id counter past them, atomically. */
  addPreKeys(keys: StoredPreKey[], nextPreKeyId: number): Promise<void>;
  getPreKey(id: number): Promise<StoredPreKey | undefined>;
  preKeyCount(): Promise<number>;
  /** Keeps the newest `keep` one-time prekeys (by id order of creation); returns how many were dropped. */
  prunePreKeys(keep: number): Promise<number>;
  /** Adds a signed prekey, moves the id counter past it, and keeps only the newest `keep`. */
  addSignedPreKey(key: StoredSignedPreKey, nextSignedPreKeyId: number, keep: number): Promise<void>;
  getSignedPreKey(id: number): Promise<StoredSignedPreKey | undefined>;
  /** Newest first. */
  signedPreKeys(): Promise<StoredSignedPreKey[]>;
  getSession(user: string, device: number): Promise<Uint8Array | undefined>;
  deleteSession(user: string, device: number): Promise<void>;
  getIdentity(user: string, device: number): Promise<TrustedIdentity | undefined>;
  identities(user: string): Promise<TrustedIdentity[]>;
  setVerified(user: string, verified: boolean): Promise<void>;
  /** Counts one more retry of `kind` for (peer device, message id); returns the new count. */
  bumpRetry(kind: 'asked' | 'resent', peer: string, id: string): Promise<number>;
  commit(
    w: E2EWrites,
    also?: { message?: StoredMessage; pending?: { key: string; stanza: Uint8Array; plain?: Uint8Array } },
  ): Promise<E2ECommitResult>;
}

export interface ClientStore {
  getIdentity(): Promise<Identity | undefined>;
  setIdentity(identity: Identity): Promise<void>;
  /** Saves a message unless (chat, sender, id) is already there; returns whether it was new. */
  addMessage(m: StoredMessage): Promise<boolean>;
  getMessage(chat: string, id: string, sender: string): Promise<StoredMessage | undefined>;
  /** Moves an outgoing message's status forward only (pending → sent → delivered → read). */
  updateStatus(chat: string, id: string, status: MessageStatus, t?: number): Promise<void>;
  messages(chat: string, limit: number): Promise<StoredMessage[]>;
  chats(): Promise<{ chat: string; last: StoredMessage; unread: number }[]>;
  markRead(chat: string, ids: string[]): Promise<void>;
  /** Incoming messages not yet shown to the user (by sync or chat), oldest first; marks them shown. */
  takeUnshown(): Promise<StoredMessage[]>;
  /** Our own message with this id, in whichever conversation (ids are random: unique in practice). */
  getOutgoing(id: string): Promise<StoredMessage | undefined>;
  addPending(p: PendingStanza): Promise<void>;
  /** Replaces a pending stanza in place (its position in the send order stays); false if it is gone. */
  updatePending(key: string, stanza: Uint8Array, plain?: Uint8Array): Promise<boolean>;
  removePending(key: string): Promise<boolean>;
  pending(): Promise<PendingStanza[]>;
  readonly e2e: E2EStore;
  close(): Promise<void>;
}

const RANK: Record<MessageStatus, number> = {
  failed: -1,
  pending: 0,
  sent: 1,
  delivered: 2,
  read: 3,
  played: 4,
};

/** Whether `next` is a step forward from `current` (statuses never move back). */
export function statusAdvances(current: MessageStatus, next: MessageStatus): boolean {
  if (next === 'failed') return current === 'pending';
  return RANK[next] > RANK[current];
}
