import { gcm } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { type CipherName, DHLEN, encodeNonce, isAllZero, type KeyPair, type NoiseCrypto } from './crypto.js';
import { NoiseError } from './errors.js';

function checkLength(key: Uint8Array, what: string): void {
  if (key.length !== DHLEN) throw new NoiseError('bad_key', `X25519 ${what} key must be 32 bytes`);
}

function aead(cipher: CipherName, key: Uint8Array, nonce: Uint8Array, ad: Uint8Array) {
  return cipher === 'AESGCM' ? gcm(key, nonce, ad) : chacha20poly1305(key, nonce, ad);
}

/** Pure-JS primitives (audited @noble libraries): runs unchanged in browsers and Node. */
export const nobleCrypto: NoiseCrypto = {
  name: 'noble',

  generateKeyPair(): KeyPair {
    const { secretKey, publicKey } = x25519.keygen();
    return { privateKey: secretKey, publicKey };
  },

  publicKey(privateKey) {
    checkLength(privateKey, 'private');
    return x25519.getPublicKey(privateKey);
  },

  dh(privateKey, publicKey) {
    checkLength(privateKey, 'private');
    checkLength(publicKey, 'public');
    let out: Uint8Array;
    try {
      out = x25519.getSharedSecret(privateKey, publicKey);
    } catch (cause) {
      // noble refuses low-order points itself rather than returning the all-zero secret.
      throw new NoiseError('bad_key', 'X25519 public key is of low order', { cause });
    }
    if (isAllZero(out)) throw new NoiseError('bad_key', 'X25519 public key is of low order');
    return out;
  },

  // A fresh nonce array per call: noble's cipher objects may hold on to the arrays they are given.
  encrypt: (cipher, key, n, ad, pt) =>
    aead(cipher, key, encodeNonce(cipher, n, new Uint8Array(12)), ad).encrypt(pt),

  decrypt(cipher, key, n, ad, ct) {
    try {
      return aead(cipher, key, encodeNonce(cipher, n, new Uint8Array(12)), ad).decrypt(ct);
    } catch {
      return undefined;
    }
  },

  sha256(a, b) {
    const h = sha256.create().update(a);
    if (b) h.update(b);
    return h.digest();
  },

  hmacSha256(key, a, b) {
    const h = hmac.create(sha256, key).update(a);
    if (b) h.update(b);
    return h.digest();
  },
};
