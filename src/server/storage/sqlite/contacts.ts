import type { Database } from 'better-sqlite3';
import type { ContactStore } from '../types.js';

export function sqliteContacts(db: Database): ContactStore {
  const deleteAll = db.prepare<[string]>('DELETE FROM contacts WHERE user_id = ?');
  // OR IGNORE: a client may upload the same number twice (two address book entries); it is one contact.
  const insert = db.prepare<[string, string]>(
    'INSERT OR IGNORE INTO contacts (user_id, contact) VALUES (?, ?)',
  );
  const selectAll = db.prepare<[string], { contact: string }>(
    'SELECT contact FROM contacts WHERE user_id = ? ORDER BY contact',
  );
  const selectOne = db.prepare<[string, string], { one: number }>(
    'SELECT 1 AS one FROM contacts WHERE user_id = ? AND contact = ?',
  );

  const replace = db.transaction((user: string, contacts: readonly string[]) => {
    deleteAll.run(user);
    for (const c of contacts) insert.run(user, c);
  });

  return {
    async setContacts(user, contacts) {
      replace.immediate(user, contacts);
    },
    async getContacts(user) {
      return selectAll.all(user).map((r) => r.contact);
    },
    async hasContact(user, other) {
      return selectOne.get(user, other) !== undefined;
    },
  };
}
