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
  stanza: Uint8Array;
  createdAt: number;
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
  addPending(p: PendingStanza): Promise<void>;
  removePending(key: string): Promise<boolean>;
  pending(): Promise<PendingStanza[]>;
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
