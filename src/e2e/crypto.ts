/**
 * The primitives the Signal protocol needs, behind one interface so the protocol code stays pure and
 * runs unchanged in browsers. `nobleCrypto` (crypto-noble.ts, @noble only) is the default everywhere.
 * On Node, `nodeCrypto` (crypto-node.ts, not re-exported from index.ts so browser bundles never see
 * node:crypto) swaps in OpenSSL for the curve operations, which are ~15x faster there and dominate
 * session setup; the two are checked against each other in crypto.test.ts.
 *
 * Keys at this level are raw 32-byte X25519 values; the 33-byte 0x05 encoding lives in keys.ts.
 */

export interface RawKeyPair {
  /** 32-byte X25519 public key (the u-coordinate, little-endian). */
  publicKey: Uint8Array;
  /** 32-byte clamped X25519 private scalar. */
  privateKey: Uint8Array;
}

export interface E2ECrypto {
  /** For benchmark labels and diagnostics: 'noble' or 'node'. */
  readonly name: string;
  randomBytes(length: number): Uint8Array;
  /** A fresh random X25519 key pair; the private key is returned clamped. */
  generateKeyPair(): RawKeyPair;
  /** The X25519 public key of a 32-byte private key. */
  publicKey(privateKey: Uint8Array): Uint8Array;
  /**
   * X25519(privateKey, publicKey). Throws E2EError('invalid_key') for a low-order public key (all-zero
   * output), which no honest peer sends. Implementations may cache per-key state; they must notice if a
   * caller later overwrites a key array.
   */
  dh(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array;
  /** HMAC-SHA256(key, data). */
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** HKDF-SHA256; an undefined salt means HashLen zero bytes (RFC 5869 §2.2). */
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array | undefined, info: Uint8Array, length: number): Uint8Array;
  /** AES-256-CBC with PKCS#7 padding. */
  aesCbcEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** AES-256-CBC decryption; throws (any error) on a bad length or bad padding. */
  aesCbcDecrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array;
  /** SHA-512 of the concatenated parts (fingerprints hash a few pieces thousands of times). */
  sha512(...parts: Uint8Array[]): Uint8Array;
  /**
   * Ed25519 verification as libsignal's XEdDSA verifier does it after it has rebuilt the Edwards key:
   * decode A (reject if not a curve point), then accept iff encode([s]B − [h]A) equals R byte for byte,
   * with h = SHA-512(R ‖ A ‖ M) mod L. `signature` is R ‖ s with s < 2^253 (xeddsa.ts checks that).
   */
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}
