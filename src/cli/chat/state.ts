import type { MessageStatus, StoredMessage } from '../../client/store.js';
import { statusAdvances } from '../../client/store.js';

/**
 * The chat UI's whole state and the pure reducer that applies events to it. Both front ends (the
 * full-screen one and the line mode) are driven by these actions, so the behaviour is tested without I/O.
 */

export interface ChatSummary {
  chat: string;
  last: StoredMessage;
  unread: number;
}

/** What we know about the open conversation's contact; undefined fields: not heard from the server yet. */
export interface Peer {
  user: string;
  available?: boolean;
  lastSeen?: number | 'deny';
  /** When the last `composing` arrived (ms); the indicator expires TYPING_MS later. */
  typingSince?: number;
  /** A device of theirs has a new identity key and they have not been verified since: a warning. */
  identityChanged?: boolean;
}

export interface ChatState {
  me: string;
  /** Wall clock (ms) as of the last action: rendering never reads the clock itself. */
  now: number;
  connection: 'online' | 'reconnecting';
  connectionNote?: string;
  chats: ChatSummary[];
  /** The highlighted row of the conversation list. */
  selected: number;
  /** The open conversation; undefined shows the list. */
  open?: string;
  messages: StoredMessage[];
  peer?: Peer;
  input: string;
  /** One line of news: a message in another conversation, an error, a hint. */
  notice?: string;
  help: boolean;
}

export type Action =
  | { type: 'chats'; chats: ChatSummary[] }
  | { type: 'list'; chats: ChatSummary[] }
  | { type: 'open'; chat: string; messages: StoredMessage[] }
  | { type: 'reload'; chat: string; messages: StoredMessage[] }
  | { type: 'incoming'; m: StoredMessage }
  | { type: 'outgoing'; m: StoredMessage }
  | { type: 'status'; chat: string; id: string; status: MessageStatus; t?: number; reason?: string }
  | { type: 'presence'; user: string; available: boolean; lastSeen: number | 'deny' | undefined }
  | { type: 'chatstate'; user: string; state: 'composing' | 'paused' }
  | { type: 'identity'; user: string; changed: boolean }
  | { type: 'connection'; online: boolean; reason?: string; retryInMs?: number }
  | { type: 'input'; text: string }
  | { type: 'select'; delta: number }
  | { type: 'notice'; text: string | undefined }
  | { type: 'help' }
  | { type: 'tick' };

/** A contact's typing indicator lasts this long without a fresh `composing` (a lost `paused` heals). */
export const TYPING_MS = 5000;
/** Messages kept for the open conversation: more than any screen shows. */
export const KEEP = 500;

export function initialState(me: string, now: number): ChatState {
  return { me, now, connection: 'online', chats: [], selected: 0, messages: [], input: '', help: false };
}

export function isTyping(peer: Peer | undefined, now: number): boolean {
  return peer?.typingSince !== undefined && now - peer.typingSince < TYPING_MS;
}

const clamp = (i: number, n: number) => Math.max(0, Math.min(i, n - 1));
const sameMessage = (a: StoredMessage, b: StoredMessage) => a.id === b.id && a.sender === b.sender;

/** Moves `m`'s conversation to the top with `m` as its last message, keeping the highlighted chat. */
function bump(s: ChatState, m: StoredMessage, unread: number): Pick<ChatState, 'chats' | 'selected'> {
  const old = s.chats.find((c) => c.chat === m.chat);
  const chats = [
    { chat: m.chat, last: m, unread: (old?.unread ?? 0) + unread },
    ...s.chats.filter((c) => c.chat !== m.chat),
  ];
  const sel = s.chats[s.selected]?.chat;
  const idx = chats.findIndex((c) => c.chat === sel);
  return { chats, selected: Math.max(idx, 0) };
}

function append(messages: StoredMessage[], m: StoredMessage): StoredMessage[] {
  if (messages.some((x) => sameMessage(x, m))) return messages;
  return [...messages, m].slice(-KEEP);
}

export function reduce(s: ChatState, a: Action, now = s.now): ChatState {
  const n: ChatState = { ...s, now };
  switch (a.type) {
    case 'chats': {
      // The store's counts are authoritative, except that what is on screen is being read.
      const chats = a.chats.map((c) => (c.chat === s.open ? { ...c, unread: 0 } : c));
      return { ...n, chats, selected: clamp(s.selected, chats.length) };
    }
    case 'list':
      return {
        ...n,
        chats: a.chats,
        selected: clamp(s.selected, a.chats.length),
        open: undefined,
        messages: [],
        peer: undefined,
        help: false,
      };
    case 'open':
      return {
        ...n,
        open: a.chat,
        messages: a.messages.slice(-KEEP),
        peer: { user: a.chat },
        chats: s.chats.map((c) => (c.chat === a.chat ? { ...c, unread: 0 } : c)),
        notice: undefined,
        help: false,
      };
    case 'reload':
      return a.chat === s.open ? { ...n, messages: a.messages.slice(-KEEP) } : n;
    case 'incoming': {
      const here = a.m.chat === s.open;
      if (!here) return { ...n, ...bump(s, a.m, 1), notice: `+${a.m.sender}: ${a.m.text}` };
      // A message from the contact ends their typing.
      const peer = s.peer && { ...s.peer, typingSince: undefined };
      return { ...n, ...bump(s, a.m, 0), peer, messages: append(s.messages, a.m) };
    }
    case 'outgoing':
      return {
        ...n,
        ...bump(s, a.m, 0),
        messages: a.m.chat === s.open ? append(s.messages, a.m) : s.messages,
      };
    case 'status': {
      // Receipts can overtake the server's ack; a status never moves back.
      const upd = (m: StoredMessage): StoredMessage =>
        m.outgoing && m.id === a.id && m.chat === a.chat && statusAdvances(m.status, a.status)
          ? { ...m, status: a.status, t: a.t || m.t }
          : m;
      return {
        ...n,
        messages: s.messages.map(upd),
        chats: s.chats.map((c) => (c.chat === a.chat ? { ...c, last: upd(c.last) } : c)),
      };
    }
    case 'presence': {
      if (s.peer?.user !== a.user) return n;
      const typingSince = a.available ? s.peer.typingSince : undefined;
      return { ...n, peer: { ...s.peer, available: a.available, lastSeen: a.lastSeen, typingSince } };
    }
    case 'chatstate':
      if (s.peer?.user !== a.user) return n;
      return { ...n, peer: { ...s.peer, typingSince: a.state === 'composing' ? now : undefined } };
    case 'identity':
      if (s.peer?.user !== a.user) return n;
      return { ...n, peer: { ...s.peer, identityChanged: a.changed } };
    case 'tick':
      if (s.peer?.typingSince !== undefined && !isTyping(s.peer, now))
        return { ...n, peer: { ...s.peer, typingSince: undefined } };
      return n;
    case 'connection':
      return { ...n, connection: a.online ? 'online' : 'reconnecting', connectionNote: a.reason };
    case 'input':
      return { ...n, input: a.text, help: false };
    case 'select':
      return { ...n, selected: clamp(s.selected + a.delta, s.chats.length) };
    case 'notice':
      return { ...n, notice: a.text };
    case 'help':
      return { ...n, help: true };
  }
}
