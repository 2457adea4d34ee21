import type { Database } from 'better-sqlite3';
import type {
  DeviceKeys,
  OneTimePrekey,
  PrekeyBundle,
  PrekeyStore,
  PrekeyUpload,
  PrekeyUploadResult,
  SignedPrekey,
} from '../types.js';
import { bytes } from './bytes.js';

interface DeviceRow {
  user_id: string;
  device: number;
  identity_key: Buffer;
  registration_id: number;
  updated_at: number;
}

interface SignedRow {
  key_id: number;
  public_key: Buffer;
  signature: Buffer;
  created_at: number;
}

interface PrekeyRow {
  key_id: number;
  public_key: Buffer;
}

const toKeys = (r: DeviceRow): DeviceKeys => ({
  user: r.user_id,
  device: r.device,
  identityKey: bytes(r.identity_key),
  registrationId: r.registration_id,
  updatedAt: r.updated_at,
});

const toSigned = (r: SignedRow): SignedPrekey => ({
  id: r.key_id,
  publicKey: bytes(r.public_key),
  signature: bytes(r.signature),
  createdAt: r.created_at,
});

const toPrekey = (r: PrekeyRow): OneTimePrekey => ({ id: r.key_id, publicKey: bytes(r.public_key) });

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Thrown inside a transaction to roll it back; carries the answer out. */
class Rollback {
  constructor(readonly result: PrekeyUploadResult) {}
}

