import Database from 'better-sqlite3';
import type {
  ClientStore,
  E2EStore,
  Identity,
  MessageStatus,
  PendingStanza,
  StoredMessage,
  StoredSignedPreKey,
  TrustedIdentity,
} from './store.js';
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
CREATE TABLE IF NOT EXISTS e2e_local (id INTEGER PRIMARY KEY CHECK (id = 1),
  identity_public BLOB NOT NULL, identity_private BLOB NOT NULL, registration_id INTEGER NOT NULL,
  next_prekey_id INTEGER NOT NULL, next_signed_prekey_id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS e2e_prekeys (id INTEGER PRIMARY KEY, public_key BLOB NOT NULL, private_key BLOB NOT NULL,
  seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS e2e_signed_prekeys (id INTEGER PRIMARY KEY, public_key BLOB NOT NULL,
  private_key BLOB NOT NULL, signature BLOB NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS e2e_sessions (user TEXT NOT NULL, device INTEGER NOT NULL, record BLOB NOT NULL,
  PRIMARY KEY (user, device));
CREATE TABLE IF NOT EXISTS e2e_identities (user TEXT NOT NULL, device INTEGER NOT NULL, identity_key BLOB NOT NULL,
  verified INTEGER NOT NULL DEFAULT 0, changed_at INTEGER, PRIMARY KEY (user, device));
CREATE TABLE IF NOT EXISTS e2e_retries (kind TEXT NOT NULL, peer TEXT NOT NULL, id TEXT NOT NULL, n INTEGER NOT NULL,
  PRIMARY KEY (kind, peer, id));
`;

/** Columns added after the first release of a table: existing profiles get them on open. */
const ADDED_COLUMNS: [table: string, column: string, decl: string][] = [['pending', 'plain', 'BLOB']];

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
  for (const [table, column, decl] of ADDED_COLUMNS) {
    const cols = db.prepare<[], { name: string }>(`PRAGMA table_info(${table})`).all();
    if (!cols.some((c) => c.name === column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${decl}`);
  }
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
    updPending: db.prepare('UPDATE pending SET stanza = ?, plain = ? WHERE key = ?'),
    pending: db.prepare<[], { key: string; stanza: Buffer; created_at: number; plain: Buffer | null }>(
      'SELECT key, stanza, created_at, plain FROM pending ORDER BY seq',
    ),
    outgoing: db.prepare<[string], Row>('SELECT * FROM messages WHERE id = ? AND outgoing = 1 LIMIT 1'),
  };
  const e2e = sqliteE2E(db, (m) => addMessage(m));
  const addMessage = (m: StoredMessage): boolean =>
    q.add.run(
      m.chat,
      m.id,
      m.sender,
      m.outgoing ? 1 : 0,
      m.text,
      m.t,
      m.status,
      m.outgoing ? 0 : 1,
      m.outgoing ? 1 : 0,
    ).changes === 1;
  const updatePending = (key: string, stanza: Uint8Array, plain?: Uint8Array): boolean =>
    q.updPending.run(Buffer.from(stanza), plain ? Buffer.from(plain) : null, key).changes === 1;
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
    e2e: { ...e2e, commit: (w, also) => e2e.commit(w, also, updatePending) },
    async addMessage(m) {
      return addMessage(m);
    },
    async getOutgoing(id) {
      const r = q.outgoing.get(id);
      return r ? toMessage(r) : undefined;
    },
    async updatePending(key, stanza, plain) {
      return updatePending(key, stanza, plain);
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
      return q.pending.all().map((r) => {
        const p: PendingStanza = { key: r.key, stanza: new Uint8Array(r.stanza), createdAt: r.created_at };
        if (r.plain) p.plain = new Uint8Array(r.plain);
        return p;
      });
    },
    async close() {
      db.close();
    },
  };
}

const u8 = (b: Buffer): Uint8Array => new Uint8Array(b);
const buf = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

interface IdentityRow {
  user: string;
  device: number;
  identity_key: Buffer;
  verified: number;
  changed_at: number | null;
}

const toIdentity = (r: IdentityRow): TrustedIdentity => {
  const t: TrustedIdentity = {
    user: r.user,
    device: r.device,
    key: u8(r.identity_key),
    verified: r.verified === 1,
  };
  if (r.changed_at !== null) t.changedAt = r.changed_at;
  return t;
};

