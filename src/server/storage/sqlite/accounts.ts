import type { Database } from 'better-sqlite3';
import type { Account, AccountStore, Device } from '../types.js';
import { bytes } from './bytes.js';

interface AccountRow {
  user_id: string;
  created_at: number;
}

interface DeviceRow {
  user_id: string;
  device: number;
  noise_key: Buffer;
  registered_at: number;
}

const toAccount = (r: AccountRow): Account => ({ user: r.user_id, createdAt: r.created_at });

const toDevice = (r: DeviceRow): Device => ({
  user: r.user_id,
  device: r.device,
  noiseKey: bytes(r.noise_key),
  registeredAt: r.registered_at,
});

/** Users whose device lists stay cached; past this the cache starts over (a crude bound, never stale). */
const CACHE_USERS = 50_000;

/**
 * Accounts and devices. Every message asks for its recipient's device list, and lists change only at
 * registration, so they are cached in memory. The server process is the only writer of its database
 * (a second process writing devices would need its own invalidation), and every write here drops the
 * user's entry before it returns.
 */
export function sqliteAccounts(db: Database): AccountStore {
  const selectAccount = db.prepare<[string], AccountRow>(
    'SELECT user_id, created_at FROM accounts WHERE user_id = ?',
  );
  const insertAccount = db.prepare<[string, number]>(
    'INSERT INTO accounts (user_id, created_at) VALUES (?, ?) ON CONFLICT (user_id) DO NOTHING',
  );
  const selectDevices = db.prepare<[string], DeviceRow>(
    'SELECT user_id, device, noise_key, registered_at FROM devices WHERE user_id = ? ORDER BY device',
  );
  // An upsert, not INSERT OR REPLACE: REPLACE deletes the row and inserts a new one, which would trip
  // (or cascade through) any foreign key a later table points at devices.
  const upsertDevice = db.prepare<[string, number, Uint8Array, number]>(
    `INSERT INTO devices (user_id, device, noise_key, registered_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (user_id, device) DO UPDATE SET noise_key = excluded.noise_key,
       registered_at = excluded.registered_at`,
  );
  const deleteDevice = db.prepare<[string, number]>('DELETE FROM devices WHERE user_id = ? AND device = ?');
  const cache = new Map<string, readonly Device[]>();
  const devicesOf = (user: string): readonly Device[] => {
    let list = cache.get(user);
    if (!list) {
      list = Object.freeze(selectDevices.all(user).map((r) => Object.freeze(toDevice(r))));
      if (cache.size >= CACHE_USERS) cache.clear();
      cache.set(user, list);
    }
    return list;
  };

  return {
    async getAccount(user) {
      const row = selectAccount.get(user);
      return row && toAccount(row);
    },
    async ensureAccount(user, now) {
      insertAccount.run(user, now);
      return toAccount(selectAccount.get(user)!);
    },
    async getDevice(user, device) {
      // Every login asks: through the same per-user cache as the device lists.
      return devicesOf(user).find((d) => d.device === device);
    },
    async listDevices(user) {
      // A fresh array each time: callers may add to it.
      return [...devicesOf(user)];
    },
    async putDevice(d) {
      cache.delete(d.user);
      upsertDevice.run(d.user, d.device, d.noiseKey, d.registeredAt);
    },
    async removeDevice(user, device) {
      cache.delete(user);
      return deleteDevice.run(user, device).changes > 0;
    },
  };
}
