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

export function sqliteAccounts(db: Database): AccountStore {
  const selectAccount = db.prepare<[string], AccountRow>(
    'SELECT user_id, created_at FROM accounts WHERE user_id = ?',
  );
  const insertAccount = db.prepare<[string, number]>(
    'INSERT INTO accounts (user_id, created_at) VALUES (?, ?) ON CONFLICT (user_id) DO NOTHING',
  );
  const selectDevice = db.prepare<[string, number], DeviceRow>(
    'SELECT user_id, device, noise_key, registered_at FROM devices WHERE user_id = ? AND device = ?',
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
      const row = selectDevice.get(user, device);
      return row && toDevice(row);
    },
    async listDevices(user) {
      return selectDevices.all(user).map(toDevice);
    },
    async putDevice(d) {
      upsertDevice.run(d.user, d.device, d.noiseKey, d.registeredAt);
    },
    async removeDevice(user, device) {
      return deleteDevice.run(user, device).changes > 0;
    },
  };
}
