import Database from 'better-sqlite3';
import type { ClientStore, Identity, MessageStatus, PendingStanza, StoredMessage } from './store.js';
import { statusAdvances } from './store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS identity (id INTEGER PRIMARY KEY CHECK (id = 1), body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
  chat TEXT NOT NULL, id TEXT NOT NULL, sender TEXT NOT NULL, outgoing INTEGER NOT NULL,
  text TEXT NOT NULL, t INTEGER NOT NULL, status TEXT NOT NULL, unread INTEGER NOT NULL DEFAULT 0, shown INTEGER NOT NULL DEFAULT 0,
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  UNIQUE (chat, sender, id)
);
CREATE INDEX IF NOT EXISTS messages_chat ON messages (chat, seq);
CREATE TABLE IF NOT EXISTS pending (key TEXT PRIMARY KEY, stanza BLOB NOT NULL, created_at INTEGER NOT NULL, seq INTEGER NOT NULL);
`;

interface Row {
  chat: string;
  id: string;
  sender: string;
  outgoing: number;
  text: string;
  t: number;
  status: string;
}

const toMessage = (r: Row): StoredMessage => ({
  chat: r.chat,
  id: r.id,
  sender: r.sender,
  outgoing: r.outgoing === 1,
  text: r.text,
  t: r.t,
  status: r.status as MessageStatus,
});

/** The Node client store: one SQLite file in the profile directory (WAL, synchronous FULL: acked means kept). */
export function openSqliteClientStore(path: string): ClientStore {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  const q = {
    getId: db.prepare<[], { body: string }>('SELECT body FROM identity WHERE id = 1'),
    setId: db.prepare('INSERT OR REPLACE INTO identity (id, body) VALUES (1, ?)'),
    add: db.prepare(
      'INSERT OR IGNORE INTO messages (chat, id, sender, outgoing, text, t, status, unread, shown) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    get: db.prepare<[string, string, string], Row>(
      'SELECT * FROM messages WHERE chat = ? AND id = ? AND sender = ?',
    ),
    getOut: db.prepare<[string, string], Row>(
      'SELECT * FROM messages WHERE chat = ? AND id = ? AND outgoing = 1',
    ),
    setStatus: db.prepare(
      'UPDATE messages SET status = ?, t = COALESCE(?, t) WHERE chat = ? AND id = ? AND outgoing = 1',
    ),
    list: db.prepare<[string, number], Row>(
      'SELECT * FROM (SELECT * FROM messages WHERE chat = ? ORDER BY seq DESC LIMIT ?) ORDER BY seq',
    ),
    chats: db.prepare<[], Row & { unread_count: number }>(
      `SELECT m.*, (SELECT COUNT(*) FROM messages u WHERE u.chat = m.chat AND u.unread = 1) AS unread_count
       FROM messages m WHERE m.seq IN (SELECT MAX(seq) FROM messages GROUP BY chat) ORDER BY m.seq DESC`,
    ),
    unshown: db.prepare<[], Row & { seq: number }>('SELECT * FROM messages WHERE shown = 0 ORDER BY seq'),
    shown: db.prepare('UPDATE messages SET shown = 1 WHERE seq = ?'),
    read: db.prepare('UPDATE messages SET unread = 0 WHERE chat = ? AND id = ? AND outgoing = 0'),
    addPending: db.prepare(
      'INSERT OR IGNORE INTO pending (key, stanza, created_at, seq) VALUES (?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM pending))',
    ),
    delPending: db.prepare('DELETE FROM pending WHERE key = ?'),
    pending: db.prepare<[], { key: string; stanza: Buffer; created_at: number }>(
      'SELECT key, stanza, created_at FROM pending ORDER BY seq',
    ),
  };
  return {
    async getIdentity() {
      const r = q.getId.get();
      if (!r) return undefined;
      const j = JSON.parse(r.body) as Record<string, unknown>;
      const b = (k: string) => new Uint8Array(Buffer.from(String(j[k]), 'base64'));
      return {
        user: String(j.user),
        device: Number(j.device),
        noisePrivate: b('noisePrivate'),
        noisePublic: b('noisePublic'),
        serverKey: b('serverKey'),
        httpUrl: String(j.httpUrl),
        chatUrl: String(j.chatUrl),
      };
    },
    async setIdentity(i: Identity) {
      const s = (u: Uint8Array) => Buffer.from(u).toString('base64');
      q.setId.run(
        JSON.stringify({
          ...i,
          noisePrivate: s(i.noisePrivate),
          noisePublic: s(i.noisePublic),
          serverKey: s(i.serverKey),
        }),
      );
    },
    async addMessage(m) {
      const r = q.add.run(
        m.chat,
        m.id,
        m.sender,
        m.outgoing ? 1 : 0,
        m.text,
        m.t,
        m.status,
        m.outgoing ? 0 : 1,
        m.outgoing ? 1 : 0,
      );
      return r.changes === 1;
    },
    async getMessage(chat, id, sender) {
      const r = q.get.get(chat, id, sender);
      return r ? toMessage(r) : undefined;
    },
    async updateStatus(chat, id, status, t) {
      const r = q.getOut.get(chat, id);
      if (!r || !statusAdvances(r.status as MessageStatus, status)) return;
      q.setStatus.run(status, t ?? null, chat, id);
    },
    async messages(chat, limit) {
      return q.list.all(chat, limit).map(toMessage);
    },
    async chats() {
      return q.chats.all().map((r) => ({ chat: r.chat, last: toMessage(r), unread: r.unread_count }));
    },
    async markRead(chat, ids) {
      db.transaction(() => {
        for (const id of ids) q.read.run(chat, id);
      })();
    },
    async takeUnshown() {
      return db.transaction(() => {
        const rows = q.unshown.all();
        for (const r of rows) q.shown.run(r.seq);
        return rows.map(toMessage);
      })();
    },
    async addPending(p: PendingStanza) {
      q.addPending.run(p.key, Buffer.from(p.stanza), p.createdAt);
    },
    async removePending(key) {
      return q.delPending.run(key).changes === 1;
    },
    async pending() {
      return q.pending
        .all()
        .map((r) => ({ key: r.key, stanza: new Uint8Array(r.stanza), createdAt: r.created_at }));
    },
    async close() {
      db.close();
    },
  };
}
