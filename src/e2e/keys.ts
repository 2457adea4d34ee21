import type { E2ECrypto } from './crypto.js';
import { clampPrivateKey, nobleCrypto } from './crypto-noble.js';
import { E2EError } from './errors.js';

/**
 * Key encodings as libsignal uses them. A public key travels, and is hashed, MAC'd and signed, as 33
 * bytes: the type byte 0x05 ("DJB", Curve25519) followed by the 32-byte u-coordinate. Everything in this
 * library that holds a public key holds that 33-byte form; only the DH call strips the prefix.
 */

export const DJB_TYPE = 0x05;
export const PUBLIC_KEY_LENGTH = 33;
export const PRIVATE_KEY_LENGTH = 32;

export interface KeyPair {
  /** 33 bytes: 0x05 ‖ u. */
  publicKey: Uint8Array;
  /** 32 bytes, clamped. */
  privateKey: Uint8Array;
}

/** An identity key pair is an ordinary Curve25519 key pair; the alias documents intent. */
export type IdentityKeyPair = KeyPair;

export function serializePublicKey(raw: Uint8Array): Uint8Array {
  if (raw.length !== 32)
    throw new E2EError('invalid_key', `raw public key must be 32 bytes, got ${raw.length}`);
  const out = new Uint8Array(PUBLIC_KEY_LENGTH);
  out[0] = DJB_TYPE;
  out.set(raw, 1);
  return out;
}

/**
 * Checks the 33-byte form and returns the raw 32-byte key (a view, not a copy). libsignal rejects any
 * other type byte or length ("BadKeyType"/"BadKeyLength"); so do we, with code invalid_key.
 */
export function rawPublicKey(key: Uint8Array): Uint8Array {
  if (!(key instanceof Uint8Array) || key.length !== PUBLIC_KEY_LENGTH) {
    throw new E2EError('invalid_key', `public key must be ${PUBLIC_KEY_LENGTH} bytes`);
  }
  if (key[0] !== DJB_TYPE) {
    throw new E2EError('invalid_key', `unknown public key type 0x${key[0]!.toString(16).padStart(2, '0')}`);
  }
  return key.subarray(1);
}

/** Validates a 33-byte public key and returns it unchanged (for fluent checks at API boundaries). */
export function checkPublicKey(key: Uint8Array): Uint8Array {
  rawPublicKey(key);
  return key;
}

export function generateKeyPair(crypto: E2ECrypto = nobleCrypto): KeyPair {
  const kp = crypto.generateKeyPair();
  return { publicKey: serializePublicKey(kp.publicKey), privateKey: kp.privateKey };
}

/** Rebuilds a key pair from a stored private key; clamps it, as libsignal does on deserialisation. */
export function keyPairFromPrivate(privateKey: Uint8Array, crypto: E2ECrypto = nobleCrypto): KeyPair {
  if (!(privateKey instanceof Uint8Array) || privateKey.length !== PRIVATE_KEY_LENGTH) {
    throw new E2EError('invalid_key', `private key must be ${PRIVATE_KEY_LENGTH} bytes`);
  }
  const clamped = clampPrivateKey(privateKey);
  return { privateKey: clamped, publicKey: serializePublicKey(crypto.publicKey(clamped)) };
}

/** Diffie-Hellman between our private key and a 33-byte public key. */
export function agree(crypto: E2ECrypto, privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  return crypto.dh(privateKey, rawPublicKey(publicKey));
}

/** A random registration id as libsignal generates them: 14 bits, non-zero. */
export function generateRegistrationId(crypto: E2ECrypto = nobleCrypto): number {
  const b = crypto.randomBytes(2);
  return ((b[0]! << 8) | b[1]!) & 0x3fff || 1;
}
