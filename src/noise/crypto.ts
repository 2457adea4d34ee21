/**
 * The primitives Noise needs, behind one interface so the state machines stay pure: Node uses native
 * node:crypto (crypto-node.ts, fast enough for thousands of handshakes a second), browsers use @noble
 * (crypto-noble.ts). Only DH 25519, AESGCM/ChaChaPoly and SHA256 exist, which is what Parley speaks and
 * what DHLEN = HASHLEN = 32 below assumes.
 */

export const DHLEN = 32;
export const HASHLEN = 32;
export const KEYLEN = 32;
export const TAGLEN = 16;
/** Noise §3: a handshake message is at most 65535 bytes. */
export const MAX_MESSAGE_LENGTH = 65535;

export interface KeyPair {
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

export type CipherName = 'AESGCM' | 'ChaChaPoly';

/**
 * A 64-bit Noise nonce as two uint32 halves. A double cannot hold 2^64-1 (which Rekey uses) and a
 * bigint would allocate on every frame; CipherState owns one of these and mutates it in place.
 */
export interface Nonce64 {
  hi: number;
  lo: number;
}

export interface NoiseCrypto {
  /** For benchmark labels and diagnostics: 'node' or 'noble'. */
  readonly name: string;
  /** A fresh random X25519 key pair. */
  generateKeyPair(): KeyPair;
  /** The X25519 public key of a 32-byte private key. */
  publicKey(privateKey: Uint8Array): Uint8Array;
  /**
   * X25519. Throws NoiseError('bad_key') for a key of the wrong length or a low-order public key
   * (all-zero shared secret, which Noise §12.1 lets an implementation refuse). Implementations may cache
   * per-key native state; they must notice if a caller later overwrites a key array.
   */
  dh(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array;
  /** AEAD seal with Noise's nonce encoding for `cipher` and a 32-byte key; returns ciphertext ‖ 16-byte tag. */
  encrypt(
    cipher: CipherName,
    key: Uint8Array,
    nonce: Nonce64,
    ad: Uint8Array,
    plaintext: Uint8Array,
  ): Uint8Array;
  /** AEAD open of ciphertext ‖ tag (≥ 16 bytes); returns undefined when authentication fails. */
  decrypt(
    cipher: CipherName,
    key: Uint8Array,
    nonce: Nonce64,
    ad: Uint8Array,
    ciphertext: Uint8Array,
  ): Uint8Array | undefined;
  /** SHA-256(a ‖ b). Two inputs because MixHash hashes h ‖ data, and concatenating first would copy. */
  sha256(a: Uint8Array, b?: Uint8Array): Uint8Array;
  /** HMAC-SHA256(key, a ‖ b), the building block of Noise's HKDF. */
  hmacSha256(key: Uint8Array, a: Uint8Array, b?: Uint8Array): Uint8Array;
}

/**
 * Writes the 12-byte AEAD nonce into `out`: 32 zero bits, then the counter big-endian for AESGCM and
 * little-endian for ChaChaPoly (Noise §12.3, §12.4).
 */
export function encodeNonce(cipher: CipherName, n: Nonce64, out: Uint8Array): Uint8Array {
  out[0] = 0;
  out[1] = 0;
  out[2] = 0;
  out[3] = 0;
  const { hi, lo } = n;
  if (cipher === 'AESGCM') {
    out[4] = hi >>> 24;
    out[5] = hi >>> 16;
    out[6] = hi >>> 8;
    out[7] = hi;
    out[8] = lo >>> 24;
    out[9] = lo >>> 16;
    out[10] = lo >>> 8;
    out[11] = lo;
  } else {
    out[4] = lo;
    out[5] = lo >>> 8;
    out[6] = lo >>> 16;
    out[7] = lo >>> 24;
    out[8] = hi;
    out[9] = hi >>> 8;
    out[10] = hi >>> 16;
    out[11] = hi >>> 24;
  }
  return out;
}

/** True when every byte is zero, in time independent of where a non-zero byte sits. */
export function isAllZero(b: Uint8Array): boolean {
  let x = 0;
  for (let i = 0; i < b.length; i++) x |= b[i]!;
  return x === 0;
}

/** Constant-time equality of two byte arrays of the same length. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let x = 0;
  for (let i = 0; i < a.length; i++) x |= a[i]! ^ b[i]!;
  return x === 0;
}
