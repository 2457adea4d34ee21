/**
 * The primitives Noise needs, behind one interface so the state machines stay pure: Node uses native
 * node:crypto (fast enough for thousands of handshakes a second), browsers use @noble.
 */
export interface KeyPair {
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

export type CipherName = 'AESGCM' | 'ChaChaPoly';

export interface NoiseCrypto {
  generateKeyPair(): KeyPair;
  publicKey(privateKey: Uint8Array): Uint8Array;
  /** X25519; throws NoiseError('bad_key') for a low-order public key (all-zero shared secret). */
  dh(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array;
  /** AEAD seal with Noise's nonce encoding for the cipher; returns ciphertext ‖ 16-byte tag. */
  encrypt(
    cipher: CipherName,
    key: Uint8Array,
    nonce: number,
    ad: Uint8Array,
    plaintext: Uint8Array,
  ): Uint8Array;
  /** AEAD open; returns undefined when authentication fails. */
  decrypt(
    cipher: CipherName,
    key: Uint8Array,
    nonce: number,
    ad: Uint8Array,
    ciphertext: Uint8Array,
  ): Uint8Array | undefined;
  sha256(data: Uint8Array): Uint8Array;
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
}

/** Stands for the nonce 2^64-1 that REKEY uses, which a JS number cannot hold exactly. */
export const REKEY_NONCE = -1;

/** 12-byte AEAD nonce: 4 zero bytes, then the 64-bit counter big-endian (AESGCM) or little-endian (ChaChaPoly). */
export function nonceBytes(cipher: CipherName, n: number): Uint8Array {
  const iv = new Uint8Array(12);
  if (n === REKEY_NONCE) {
    iv.fill(0xff, 4);
    return iv;
  }
  const hi = Math.floor(n / 0x100000000);
  const lo = n >>> 0;
  const dv = new DataView(iv.buffer);
  if (cipher === 'AESGCM') {
    dv.setUint32(4, hi);
    dv.setUint32(8, lo);
  } else {
    dv.setUint32(4, lo, true);
    dv.setUint32(8, hi, true);
  }
  return iv;
}

export function isAllZero(b: Uint8Array): boolean {
  let x = 0;
  for (let i = 0; i < b.length; i++) x |= b[i]!;
  return x === 0;
}
