import type { Database } from 'better-sqlite3';
import type { LastSeenSetting, PresenceStore, PrivacySettings } from '../types.js';
import type { GroupCommit } from './group-commit.js';

const DEFAULTS: PrivacySettings = { lastSeen: 'everyone' };

/** Last seen is written at every disconnect: it rides the group commit rather than costing an fsync each. */
export function sqlitePresence(db: Database, commits: GroupCommit): PresenceStore {
  const upsertLastSeen = db.prepare<[string, number]>(
    'INSERT INTO last_seen (user_id, t) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET t = excluded.t',
  );
  const selectLastSeen = db.prepare<[string], { t: number }>('SELECT t FROM last_seen WHERE user_id = ?');
  const selectPrivacy = db.prepare<[string], { last_seen: LastSeenSetting }>(
    'SELECT last_seen FROM privacy WHERE user_id = ?',
  );
  const upsertPrivacy = db.prepare<[string, string]>(
    `INSERT INTO privacy (user_id, last_seen) VALUES (?, ?)
     ON CONFLICT (user_id) DO UPDATE SET last_seen = excluded.last_seen`,
  );

  const read = (user: string): PrivacySettings => {
    const row = selectPrivacy.get(user);
    return row ? { lastSeen: row.last_seen } : { ...DEFAULTS };
  };

  // Read-merge-write in one transaction so two partial updates of different settings both survive.
  const update = db.transaction((user: string, patch: Partial<PrivacySettings>): PrivacySettings => {
    const next = read(user);
    if (patch.lastSeen !== undefined) next.lastSeen = patch.lastSeen;
    upsertPrivacy.run(user, next.lastSeen);
    return next;
  });

  return {
    async setLastSeen(user, t) {
      await commits.submit(() => upsertLastSeen.run(user, t));
    },
    async getLastSeen(user) {
      commits.flush();
      return selectLastSeen.get(user)?.t;
    },
    async getPrivacy(user) {
      return read(user);
    },
    async setPrivacy(user, settings) {
      return update.immediate(user, settings);
    },
  };
}
