import { concatBytes, constantTimeEqual, copyBytes } from './bytes.js';
import type { E2ECrypto } from './crypto.js';
import { E2EError } from './errors.js';
import { checkPublicKey } from './keys.js';
import { decodeFields, encodeFields, getBytes, getUint32 } from './protobuf.js';

/**
 * libsignal's wire framing (rust/protocol/src/protocol.rs):
 *   SignalMessage       = versionByte ‖ protobuf ‖ MAC[8]
 *   PreKeySignalMessage = versionByte ‖ protobuf           (its inner SignalMessage carries the MAC)
 * versionByte = (sessionVersion << 4) | CIPHERTEXT_MESSAGE_CURRENT_VERSION. Since libsignal v0.24 the
 * current version is 4, so 0.72.1 writes 0x34 for an X3DH (v3) session, and so do we. Readers look at
 * the high nibble only; we accept a low nibble of 3 (older libsignal, libsignal-node, WhatsApp) or 4.
 *
 * MAC = HMAC-SHA256(macKey, senderIdentity33 ‖ receiverIdentity33 ‖ versionByte ‖ protobuf)[0..8],
 * computed over the bytes as received, so the protobuf encoding itself is free.
 */

export const SESSION_VERSION = 3;
export const CURRENT_VERSION = 4;
export const VERSION_BYTE = (SESSION_VERSION << 4) | CURRENT_VERSION; // 0x34
export const MAC_LENGTH = 8;

export interface SignalMessage {
  /** High nibble of the version byte: the session version the sender used. */
  version: number;
  /** The sender's current ratchet public key (33 bytes; keys are copies, other fields views of the input). */
  ratchetKey: Uint8Array;
  counter: number;
  previousCounter: number;
  ciphertext: Uint8Array;
  /** The whole message as received or sent (version byte, protobuf, MAC). */
  serialized: Uint8Array;
}

export interface PreKeySignalMessage {
  version: number;
  registrationId: number;
  preKeyId: number | undefined;
  signedPreKeyId: number;
  baseKey: Uint8Array;
  identityKey: Uint8Array;
  message: SignalMessage;
  serialized: Uint8Array;
}

/** The high nibble of a version byte, rejecting versions we cannot read as invalid_version. */
function readVersion(byte: number): number {
  const version = byte >> 4;
  const current = byte & 0x0f;
  if (version !== SESSION_VERSION || current < 3 || current > CURRENT_VERSION) {
    throw new E2EError(
      'invalid_version',
      `unsupported message version byte 0x${byte.toString(16).padStart(2, '0')} (only X3DH v3 sessions)`,
    );
  }
  return version;
}

function computeMac(
  crypto: E2ECrypto,
  macKey: Uint8Array,
  senderIdentity: Uint8Array,
  receiverIdentity: Uint8Array,
  covered: Uint8Array,
): Uint8Array {
  return crypto
    .hmacSha256(macKey, concatBytes(senderIdentity, receiverIdentity, covered))
    .subarray(0, MAC_LENGTH);
}

export function encodeSignalMessage(
  crypto: E2ECrypto,
  m: { ratchetKey: Uint8Array; counter: number; previousCounter: number; ciphertext: Uint8Array },
  macKey: Uint8Array,
  senderIdentity: Uint8Array,
  receiverIdentity: Uint8Array,
): Uint8Array {
  const body = encodeFields([
    [1, m.ratchetKey],
    [2, m.counter],
    [3, m.previousCounter],
    [4, m.ciphertext],
  ]);
  const covered = new Uint8Array(1 + body.length);
  covered[0] = VERSION_BYTE;
  covered.set(body, 1);
  return concatBytes(covered, computeMac(crypto, macKey, senderIdentity, receiverIdentity, covered));
}

export function parseSignalMessage(bytes: Uint8Array): SignalMessage {
  if (!(bytes instanceof Uint8Array) || bytes.length < 1 + MAC_LENGTH) {
    throw new E2EError('invalid_message', 'SignalMessage too short');
  }
  const version = readVersion(bytes[0]!);
  const fields = decodeFields(bytes.subarray(1, bytes.length - MAC_LENGTH), {
    1: 'bytes',
    2: 'uint32',
    3: 'uint32',
    4: 'bytes',
  });
  const ratchetKey = getBytes(fields, 1);
  const counter = getUint32(fields, 2);
  const ciphertext = getBytes(fields, 4);
  if (ratchetKey === undefined || counter === undefined || ciphertext === undefined) {
    throw new E2EError('invalid_message', 'SignalMessage lacks a required field');
  }
  return {
    version,
    ratchetKey: copyBytes(checkPublicKey(ratchetKey)),
    counter,
    previousCounter: getUint32(fields, 3) ?? 0,
    ciphertext,
    serialized: bytes,
  };
}

/** Checks the 8-byte MAC of a received SignalMessage, in constant time. */
export function verifySignalMac(
  crypto: E2ECrypto,
  m: SignalMessage,
  macKey: Uint8Array,
  senderIdentity: Uint8Array,
  receiverIdentity: Uint8Array,
): boolean {
  const covered = m.serialized.subarray(0, m.serialized.length - MAC_LENGTH);
  const mac = m.serialized.subarray(m.serialized.length - MAC_LENGTH);
  return constantTimeEqual(computeMac(crypto, macKey, senderIdentity, receiverIdentity, covered), mac);
}

export function encodePreKeySignalMessage(m: {
  registrationId: number;
  preKeyId: number | undefined;
  signedPreKeyId: number;
  baseKey: Uint8Array;
  identityKey: Uint8Array;
  message: Uint8Array;
}): Uint8Array {
  const body = encodeFields([
    [1, m.preKeyId],
    [2, m.baseKey],
    [3, m.identityKey],
    [4, m.message],
    [5, m.registrationId],
    [6, m.signedPreKeyId],
  ]);
  return concatBytes(new Uint8Array([VERSION_BYTE]), body);
}

export function parsePreKeySignalMessage(bytes: Uint8Array): PreKeySignalMessage {
  if (!(bytes instanceof Uint8Array) || bytes.length < 1) {
    throw new E2EError('invalid_message', 'PreKeySignalMessage too short');
  }
  const version = readVersion(bytes[0]!);
  const fields = decodeFields(bytes.subarray(1), {
    1: 'uint32',
    2: 'bytes',
    3: 'bytes',
    4: 'bytes',
    5: 'uint32',
    6: 'uint32',
    7: 'uint32',
    8: 'bytes',
  });
  if (fields.has(7) || fields.has(8)) {
    throw new E2EError('invalid_version', 'Kyber (PQXDH) fields in a v3 PreKeySignalMessage');
  }
  const baseKey = getBytes(fields, 2);
  const identityKey = getBytes(fields, 3);
  const inner = getBytes(fields, 4);
  const signedPreKeyId = getUint32(fields, 6);
  if (
    baseKey === undefined ||
    identityKey === undefined ||
    inner === undefined ||
    signedPreKeyId === undefined
  ) {
    throw new E2EError('invalid_message', 'PreKeySignalMessage lacks a required field');
  }
  const message = parseSignalMessage(inner);
  if (message.version !== version) {
    throw new E2EError('invalid_message', 'inner SignalMessage version differs from the outer one');
  }
  return {
    version,
    registrationId: getUint32(fields, 5) ?? 0,
    preKeyId: getUint32(fields, 1),
    signedPreKeyId,
    baseKey: copyBytes(checkPublicKey(baseKey)),
    identityKey: copyBytes(checkPublicKey(identityKey)),
    message,
    serialized: bytes,
  };
}
