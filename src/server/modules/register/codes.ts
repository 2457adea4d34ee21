import { randomBytes, randomInt, scrypt, timingSafeEqual } from 'node:crypto';
import type { VerificationCode } from '../../storage/types.js';

/** scrypt's defaults (16 MiB, tens of ms), run on libuv's pool so the event loop never waits for it. */
const SCRYPT = { N: 1 << 14, r: 8, p: 1 };

/** A uniformly random code of `length` decimal digits. */
export function newCode(length: number): string {
  return String(randomInt(0, 10 ** length)).padStart(length, '0');
}

export function newSalt(): Uint8Array {
  return new Uint8Array(randomBytes(16));
}

export function hashCode(code: string, salt: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    scrypt(code, salt, 32, SCRYPT, (err, key) => (err ? reject(err) : resolve(new Uint8Array(key))));
  });
}

/** Compares a guess with the stored hash in constant time. */
export async function codeMatches(guess: string, stored: VerificationCode): Promise<boolean> {
  const h = await hashCode(guess, stored.salt);
  return h.length === stored.codeHash.length && timingSafeEqual(h, stored.codeHash);
}
