import type { E2ECrypto } from './crypto.js';
import { nobleCrypto } from './crypto-noble.js';
import { generateKeyPair, type IdentityKeyPair, type KeyPair } from './keys.js';
import type { SignedPreKeyRecord } from './store.js';
import type { PreKeyBundle } from './x3dh.js';
import { signPublicKey } from './xeddsa.js';

/** Key material a device generates at registration and then keeps topping up. */

export function generateIdentityKeyPair(crypto: E2ECrypto = nobleCrypto): IdentityKeyPair {
  return generateKeyPair(crypto);
}

export interface PreKeyRecord {
  id: number;
  keyPair: KeyPair;
}

/** `count` one-time prekeys with consecutive ids (ids are 24-bit in libsignal clients; we wrap likewise). */
export function generatePreKeys(
  startId: number,
  count: number,
  crypto: E2ECrypto = nobleCrypto,
): PreKeyRecord[] {
  const out: PreKeyRecord[] = [];
  for (let i = 0; i < count; i++) {
    out.push({ id: ((startId + i - 1) % 0xfffffe) + 1, keyPair: generateKeyPair(crypto) });
  }
  return out;
}

/** A signed prekey: a fresh key pair whose 33-byte public key the identity key signs with XEdDSA. */
export function generateSignedPreKey(
  identity: IdentityKeyPair,
  id: number,
  crypto: E2ECrypto = nobleCrypto,
  timestamp: number = Date.now(),
): SignedPreKeyRecord {
  const keyPair = generateKeyPair(crypto);
  return { id, keyPair, signature: signPublicKey(identity.privateKey, keyPair.publicKey), timestamp };
}

/** The public bundle for one device, as a prekey directory hands it out. */
export function makePreKeyBundle(p: {
  registrationId: number;
  deviceId: number;
  identityKey: Uint8Array;
  signedPreKey: SignedPreKeyRecord;
  preKey?: PreKeyRecord | undefined;
}): PreKeyBundle {
  return {
    registrationId: p.registrationId,
    deviceId: p.deviceId,
    preKeyId: p.preKey?.id,
    preKey: p.preKey?.keyPair.publicKey,
    signedPreKeyId: p.signedPreKey.id,
    signedPreKey: p.signedPreKey.keyPair.publicKey,
    signedPreKeySignature: p.signedPreKey.signature,
    identityKey: p.identityKey,
  };
}
