/**
 * The first schema. Column names avoid words PostgreSQL reserves (`user`, `key`) so the two dialects'
 * migrations can stay close. STRICT tables reject values of the wrong type instead of coercing them.
 */
export const initial = `
CREATE TABLE accounts (
  user_id TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- A device cannot exist without its account: registration runs ensureAccount first.
CREATE TABLE devices (
  user_id TEXT NOT NULL REFERENCES accounts (user_id),
  device INTEGER NOT NULL,
  noise_key BLOB NOT NULL,
  registered_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, device)
) STRICT, WITHOUT ROWID;

CREATE TABLE verification_codes (
  number TEXT PRIMARY KEY,
  code_hash BLOB NOT NULL,
  salt BLOB NOT NULL,
  method TEXT NOT NULL CHECK (method IN ('sms', 'voice')),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  device_key TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- AUTOINCREMENT, not a plain rowid: a plain rowid is reused once the newest rows are deleted, and a
-- device paging with afterSeq would then skip the new entries. Global order is per-device order too.
CREATE TABLE queue (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id TEXT NOT NULL,
  device INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('message', 'receipt', 'notification')),
  ack_key TEXT NOT NULL,
  stanza BLOB NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX queue_by_device_key ON queue (user_id, device, ack_key);
CREATE INDEX queue_by_device_seq ON queue (user_id, device, seq);

-- COUNT(*) over a 100k-entry backlog costs ~3 ms per recipient on every accept (measured); a counter
-- kept by triggers costs ~2 us per insert and stays right whichever statement deletes entries.
CREATE TABLE queue_counts (
  user_id TEXT NOT NULL,
  device INTEGER NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (user_id, device)
) STRICT, WITHOUT ROWID;
CREATE TRIGGER queue_count_insert AFTER INSERT ON queue BEGIN
  INSERT INTO queue_counts (user_id, device, n) VALUES (new.user_id, new.device, 1)
    ON CONFLICT (user_id, device) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER queue_count_delete AFTER DELETE ON queue BEGIN
  UPDATE queue_counts SET n = n - 1 WHERE user_id = old.user_id AND device = old.device;
END;

-- Idempotency records: they outlive the queue entries so a late resend is still recognised.
CREATE TABLE accepted (
  sender TEXT NOT NULL,
  id TEXT NOT NULL,
  t INTEGER NOT NULL,
  PRIMARY KEY (sender, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX accepted_by_t ON accepted (t);

CREATE TABLE last_seen (
  user_id TEXT PRIMARY KEY,
  t INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- One column per setting, each with its default, so a new setting is one ALTER TABLE ... ADD COLUMN.
CREATE TABLE privacy (
  user_id TEXT PRIMARY KEY,
  last_seen TEXT NOT NULL DEFAULT 'everyone' CHECK (last_seen IN ('everyone', 'contacts', 'nobody'))
) STRICT, WITHOUT ROWID;

CREATE TABLE contacts (
  user_id TEXT NOT NULL,
  contact TEXT NOT NULL,
  PRIMARY KEY (user_id, contact)
) STRICT, WITHOUT ROWID;
`;
