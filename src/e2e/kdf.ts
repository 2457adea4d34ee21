import { utf8Bytes } from './bytes.js';
import type { E2ECrypto } from './crypto.js';

/**
 * The Double Ratchet's key derivations with libsignal's labels (rust/protocol/src/ratchet/keys.rs):
 *   root step:    HKDF-SHA256(salt = root key, ikm = DH output, info "WhisperRatchet", 64) → root ‖ chain
 *   chain step:   seed = HMAC-SHA256(ck, 0x01), next ck = HMAC-SHA256(ck, 0x02)
 *   message keys: HKDF-SHA256(ikm = seed, no salt, info "WhisperMessageKeys", 80) → cipher ‖ MAC ‖ IV
 */

const INFO_RATCHET = utf8Bytes('WhisperRatchet');
const INFO_MESSAGE_KEYS = utf8Bytes('WhisperMessageKeys');
const MESSAGE_KEY_SEED = new Uint8Array([0x01]);
const CHAIN_KEY_SEED = new Uint8Array([0x02]);

export interface MessageKeys {
  cipherKey: Uint8Array;
  macKey: Uint8Array;
  iv: Uint8Array;
}

export function kdfRoot(crypto: E2ECrypto, rootKey: Uint8Array, dh: Uint8Array): [Uint8Array, Uint8Array] {
  const okm = crypto.hkdfSha256(dh, rootKey, INFO_RATCHET, 64);
  return [okm.slice(0, 32), okm.slice(32, 64)];
}

export function messageKeySeed(crypto: E2ECrypto, chainKey: Uint8Array): Uint8Array {
  return crypto.hmacSha256(chainKey, MESSAGE_KEY_SEED);
}

export function nextChainKey(crypto: E2ECrypto, chainKey: Uint8Array): Uint8Array {
  return crypto.hmacSha256(chainKey, CHAIN_KEY_SEED);
}

export function deriveMessageKeys(crypto: E2ECrypto, seed: Uint8Array): MessageKeys {
  const okm = crypto.hkdfSha256(seed, undefined, INFO_MESSAGE_KEYS, 80);
  return { cipherKey: okm.subarray(0, 32), macKey: okm.subarray(32, 64), iv: okm.subarray(64, 80) };
}
