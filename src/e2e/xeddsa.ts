import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes, copyBytes } from './bytes.js';
import type { E2ECrypto } from './crypto.js';
import { bytesToNumberLE, clampPrivateKey, nobleCrypto } from './crypto-noble.js';
import { E2EError } from './errors.js';
import { rawPublicKey } from './keys.js';

/**
 * XEdDSA (signal.org/docs/specifications/xeddsa): EdDSA signatures made and checked with X25519 keys,
 * as libsignal uses them for signed prekeys.
 *
 * Signing follows the spec: the Edwards public key A is forced to sign bit 0 (negating the private
 * scalar when needed), so the signature's top bit is 0. libsignal accepts that form.
 *
 * Verification follows libsignal, which deviates from the spec: its signer does NOT negate; instead it
 * stores the Edwards sign bit in the top bit of sig[63] (always 0 in a real s, since s < L < 2^253), and
 * its verifier rebuilds A with that sign. A strict spec verifier therefore rejects about half of all
 * libsignal keys' signatures; we take the sign from sig[63] and clear it before use.
 */

const Point = ed25519.Point;
const Fp = Point.Fp;
const P = Fp.ORDER;
const L = Point.Fn.ORDER;

/** hash_1 of the spec: SHA-512 prefixed with 2^256 − 1 − 1 as 32 little-endian bytes (0xFE, 0xFF × 31). */
const HASH1_PREFIX = new Uint8Array(32).fill(0xff);
HASH1_PREFIX[0] = 0xfe;

function numberToBytesLE(n: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

/**
 * The Edwards encoding of the point birationally equivalent to Montgomery u, with the given sign bit,
 * as curve25519-dalek's MontgomeryPoint::to_edwards: the top bit of u is ignored, u = −1 has no image.
 * u = 0 (a low-order point no honest key has) is refused too, so both providers see the same A.
 */
function montgomeryToEdwards(u32: Uint8Array, sign: number): Uint8Array | undefined {
  const masked = copyBytes(u32);
  masked[31]! &= 0x7f;
  const u = bytesToNumberLE(masked) % P;
  if (u === P - 1n || u === 0n) return undefined;
  const y = Fp.mul(Fp.sub(u, 1n), Fp.inv(Fp.add(u, 1n)));
  const out = numberToBytesLE(y, 32);
  out[31]! |= sign << 7;
  return out;
}

/**
 * Signs `message` with a 32-byte X25519 private key. `random` is the spec's Z (64 bytes); pass it only
 * for deterministic tests.
 */
export function xeddsaSign(
  privateKey: Uint8Array,
  message: Uint8Array,
  random: Uint8Array = nobleCrypto.randomBytes(64),
): Uint8Array {
  if (privateKey.length !== 32) throw new E2EError('invalid_key', 'private key must be 32 bytes');
  if (random.length !== 64) throw new TypeError('XEdDSA needs 64 random bytes');
  let a = bytesToNumberLE(clampPrivateKey(privateKey)) % L;
  if (a === 0n) throw new E2EError('invalid_key', 'degenerate private key');
  const E = Point.BASE.multiply(a).toBytes();
  if ((E[31]! & 0x80) !== 0) a = L - a; // calculate_key_pair: force A's sign bit to 0
  const A = E.slice();
  A[31]! &= 0x7f;
  const aBytes = numberToBytesLE(a, 32);
  const r = bytesToNumberLE(sha512(concatBytes(HASH1_PREFIX, aBytes, message, random))) % L;
  if (r === 0n) throw new Error('XEdDSA nonce is zero'); // probability 2^-252; noble refuses a 0 scalar
  const R = Point.BASE.multiply(r).toBytes();
  const h = bytesToNumberLE(sha512(concatBytes(R, A, message))) % L;
  const s = (r + h * a) % L;
  return concatBytes(R, numberToBytesLE(s, 32));
}

/** Verifies a libsignal XEdDSA signature against a 33-byte (0x05) or raw 32-byte X25519 public key. */
export function xeddsaVerify(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
  crypto: E2ECrypto = nobleCrypto,
): boolean {
  if (signature.length !== 64) return false;
  let u: Uint8Array;
  try {
    u = publicKey.length === 32 ? publicKey : rawPublicKey(publicKey);
  } catch {
    return false;
  }
  const sign = signature[63]! >> 7;
  const A = montgomeryToEdwards(u, sign);
  if (A === undefined) return false;
  const sig = copyBytes(signature);
  sig[63]! &= 0x7f;
  // libsignal's only range check on s: below 2^253 (top three bits clear once the sign bit is removed).
  if ((sig[63]! & 0xe0) !== 0) return false;
  return crypto.ed25519Verify(A, message, sig);
}

/** Signs a 33-byte public key (a signed prekey) with an identity private key, as libsignal does. */
export function signPublicKey(identityPrivateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  rawPublicKey(publicKey);
  return xeddsaSign(identityPrivateKey, publicKey);
}
