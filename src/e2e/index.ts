// Parley's Signal protocol (X3DH + Double Ratchet, libsignal v3 wire format), pure TypeScript on @noble.
// Nothing here imports node:*, except crypto-node.ts, which is not re-exported so browser bundles never
// pull it in; Node code that wants the faster curve operations imports nodeCrypto from './crypto-node.js'.

export { processPreKeyBundle } from './builder.js';
export {
  concatBytes,
  constantTimeEqual,
  fromBase64,
  fromHex,
  toBase64,
  toHex,
} from './bytes.js';
export type { E2ECrypto, RawKeyPair } from './crypto.js';
export { nobleCrypto } from './crypto-noble.js';
export { E2EError, type E2EErrorCode, isE2EError } from './errors.js';
export { compareScannable, DEFAULT_ITERATIONS, type Fingerprint, numericFingerprint } from './fingerprint.js';
export {
  agree,
  checkPublicKey,
  DJB_TYPE,
  generateKeyPair,
  generateRegistrationId,
  type IdentityKeyPair,
  type KeyPair,
  keyPairFromPrivate,
  PUBLIC_KEY_LENGTH,
  rawPublicKey,
  serializePublicKey,
} from './keys.js';
export {
  CURRENT_VERSION,
  MAC_LENGTH,
  type PreKeySignalMessage,
  parsePreKeySignalMessage,
  parseSignalMessage,
  SESSION_VERSION,
  type SignalMessage,
  VERSION_BYTE,
} from './messages.js';
export type { SessionOptions } from './options.js';
export {
  generateIdentityKeyPair,
  generatePreKeys,
  generateSignedPreKey,
  makePreKeyBundle,
  type PreKeyRecord,
} from './prekeys.js';
export { SessionRecord } from './record.js';
export { type EncryptedMessage, type MessageType, SessionCipher } from './session.js';
export { DEFAULT_LIMITS, type RatchetLimits, type SessionState } from './state.js';
export {
  addressKey,
  createInMemoryStores,
  type Direction,
  type IdentityKeyStore,
  InMemoryIdentityStore,
  InMemoryPreKeyStore,
  InMemorySessionStore,
  InMemorySignedPreKeyStore,
  type InMemoryStores,
  type PreKeyStore,
  type ProtocolAddress,
  type ProtocolStores,
  type SessionStore,
  type SignedPreKeyRecord,
  type SignedPreKeyStore,
} from './store.js';
export { type PreKeyBundle, verifyBundle } from './x3dh.js';
export { signPublicKey, xeddsaSign, xeddsaVerify } from './xeddsa.js';
