import { gcm } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { CipherName, KeyPair, NoiseCrypto } from './crypto.js';
import { isAllZero, nonceBytes } from './crypto.js';
import { NoiseError } from './errors.js';

/** Pure-JS primitives (audited @noble libraries): the same code in browsers and Node. */
export const nobleCrypto: NoiseCrypto = {
  generateKeyPair(): KeyPair {
    const privateKey = x25519.utils.randomSecretKey();
    return { privateKey, publicKey: x25519.getPublicKey(privateKey) };
  },
  publicKey: (privateKey) => x25519.getPublicKey(privateKey),
  dh(privateKey, publicKey) {
    if (publicKey.length !== 32) throw new NoiseError('bad_key', 'X25519 public key must be 32 bytes');
    let out: Uint8Array;
    try {
      out = x25519.getSharedSecret(privateKey, publicKey);
    } catch {
      throw new NoiseError('bad_key', 'X25519 public key is of low order');
    }
    if (isAllZero(out)) throw new NoiseError('bad_key', 'X25519 public key is of low order');
    return out;
  },
  encrypt: (cipher, key, n, ad, pt) => aead(cipher, key, n, ad).encrypt(pt),
  decrypt(cipher, key, n, ad, ct) {
    try {
      return aead(cipher, key, n, ad).decrypt(ct);
    } catch {
      return undefined;
    }
  },
  sha256: (data) => sha256(data),
  hmacSha256: (key, data) => hmac(sha256, key, data),
};

function aead(cipher: CipherName, key: Uint8Array, n: number, ad: Uint8Array) {
  const iv = nonceBytes(cipher, n);
  return cipher === 'AESGCM' ? gcm(key, iv, ad) : chacha20poly1305(key, iv, ad);
}
