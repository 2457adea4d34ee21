import { cbc } from '@noble/ciphers/aes.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { bytesEqual, copyBytes } from './bytes.js';
import type { E2ECrypto, RawKeyPair } from './crypto.js';
import { E2EError } from './errors.js';

/**
 * The pure-TypeScript provider: audited @noble code, identical in Node and browsers. Also the fastest
 * option for the small symmetric operations (HMAC/HKDF/AES on ~100 bytes), where node:crypto's per-call
 * overhead exceeds the work, so crypto-node.ts reuses these.
 */

const Point = ed25519.Point;
const L = Point.Fn.ORDER;

/** libsignal's private keys are always clamped (x25519-dalek clamps on import); keep ours the same. */
export function clampPrivateKey(k: Uint8Array): Uint8Array {
  const c = copyBytes(k);
  c[0]! &= 248;
  c[31]! &= 127;
  c[31]! |= 64;
  return c;
}

function isAllZero(b: Uint8Array): boolean {
  let acc = 0;
  for (const x of b) acc |= x;
  return acc === 0;
}

export function bytesToNumberLE(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!);
  return n;
}

/** libsignal's verifier, literally: no cofactor multiplication, R compared as bytes. */
function verifyCofactorless(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  let A: InstanceType<typeof Point>;
  try {
    A = Point.fromBytes(publicKey, true);
  } catch {
    return false;
  }
  const R = signature.subarray(0, 32);
  const s = bytesToNumberLE(signature.subarray(32, 64));
  const h = bytesToNumberLE(sha512(new Uint8Array([...R, ...publicKey, ...message]))) % L;
  const check = Point.BASE.multiplyUnsafe(s % L).subtract(A.multiplyUnsafe(h));
  return bytesEqual(check.toBytes(), R);
}

export const nobleCrypto: E2ECrypto = {
  name: 'noble',
  randomBytes: (length) => randomBytes(length),
  generateKeyPair(): RawKeyPair {
    const privateKey = clampPrivateKey(x25519.utils.randomSecretKey());
    return { privateKey, publicKey: x25519.getPublicKey(privateKey) };
  },
  publicKey: (privateKey) => x25519.getPublicKey(privateKey),
  dh(privateKey, publicKey) {
    let out: Uint8Array;
    try {
      out = x25519.getSharedSecret(privateKey, publicKey);
    } catch (e) {
      throw new E2EError('invalid_key', 'X25519 rejected the key', { cause: e });
    }
    if (isAllZero(out)) throw new E2EError('invalid_key', 'low-order X25519 public key');
    return out;
  },
  hmacSha256: (key, data) => hmac(sha256, key, data),
  hkdfSha256: (ikm, salt, info, length) => hkdf(sha256, ikm, salt, info, length),
  aesCbcEncrypt: (key, iv, plaintext) => cbc(key, iv).encrypt(plaintext),
  aesCbcDecrypt: (key, iv, ciphertext) => cbc(key, iv).decrypt(ciphertext),
  sha512(...parts) {
    if (parts.length === 1) return sha512(parts[0]!);
    const h = sha512.create();
    for (const p of parts) h.update(p);
    return h.digest();
  },
  ed25519Verify: verifyCofactorless,
};
