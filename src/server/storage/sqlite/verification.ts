import type { Database } from 'better-sqlite3';
import type { VerificationCode, VerificationStore } from '../types.js';
import { bytes } from './bytes.js';

interface CodeRow {
  number: string;
  code_hash: Buffer;
  salt: Buffer;
  method: VerificationCode['method'];
  created_at: number;
  expires_at: number;
  attempts: number;
  device_key: string;
}

export function sqliteVerification(db: Database): VerificationStore {
  const upsert = db.prepare<[string, Uint8Array, Uint8Array, string, number, number, number, string]>(
    `INSERT INTO verification_codes
       (number, code_hash, salt, method, created_at, expires_at, attempts, device_key)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (number) DO UPDATE SET code_hash = excluded.code_hash, salt = excluded.salt,
       method = excluded.method, created_at = excluded.created_at, expires_at = excluded.expires_at,
       attempts = excluded.attempts, device_key = excluded.device_key`,
  );
  const select = db.prepare<[string], CodeRow>('SELECT * FROM verification_codes WHERE number = ?');
  // One statement, so two concurrent wrong guesses both count even across processes.
  const increment = db.prepare<[string], { attempts: number }>(
    'UPDATE verification_codes SET attempts = attempts + 1 WHERE number = ? RETURNING attempts',
  );
  const remove = db.prepare<[string]>('DELETE FROM verification_codes WHERE number = ?');

  return {
    async putCode(c) {
      upsert.run(c.number, c.codeHash, c.salt, c.method, c.createdAt, c.expiresAt, c.attempts, c.deviceKey);
    },
    async getCode(number) {
      const r = select.get(number);
      return (
        r && {
          number: r.number,
          codeHash: bytes(r.code_hash),
          salt: bytes(r.salt),
          method: r.method,
          createdAt: r.created_at,
          expiresAt: r.expires_at,
          attempts: r.attempts,
          deviceKey: r.device_key,
        }
      );
    },
    async addAttempt(number) {
      // No code, nothing to guess against: 0, and no row is created.
      return increment.get(number)?.attempts ?? 0;
    },
    async deleteCode(number) {
      remove.run(number);
    },
  };
}
