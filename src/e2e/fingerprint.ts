import { concatBytes, constantTimeEqual } from './bytes.js';
import type { E2ECrypto } from './crypto.js';
import { nobleCrypto } from './crypto-noble.js';
import { E2EError } from './errors.js';
import { checkPublicKey } from './keys.js';
import { decodeFields, encodeFields, getBytes, getUint32 } from './protobuf.js';

/**
 * Safety numbers, as libsignal's NumericFingerprintGenerator (rust/protocol/src/fingerprint.rs):
 *   h = SHA-512(0x0000 ‖ key33 ‖ stableId ‖ key33), then `iterations − 1` times h = SHA-512(h ‖ key33)
 * (0x0000 is the hash version, "version 0"). Each side's first 30 bytes become six 5-byte big-endian
 * numbers mod 100000, i.e. 30 digits; the 60-digit display puts the smaller string first so both users
 * see the same number. The scannable form (QR code) is the protobuf
 * CombinedFingerprints { 1 version, 2 local { 1 content = first 32 bytes }, 3 remote { 1 content } }.
 */

export const DEFAULT_ITERATIONS = 5200;
const HASH_VERSION = new Uint8Array([0, 0]);

export interface Fingerprint {
  /** 60 digits, identical on both sides. */
  displayable: string;
  /** The QR payload; compare the peer's with compareScannable. */
  scannable: Uint8Array;
}

function iterateHash(
  crypto: E2ECrypto,
  iterations: number,
  stableId: Uint8Array,
  key: Uint8Array,
): Uint8Array {
  let h = crypto.sha512(concatBytes(HASH_VERSION, key, stableId, key));
  for (let i = 1; i < iterations; i++) h = crypto.sha512(h, key);
  return h;
}

function displayHalf(h: Uint8Array): string {
  let s = '';
  for (let chunk = 0; chunk < 6; chunk++) {
    let x = 0;
    for (let i = 0; i < 5; i++) x = x * 256 + h[chunk * 5 + i]!;
    s += String(x % 100_000).padStart(5, '0');
  }
  return s;
}

export function numericFingerprint(p: {
  localId: Uint8Array | string;
  localIdentityKey: Uint8Array;
  remoteId: Uint8Array | string;
  remoteIdentityKey: Uint8Array;
  /** Version of the scannable encoding (libsignal apps use 2); does not affect the digits. */
  version?: number;
  iterations?: number;
  crypto?: E2ECrypto;
}): Fingerprint {
  const iterations = p.iterations ?? DEFAULT_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations <= 1 || iterations > 1_000_000) {
    throw new RangeError(`invalid fingerprint iterations ${iterations}`);
  }
  const crypto = p.crypto ?? nobleCrypto;
  const id = (x: Uint8Array | string) => (typeof x === 'string' ? new TextEncoder().encode(x) : x);
  const local = iterateHash(crypto, iterations, id(p.localId), checkPublicKey(p.localIdentityKey));
  const remote = iterateHash(crypto, iterations, id(p.remoteId), checkPublicKey(p.remoteIdentityKey));
  const l = displayHalf(local);
  const r = displayHalf(remote);
  const scannable = encodeFields([
    [1, p.version ?? 2],
    [2, encodeFields([[1, local.slice(0, 32)]])],
    [3, encodeFields([[1, remote.slice(0, 32)]])],
  ]);
  return { displayable: l < r ? l + r : r + l, scannable };
}

/**
 * Compares our scannable fingerprint with the one scanned from the peer's screen: their local half must
 * be our remote half and vice versa. A version mismatch is an error (the peer runs another format).
 */
export function compareScannable(ours: Uint8Array, theirs: Uint8Array): boolean {
  const parse = (b: Uint8Array) => {
    const f = decodeFields(b, { 1: 'uint32', 2: 'bytes', 3: 'bytes' });
    const half = (no: number) => {
      const inner = getBytes(f, no);
      const content = inner && getBytes(decodeFields(inner, { 1: 'bytes' }), 1);
      if (content === undefined) throw new E2EError('invalid_message', 'scannable fingerprint lacks a half');
      return content;
    };
    return { version: getUint32(f, 1) ?? 0, local: half(2), remote: half(3) };
  };
  const a = parse(ours);
  const b = parse(theirs);
  if (a.version !== b.version) {
    throw new E2EError('invalid_version', `fingerprint version ${b.version}, ours ${a.version}`);
  }
  return constantTimeEqual(a.local, b.remote) && constantTimeEqual(a.remote, b.local);
}