export function sqlitePrekeys(db: Database): PrekeyStore {
  const selectDevice = db.prepare<[string, number], DeviceRow>(
    `SELECT user_id, device, identity_key, registration_id, updated_at FROM e2e_devices
     WHERE user_id = ? AND device = ?`,
  );
  const upsertDevice = db.prepare<[string, number, Uint8Array, number, number]>(
    `INSERT INTO e2e_devices (user_id, device, identity_key, registration_id, updated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (user_id, device) DO UPDATE SET identity_key = excluded.identity_key,
       registration_id = excluded.registration_id, updated_at = excluded.updated_at, low_notified = 0`,
  );
  const deleteDevice = db.prepare<[string, number]>(
    'DELETE FROM e2e_devices WHERE user_id = ? AND device = ?',
  );
  const deleteSignedAll = db.prepare<[string, number]>(
    'DELETE FROM e2e_signed_prekeys WHERE user_id = ? AND device = ?',
  );
  const deletePrekeysAll = db.prepare<[string, number]>(
    'DELETE FROM e2e_prekeys WHERE user_id = ? AND device = ?',
  );
  const upsertSigned = db.prepare<[string, number, number, Uint8Array, Uint8Array, number]>(
    `INSERT INTO e2e_signed_prekeys (user_id, device, key_id, public_key, signature, created_at)
     VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (user_id, device, key_id) DO UPDATE SET public_key = excluded.public_key,
       signature = excluded.signature, created_at = excluded.created_at`,
  );
  const selectSigned = db.prepare<[string, number], SignedRow>(
    `SELECT key_id, public_key, signature, created_at FROM e2e_signed_prekeys
     WHERE user_id = ? AND device = ? ORDER BY created_at DESC, key_id DESC`,
  );
  const selectNewestSigned = db.prepare<[string, number], SignedRow>(
    `SELECT key_id, public_key, signature, created_at FROM e2e_signed_prekeys
     WHERE user_id = ? AND device = ? ORDER BY created_at DESC, key_id DESC LIMIT 1`,
  );
  const pruneSigned = db.prepare<[string, number, string, number, number]>(
    `DELETE FROM e2e_signed_prekeys WHERE user_id = ? AND device = ? AND key_id NOT IN (
       SELECT key_id FROM e2e_signed_prekeys WHERE user_id = ? AND device = ?
       ORDER BY created_at DESC, key_id DESC LIMIT ?)`,
  );
  const upsertPrekey = db.prepare<[string, number, number, Uint8Array]>(
    `INSERT INTO e2e_prekeys (user_id, device, key_id, public_key) VALUES (?, ?, ?, ?)
     ON CONFLICT (user_id, device, key_id) DO UPDATE SET public_key = excluded.public_key`,
  );
  const countPrekeys = db.prepare<[string, number], { n: number }>(
    'SELECT count(*) AS n FROM e2e_prekeys WHERE user_id = ? AND device = ?',
  );
  const lowestPrekey = db.prepare<[string, number], PrekeyRow>(
    'SELECT key_id, public_key FROM e2e_prekeys WHERE user_id = ? AND device = ? ORDER BY key_id LIMIT 1',
  );
  const deletePrekey = db.prepare<[string, number, number]>(
    'DELETE FROM e2e_prekeys WHERE user_id = ? AND device = ? AND key_id = ?',
  );
  const readyDevices = db.prepare<[string], { device: number }>(
    `SELECT d.device FROM e2e_devices d WHERE d.user_id = ? AND EXISTS (
       SELECT 1 FROM e2e_signed_prekeys s WHERE s.user_id = d.user_id AND s.device = d.device)
     ORDER BY d.device`,
  );
  const setLow = db.prepare<[string, number]>(
    'UPDATE e2e_devices SET low_notified = 1 WHERE user_id = ? AND device = ? AND low_notified = 0',
  );
  const clearLow = db.prepare<[string, number]>(
    'UPDATE e2e_devices SET low_notified = 0 WHERE user_id = ? AND device = ?',
  );

  const count = (user: string, device: number): number => countPrekeys.get(user, device)?.n ?? 0;

  const uploadTx = db.transaction((req: PrekeyUpload): PrekeyUploadResult => {
    const { user, device } = req;
    const current = selectDevice.get(user, device);
    if (req.identity) {
      if (current && !sameBytes(bytes(current.identity_key), req.identity.key)) {
        // A new installation: nothing of the old identity may be handed out with the new one.
        deleteSignedAll.run(user, device);
        deletePrekeysAll.run(user, device);
      }
      upsertDevice.run(user, device, req.identity.key, req.identity.registrationId, req.now);
    } else if (!current) return { status: 'no_identity' };
    if (req.signedPrekey) {
      const k = req.signedPrekey;
      upsertSigned.run(user, device, k.id, k.publicKey, k.signature, req.now);
      pruneSigned.run(user, device, user, device, Math.max(1, req.keepSigned));
    }
    if (req.prekeys && req.prekeys.length > 0) {
      for (const k of req.prekeys) upsertPrekey.run(user, device, k.id, k.publicKey);
      const n = count(user, device);
      if (n > req.maxPrekeys) throw new Rollback({ status: 'too_many', count: n - req.prekeys.length });
      clearLow.run(user, device);
    }
    return { status: 'ok', count: count(user, device) };
  });

  const takeTx = db.transaction((user: string, devices: number[]) => {
    const out: { bundle: PrekeyBundle; remaining: number }[] = [];
    for (const device of devices) {
      const keys = selectDevice.get(user, device);
      const signed = keys && selectNewestSigned.get(user, device);
      if (!keys || !signed) continue;
      const bundle: PrekeyBundle = {
        user,
        device,
        registrationId: keys.registration_id,
        identityKey: bytes(keys.identity_key),
        signedPrekey: toSigned(signed),
      };
      const pk = lowestPrekey.get(user, device);
      if (pk) {
        deletePrekey.run(user, device, pk.key_id);
        bundle.prekey = toPrekey(pk);
      }
      out.push({ bundle, remaining: count(user, device) });
    }
    return out;
  });

  return {
    async upload(req) {
      try {
        // IMMEDIATE: reads then writes; take the write lock first (see queue.ts).
        return uploadTx.immediate(req);
      } catch (err) {
        if (err instanceof Rollback) return err.result;
        throw err;
      }
    },
    async getKeys(user, device) {
      const r = selectDevice.get(user, device);
      return r && toKeys(r);
    },
    async readyDevices(user) {
      return readyDevices.all(user).map((r) => r.device);
    },
    async count(user, device) {
      return count(user, device);
    },
    async signedPrekeys(user, device) {
      return selectSigned.all(user, device).map(toSigned);
    },
    async takeBundles(user, devices) {
      return takeTx.immediate(user, devices);
    },
    async markLowNotified(user, device) {
      return setLow.run(user, device).changes > 0;
    },
    async clearDevice(user, device) {
      deleteDevice.run(user, device);
    },
  };
}
