import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import type { CipherName, KeyPair, NoiseCrypto } from './crypto.js';
import { isAllZero, nonceBytes } from './crypto.js';
import { NoiseError } from './errors.js';

// DER wrappers that turn raw 32-byte X25519 keys into KeyObjects (RFC 8410 PKCS#8 / SPKI).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

/** Native KeyObjects are cached per raw key, so a long-lived static key is imported once. */
const privCache = new WeakMap<Uint8Array, KeyObject>();

function privateKeyObject(raw: Uint8Array): KeyObject {
  let k = privCache.get(raw);
  if (!k) {
    k = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' });
    privCache.set(raw, k);
  }
  return k;
}

function publicKeyObject(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

// Typed as GCM for the overloads; chacha20-poly1305 takes the same options at run time.
const ALGO = {
  AESGCM: 'aes-256-gcm',
  ChaChaPoly: 'chacha20-poly1305',
} as unknown as Record<CipherName, 'aes-256-gcm'>;

/** node:crypto primitives: native X25519 and AEADs, for the server and Node clients. */
export const nodeCrypto: NoiseCrypto = {
  generateKeyPair(): KeyPair {
    const { publicKey, privateKey } = generateKeyPairSync('x25519');
    const priv = new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(16));
    privCache.set(priv, privateKey);
    const pub = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(12));
    return { privateKey: priv, publicKey: pub };
  },
  publicKey(privateKey) {
    const pub = createPublicKey(privateKeyObject(privateKey));
    return new Uint8Array(pub.export({ format: 'der', type: 'spki' }).subarray(12));
  },
  dh(privateKey, publicKey) {
    if (publicKey.length !== 32) throw new NoiseError('bad_key', 'X25519 public key must be 32 bytes');
    let out: Buffer;
    try {
      out = diffieHellman({
        privateKey: privateKeyObject(privateKey),
        publicKey: publicKeyObject(publicKey),
      });
    } catch {
      throw new NoiseError('bad_key', 'X25519 public key is of low order');
    }
    if (isAllZero(out)) throw new NoiseError('bad_key', 'X25519 public key is of low order');
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  },
  encrypt(cipher, key, n, ad, pt) {
    const c = createCipheriv(ALGO[cipher], key, nonceBytes(cipher, n), { authTagLength: 16 });
    c.setAAD(ad, { plaintextLength: pt.length });
    const head = c.update(pt);
    const tail = c.final();
    const tag = c.getAuthTag();
    const out = new Uint8Array(head.length + tail.length + 16);
    out.set(head, 0);
    out.set(tail, head.length);
    out.set(tag, head.length + tail.length);
    return out;
  },
  decrypt(cipher, key, n, ad, ct) {
    if (ct.length < 16) return undefined;
    const body = ct.subarray(0, ct.length - 16);
    try {
      const d = createDecipheriv(ALGO[cipher], key, nonceBytes(cipher, n), { authTagLength: 16 });
      d.setAAD(ad, { plaintextLength: body.length });
      d.setAuthTag(ct.subarray(ct.length - 16));
      const head = d.update(body);
      const tail = d.final();
      if (tail.length === 0) return new Uint8Array(head.buffer, head.byteOffset, head.length);
      return new Uint8Array(Buffer.concat([head, tail]));
    } catch {
      return undefined;
    }
  },
  sha256: (data) => new Uint8Array(createHash('sha256').update(data).digest()),
  hmacSha256: (key, data) => new Uint8Array(createHmac('sha256', key).update(data).digest()),
};
