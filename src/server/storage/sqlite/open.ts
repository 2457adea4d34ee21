import Database from 'better-sqlite3';
import type { Storage } from '../types.js';
import { sqliteAccounts } from './accounts.js';
import { sqliteContacts } from './contacts.js';
import { GroupCommit } from './group-commit.js';
import { assertKnownVersion, migrate } from './migrations.js';
import { sqlitePrekeys } from './prekeys.js';
import { sqlitePresence } from './presence.js';
import { sqliteQueue } from './queue.js';
import { sqliteVerification } from './verification.js';

export interface SqliteOptions {
  /** A file path, or ':memory:' for a private in-memory database (tests). */
  path: string;
  /** How long a statement waits for another connection's lock before failing (ms). */
  busyTimeoutMs?: number;
}

/**
 * Opens the file, checks its schema version, configures the connection and applies pending migrations.
 *
 * Durability: WAL with synchronous = FULL syncs the WAL on every commit, so a committed transaction
 * survives power loss, not just a process crash (NORMAL only promises the latter: the last commits
 * before an OS crash may roll back). The offline queue acks a message only after its commit, so an
 * acked message must never be lost: FULL it is, at the cost of one fsync per commit, which the group
 * commit (group-commit.ts) shares among every queue write of a loop turn.
 */
export function openSqliteDatabase(opts: SqliteOptions): Database.Database {
  const db = new Database(opts.path);
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(opts.busyTimeoutMs ?? 5000))}`);
    // Before anything writes: switching the journal mode of a newer release's file would alter it.
    assertKnownVersion(db);
    if (opts.path !== ':memory:') {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new Error(`database ${opts.path} cannot use WAL (journal_mode is ${mode})`);
    }
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    migrate(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

export async function openSqliteStorage(opts: SqliteOptions): Promise<Storage> {
  const db = openSqliteDatabase(opts);
  const commits = new GroupCommit(db);
  return {
    accounts: sqliteAccounts(db),
    prekeys: sqlitePrekeys(db),
    verification: sqliteVerification(db),
    queue: sqliteQueue(db, commits),
    presence: sqlitePresence(db, commits),
    contacts: sqliteContacts(db),
    async close() {
      if (!db.open) return;
      commits.flush();
      db.close();
    },
  };
}
