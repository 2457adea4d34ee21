import type { Database } from 'better-sqlite3';
import { initial } from './migrations/001-initial.js';
import { prekeys } from './migrations/002-prekeys.js';
import { queueSeq } from './migrations/003-queue-seq.js';

/**
 * Numbered schema migrations. Migration n brings the schema from version n-1 to n; the version lives in
 * `PRAGMA user_version` (0 in a new file). Never edit a shipped migration: add the next one. The SQL is
 * kept in TS string constants so a bundled build carries it without extra files.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial', sql: initial },
  { version: 2, name: 'prekeys', sql: prekeys },
  { version: 3, name: 'queue-seq', sql: queueSeq },
];

/** The schema version this code writes and understands. */
export const SCHEMA_VERSION = MIGRATIONS.length;

export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** A database from a newer release may have changed meaning under us: refuse it rather than guess. */
export function assertKnownVersion(db: Database, known: number = SCHEMA_VERSION): void {
  const version = schemaVersion(db);
  if (version > known) {
    throw new Error(
      `database ${db.name} has schema version ${version}, newer than this release supports (${known}); ` +
        'run a newer Parley or restore a backup',
    );
  }
}

/**
 * Applies every pending migration in one transaction, so a failure leaves the previous schema intact.
 * IMMEDIATE takes the write lock up front: a second process opening the same file at the same moment
 * waits (busy_timeout), then re-reads the version and finds nothing left to do.
 */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): number {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(`migration ${m.name} is numbered ${m.version}, expected ${i + 1}`);
  });
  const apply = db.transaction(() => {
    assertKnownVersion(db, migrations.length);
    for (const m of migrations.slice(schemaVersion(db))) db.exec(m.sql);
    db.pragma(`user_version = ${migrations.length}`);
  });
  apply.immediate();
  return migrations.length;
}
