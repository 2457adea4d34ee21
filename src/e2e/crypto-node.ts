import {
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  type KeyObject,
  randomFillSync,
  verify,
} from 'node:crypto';
import type { E2ECrypto } from './crypto.js';
import { nobleCrypto } from './crypto-noble.js';
import { E2EError } from './errors.js';

/*
 * Node-only provider: OpenSSL for X25519 and Ed25519 verification (the expensive, curve operations),
 * @noble for everything else (HMAC/HKDF/AES-CBC on small inputs are faster without a native call).
 * Not re-exported from index.ts; Node code imports `nodeCrypto` from './crypto-node.js' explicitly.
 *
 * Raw keys become KeyObjects through JWK, not DER: on Node 20 / OpenSSL 3 a DER import goes through the
 * provider decoder machinery and costs far more. Private keys (identity, current ratchet key) are reused
 * across operations, so their KeyObjects are cached per array, with a copy of the bytes so a caller who
 * overwrites a key array in place gets a fresh import rather than a stale key.
 */

interface Cached {
  raw: Uint8Array;
  key: KeyObject;
}
const privateKeys = new WeakMap<Uint8Array, Cached>();
// A JWK private OKP key needs an `x`; Node ignores it in favour of deriving it from `d`.
const ANY_X = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

function b64url(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function privateKeyObject(privateKey: Uint8Array): KeyObject {
  const hit = privateKeys.get(privateKey);
  if (hit && sameBytes(hit.raw, privateKey)) return hit.key;
  if (privateKey.length !== 32) throw new E2EError('invalid_key', 'X25519 private key must be 32 bytes');
  const key = createPrivateKey({
    key: { kty: 'OKP', crv: 'X25519', d: b64url(privateKey), x: ANY_X },
    format: 'jwk',
  });
  privateKeys.set(privateKey, { raw: new Uint8Array(privateKey), key });
  return key;
}

function publicKeyObject(crv: 'X25519' | 'Ed25519', publicKey: Uint8Array): KeyObject {
  if (publicKey.length !== 32) throw new E2EError('invalid_key', `${crv} public key must be 32 bytes`);
  return createPublicKey({ key: { kty: 'OKP', crv, x: b64url(publicKey) }, format: 'jwk' });
}

function jwkBytes(s: string | undefined): Uint8Array {
  if (s === undefined) throw new Error('JWK export without key material');
  return new Uint8Array(Buffer.from(s, 'base64url'));
}

export const nodeCrypto: E2ECrypto = {
  ...nobleCrypto,
  name: 'node',
  randomBytes: (length) => randomFillSync(new Uint8Array(length)),
  generateKeyPair() {
    const { privateKey } = generateKeyPairSync('x25519');
    const jwk = privateKey.export({ format: 'jwk' });
    // OpenSSL keeps the random bytes unclamped and clamps on use; store the clamped form like libsignal.
    const d = jwkBytes(jwk.d);
    d[0]! &= 248;
    d[31]! &= 127;
    d[31]! |= 64;
    return { privateKey: d, publicKey: jwkBytes(jwk.x) };
  },
  publicKey(privateKey) {
    return jwkBytes(createPublicKey(privateKeyObject(privateKey)).export({ format: 'jwk' }).x);
  },
  dh(privateKey, publicKey) {
    try {
      const out = diffieHellman({
        privateKey: privateKeyObject(privateKey),
        publicKey: publicKeyObject('X25519', publicKey),
      });
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    } catch (e) {
      // OpenSSL refuses an all-zero shared secret (a low-order public key), as the interface requires.
      if (e instanceof E2EError) throw e;
      throw new E2EError('invalid_key', 'X25519 rejected the key', { cause: e });
    }
  },
  ed25519Verify(publicKey, message, signature) {
    // OpenSSL's Ed25519 verify is cofactorless with an encoded-R comparison, like libsignal; it also
    // requires s < L, which libsignal does not (it only needs s < 2^253): no honest signer produces s ≥ L.
    let key: KeyObject;
    try {
      key = publicKeyObject('Ed25519', publicKey);
    } catch {
      return false;
    }
    return verify(null, message, key, signature);
  },
};