interface SignedRow {
  id: number;
  public_key: Buffer;
  private_key: Buffer;
  signature: Buffer;
  created_at: number;
}

const toSigned = (r: SignedRow): StoredSignedPreKey => ({
  id: r.id,
  publicKey: u8(r.public_key),
  privateKey: u8(r.private_key),
  signature: u8(r.signature),
  createdAt: r.created_at,
});

type SqliteE2E = Omit<E2EStore, 'commit'> & {
  commit(
    w: Parameters<E2EStore['commit']>[0],
    also: Parameters<E2EStore['commit']>[1],
    updatePending: (key: string, stanza: Uint8Array, plain?: Uint8Array) => boolean,
  ): ReturnType<E2EStore['commit']>;
};

/** The end-to-end tables of the client store (see E2EStore). */
function sqliteE2E(db: Database.Database, addMessage: (m: StoredMessage) => boolean): SqliteE2E {
  const q = {
    getLocal: db.prepare<
      [],
      {
        identity_public: Buffer;
        identity_private: Buffer;
        registration_id: number;
        next_prekey_id: number;
        next_signed_prekey_id: number;
      }
    >('SELECT * FROM e2e_local WHERE id = 1'),
    setLocal: db.prepare(
      `INSERT OR REPLACE INTO e2e_local (id, identity_public, identity_private, registration_id, next_prekey_id,
         next_signed_prekey_id) VALUES (1, ?, ?, ?, ?, ?)`,
    ),
    setNextPreKey: db.prepare('UPDATE e2e_local SET next_prekey_id = ? WHERE id = 1'),
    setNextSigned: db.prepare('UPDATE e2e_local SET next_signed_prekey_id = ? WHERE id = 1'),
    addPreKey: db.prepare(
      `INSERT OR REPLACE INTO e2e_prekeys (id, public_key, private_key, seq)
       VALUES (?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM e2e_prekeys))`,
    ),
    getPreKey: db.prepare<[number], { id: number; public_key: Buffer; private_key: Buffer }>(
      'SELECT id, public_key, private_key FROM e2e_prekeys WHERE id = ?',
    ),
    countPreKeys: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM e2e_prekeys'),
    prunePreKeys: db.prepare(
      'DELETE FROM e2e_prekeys WHERE id NOT IN (SELECT id FROM e2e_prekeys ORDER BY seq DESC LIMIT ?)',
    ),
    delPreKey: db.prepare('DELETE FROM e2e_prekeys WHERE id = ?'),
    addSigned: db.prepare(
      `INSERT OR REPLACE INTO e2e_signed_prekeys (id, public_key, private_key, signature, created_at)
       VALUES (?, ?, ?, ?, ?)`,
    ),
    pruneSigned: db.prepare(
      `DELETE FROM e2e_signed_prekeys WHERE id NOT IN
         (SELECT id FROM e2e_signed_prekeys ORDER BY created_at DESC, id DESC LIMIT ?)`,
    ),
    getSigned: db.prepare<[number], SignedRow>('SELECT * FROM e2e_signed_prekeys WHERE id = ?'),
    signed: db.prepare<[], SignedRow>('SELECT * FROM e2e_signed_prekeys ORDER BY created_at DESC, id DESC'),
    getSession: db.prepare<[string, number], { record: Buffer }>(
      'SELECT record FROM e2e_sessions WHERE user = ? AND device = ?',
    ),
    putSession: db.prepare('INSERT OR REPLACE INTO e2e_sessions (user, device, record) VALUES (?, ?, ?)'),
    delSession: db.prepare('DELETE FROM e2e_sessions WHERE user = ? AND device = ?'),
    getIdentity: db.prepare<[string, number], IdentityRow>(
      'SELECT * FROM e2e_identities WHERE user = ? AND device = ?',
    ),
    identities: db.prepare<[string], IdentityRow>(
      'SELECT * FROM e2e_identities WHERE user = ? ORDER BY device',
    ),
    newIdentity: db.prepare('INSERT INTO e2e_identities (user, device, identity_key) VALUES (?, ?, ?)'),
    changeIdentity: db.prepare(
      'UPDATE e2e_identities SET identity_key = ?, verified = 0, changed_at = ? WHERE user = ? AND device = ?',
    ),
    setVerified: db.prepare('UPDATE e2e_identities SET verified = ? WHERE user = ?'),
    bumpRetry: db.prepare<[string, string, string], { n: number }>(
      `INSERT INTO e2e_retries (kind, peer, id, n) VALUES (?, ?, ?, 1)
       ON CONFLICT (kind, peer, id) DO UPDATE SET n = n + 1 RETURNING n`,
    ),
  };

  const commitTx = db.transaction(
    (
      w: Parameters<E2EStore['commit']>[0],
      also: Parameters<E2EStore['commit']>[1],
      updatePending: (key: string, stanza: Uint8Array, plain?: Uint8Array) => boolean,
    ) => {
      const changedIdentities: { user: string; device: number }[] = [];
      for (const i of w.identities) {
        const known = q.getIdentity.get(i.user, i.device);
        if (!known) q.newIdentity.run(i.user, i.device, buf(i.key));
        else if (!sameBytes(u8(known.identity_key), i.key)) {
          q.changeIdentity.run(buf(i.key), w.now, i.user, i.device);
          changedIdentities.push({ user: i.user, device: i.device });
        }
      }
      for (const s of w.sessions) q.putSession.run(s.user, s.device, buf(s.record));
      for (const id of w.removePreKeys) q.delPreKey.run(id);
      const newMessage = also?.message ? addMessage(also.message) : false;
      if (also?.pending) updatePending(also.pending.key, also.pending.stanza, also.pending.plain);
      return { newMessage, changedIdentities };
    },
  );

  return {
    async getLocalKeys() {
      const r = q.getLocal.get();
      if (!r) return undefined;
      return {
        identity: { publicKey: u8(r.identity_public), privateKey: u8(r.identity_private) },
        registrationId: r.registration_id,
        nextPreKeyId: r.next_prekey_id,
        nextSignedPreKeyId: r.next_signed_prekey_id,
      };
    },
    async setLocalKeys(k) {
      q.setLocal.run(
        buf(k.identity.publicKey),
        buf(k.identity.privateKey),
        k.registrationId,
        k.nextPreKeyId,
        k.nextSignedPreKeyId,
      );
    },
    async addPreKeys(keys, next) {
      db.transaction(() => {
        for (const k of keys) q.addPreKey.run(k.id, buf(k.publicKey), buf(k.privateKey));
        q.setNextPreKey.run(next);
      })();
    },
    async getPreKey(id) {
      const r = q.getPreKey.get(id);
      return r && { id: r.id, publicKey: u8(r.public_key), privateKey: u8(r.private_key) };
    },
    async preKeyCount() {
      return q.countPreKeys.get()?.n ?? 0;
    },
    async prunePreKeys(keep) {
      return q.prunePreKeys.run(keep).changes;
    },
    async addSignedPreKey(k, next, keep) {
      db.transaction(() => {
        q.addSigned.run(k.id, buf(k.publicKey), buf(k.privateKey), buf(k.signature), k.createdAt);
        q.setNextSigned.run(next);
        q.pruneSigned.run(Math.max(1, keep));
      })();
    },
    async getSignedPreKey(id) {
      const r = q.getSigned.get(id);
      return r && toSigned(r);
    },
    async signedPreKeys() {
      return q.signed.all().map(toSigned);
    },
    async getSession(user, device) {
      const r = q.getSession.get(user, device);
      return r && u8(r.record);
    },
    async deleteSession(user, device) {
      q.delSession.run(user, device);
    },
    async getIdentity(user, device) {
      const r = q.getIdentity.get(user, device);
      return r && toIdentity(r);
    },
    async identities(user) {
      return q.identities.all(user).map(toIdentity);
    },
    async setVerified(user, verified) {
      q.setVerified.run(verified ? 1 : 0, user);
    },
    async bumpRetry(kind, peer, id) {
      return q.bumpRetry.get(kind, peer, id)!.n;
    },
    async commit(w, also, updatePending) {
      return commitTx.immediate(w, also, updatePending);
    },
  };
}
