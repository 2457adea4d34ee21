import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  type KeyObject,
  randomFillSync,
} from 'node:crypto';
import {
  bytesEqual,
  type CipherName,
  DHLEN,
  encodeNonce,
  isAllZero,
  type KeyPair,
  type NoiseCrypto,
  type Nonce64,
  TAGLEN,
} from './crypto.js';
import { NoiseError } from './errors.js';

/*
 * Raw 32-byte X25519 keys become KeyObjects through JWK, not DER: on Node 20 / OpenSSL 3 a DER import
 * or export goes through the provider decoder machinery and costs 50-300 µs, JWK a few µs. Private keys
 * are imported once and cached (the server's static key would otherwise be re-imported on every
 * handshake); each cache entry keeps a copy of the raw bytes so a caller overwriting a key array in
 * place gets a fresh import rather than the stale key.
 *
 * The entry hangs off the array itself (a non-enumerable symbol property), not off a WeakMap. Entries of
 * a (long-lived, old-generation) WeakMap survived young-generation collections, so every ephemeral and
 * remote key's KeyObject was promoted and piled up until a full collection: scavenges grew from ~2 ms to
 * 25-40 ms, key generation cost ~39 µs instead of ~31 µs, and a server-side XX handshake about a fifth
 * more CPU (bench/noise.ts). On the array, the entry dies with it in the next scavenge. An array that
 * cannot take a property is simply not cached.
 */
interface Cached {
  raw: Uint8Array;
  key: KeyObject;
}
const PRIVATE_KEY = Symbol('parley.noise.x25519.private');
const PUBLIC_KEY = Symbol('parley.noise.x25519.public');
type Slot = typeof PRIVATE_KEY | typeof PUBLIC_KEY;
// JWK import of a private OKP key requires an `x`, which Node ignores in favour of deriving it from `d`.
const ANY_X = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

function cached(slot: Slot, raw: Uint8Array, make: () => KeyObject): KeyObject {
  const hit = (raw as Uint8Array & Partial<Record<Slot, Cached>>)[slot];
  if (hit && bytesEqual(hit.raw, raw)) return hit.key;
  const key = make();
  const value: Cached = { raw: raw.slice(), key };
  if (hit) (raw as Uint8Array & Record<Slot, Cached>)[slot] = value;
  else if (Object.isExtensible(raw)) {
    Object.defineProperty(raw, slot, { value, writable: true, configurable: true, enumerable: false });
  }
  return key;
}

function privateKeyObject(raw: Uint8Array): KeyObject {
  if (raw.length !== DHLEN) throw new NoiseError('bad_key', 'X25519 private key must be 32 bytes');
  return cached(PRIVATE_KEY, raw, () =>
    createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64u(raw), x: ANY_X }, format: 'jwk' }),
  );
}

function publicKeyObject(raw: Uint8Array): KeyObject {
  if (raw.length !== DHLEN) throw new NoiseError('bad_key', 'X25519 public key must be 32 bytes');
  return cached(PUBLIC_KEY, raw, () =>
    createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64u(raw) }, format: 'jwk' }),
  );
}

function publicKeyOf(privateKey: Uint8Array): Uint8Array {
  return unb64u(createPublicKey(privateKeyObject(privateKey)).export({ format: 'jwk' }).x);
}

function b64u(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64url');
}

function unb64u(s: string | undefined): Uint8Array {
  return view(Buffer.from(s ?? '', 'base64url'));
}

/** A plain Uint8Array over a Buffer's bytes (no copy), so callers never see Buffer-only behaviour. */
function view(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

// node's typings only overload the GCM name; chacha20-poly1305 takes the same options at run time.
const ALGO = {
  AESGCM: 'aes-256-gcm',
  ChaChaPoly: 'chacha20-poly1305',
} as unknown as Record<CipherName, 'aes-256-gcm'>;
const TAG_OPTS = { authTagLength: TAGLEN };
// createCipheriv copies the IV synchronously, so one scratch buffer serves every call.
const iv = Buffer.alloc(12);

/** node:crypto primitives: native X25519 and AEADs, for the server and Node clients. */
export const nodeCrypto: NoiseCrypto = {
  name: 'node',

  // Not generateKeyPairSync: on Node 20, exporting a key it made can deadlock when a GC during the
  // export collects the finished keygen job, whose destructor takes the key's mutex the export holds.
  // Importing 32 random bytes costs about the same (OpenSSL derives the public key on import).
  generateKeyPair(): KeyPair {
    const privateKey = view(randomFillSync(Buffer.alloc(DHLEN)));
    return { privateKey, publicKey: publicKeyOf(privateKey) };
  },

  publicKey: publicKeyOf,

  dh(privateKey, publicKey) {
    const priv = privateKeyObject(privateKey);
    let out: Buffer;
    try {
      out = diffieHellman({ privateKey: priv, publicKey: publicKeyObject(publicKey) });
    } catch (cause) {
      if (cause instanceof NoiseError) throw cause;
      // OpenSSL refuses the all-zero shared secret a low-order point yields.
      throw new NoiseError('bad_key', 'X25519 public key is of low order', { cause });
    }
    if (isAllZero(out)) throw new NoiseError('bad_key', 'X25519 public key is of low order');
    return view(out);
  },

  encrypt(cipher, key, n: Nonce64, ad, pt) {
    const c = createCipheriv(ALGO[cipher], key, encodeNonce(cipher, n, iv), TAG_OPTS);
    if (ad.length > 0) c.setAAD(ad);
    const body = c.update(pt);
    c.final(); // GCM and ChaCha20-Poly1305 are stream modes: final() emits nothing.
    const out = Buffer.allocUnsafe(body.length + TAGLEN);
    out.set(body, 0);
    out.set(c.getAuthTag(), body.length);
    return view(out);
  },

  decrypt(cipher, key, n: Nonce64, ad, ct) {
    if (ct.length < TAGLEN) return undefined;
    const bodyLen = ct.length - TAGLEN;
    const d = createDecipheriv(ALGO[cipher], key, encodeNonce(cipher, n, iv), TAG_OPTS);
    d.setAuthTag(ct.subarray(bodyLen));
    if (ad.length > 0) d.setAAD(ad);
    const body = d.update(ct.subarray(0, bodyLen));
    try {
      d.final();
    } catch {
      return undefined;
    }
    return view(body);
  },

  sha256(a, b) {
    const h = createHash('sha256').update(a);
    if (b) h.update(b);
    return view(h.digest());
  },

  hmacSha256(key, a, b) {
    const h = createHmac('sha256', key).update(a);
    if (b) h.update(b);
    return view(h.digest());
  },
};
