import { concatBytes, utf8Bytes } from './bytes.js';
import type { E2ECrypto } from './crypto.js';
import { E2EError } from './errors.js';
import { agree, checkPublicKey, type KeyPair } from './keys.js';
import { xeddsaVerify } from './xeddsa.js';

/**
 * X3DH as libsignal instantiates it (ratchet.rs initialize_alice_session / initialize_bob_session):
 *   secret = 0xFF×32 ‖ DH(IK_A, SPK_B) ‖ DH(EK_A, IK_B) ‖ DH(EK_A, SPK_B) [‖ DH(EK_A, OPK_B)]
 *   root key ‖ chain key = HKDF-SHA256(ikm = secret, salt = 32 zero bytes, info = "WhisperText", 64)
 * The 0xFF×32 "discontinuity bytes" are the spec's F, separating these inputs from XEdDSA's hash domain.
 * Associated data is not a separate AEAD input: both identities enter every message MAC (messages.ts).
 */

const DISCONTINUITY = new Uint8Array(32).fill(0xff);
const INFO_X3DH = utf8Bytes('WhisperText');

/** What a server hands out for one device (Parley's prekey directory returns exactly these fields). */
export interface PreKeyBundle {
  registrationId: number;
  deviceId: number;
  /** One-time prekey, absent when the device has run out. */
  preKeyId?: number | undefined;
  preKey?: Uint8Array | undefined;
  signedPreKeyId: number;
  signedPreKey: Uint8Array;
  signedPreKeySignature: Uint8Array;
  identityKey: Uint8Array;
}

export interface InitialKeys {
  rootKey: Uint8Array;
  chainKey: Uint8Array;
}

function deriveInitialKeys(crypto: E2ECrypto, parts: Uint8Array[]): InitialKeys {
  const okm = crypto.hkdfSha256(concatBytes(DISCONTINUITY, ...parts), undefined, INFO_X3DH, 64);
  return { rootKey: okm.slice(0, 32), chainKey: okm.slice(32, 64) };
}

/**
 * Checks a bundle's keys and the identity key's XEdDSA signature over the 33-byte signed prekey;
 * throws invalid_key / bad_signature. Run before trusting anything else in the bundle.
 */
export function verifyBundle(crypto: E2ECrypto, bundle: PreKeyBundle): void {
  checkPublicKey(bundle.identityKey);
  checkPublicKey(bundle.signedPreKey);
  if ((bundle.preKey === undefined) !== (bundle.preKeyId === undefined)) {
    throw new E2EError('invalid_key', 'bundle has a one-time prekey id without a key, or the reverse');
  }
  if (bundle.preKey !== undefined) checkPublicKey(bundle.preKey);
  if (!xeddsaVerify(bundle.identityKey, bundle.signedPreKey, bundle.signedPreKeySignature, crypto)) {
    throw new E2EError('bad_signature', 'signed prekey signature does not verify');
  }
}

/** The initiator's side: our identity and fresh base key against the peer's bundle keys. */
export function aliceAgreement(
  crypto: E2ECrypto,
  p: {
    ourIdentity: KeyPair;
    ourBaseKey: KeyPair;
    theirIdentity: Uint8Array;
    theirSignedPreKey: Uint8Array;
    theirOneTimePreKey?: Uint8Array | undefined;
  },
): InitialKeys {
  const parts = [
    agree(crypto, p.ourIdentity.privateKey, p.theirSignedPreKey),
    agree(crypto, p.ourBaseKey.privateKey, p.theirIdentity),
    agree(crypto, p.ourBaseKey.privateKey, p.theirSignedPreKey),
  ];
  if (p.theirOneTimePreKey !== undefined)
    parts.push(agree(crypto, p.ourBaseKey.privateKey, p.theirOneTimePreKey));
  return deriveInitialKeys(crypto, parts);
}

/** The responder's side: the same four DH values, computed from the other ends. */
export function bobAgreement(
  crypto: E2ECrypto,
  p: {
    ourIdentity: KeyPair;
    ourSignedPreKey: KeyPair;
    ourOneTimePreKey?: KeyPair | undefined;
    theirIdentity: Uint8Array;
    theirBaseKey: Uint8Array;
  },
): InitialKeys {
  const parts = [
    agree(crypto, p.ourSignedPreKey.privateKey, p.theirIdentity),
    agree(crypto, p.ourIdentity.privateKey, p.theirBaseKey),
    agree(crypto, p.ourSignedPreKey.privateKey, p.theirBaseKey),
  ];
  if (p.ourOneTimePreKey !== undefined)
    parts.push(agree(crypto, p.ourOneTimePreKey.privateKey, p.theirBaseKey));
  return deriveInitialKeys(crypto, parts);
}
