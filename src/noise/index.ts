// The pure Noise implementation: nothing here imports node:*, except crypto-node.ts, which is not
// re-exported so browser bundles never pull it in. Node code imports nodeCrypto from './crypto-node.js'.
export { CipherState, MAX_NONCE } from './cipher-state.js';
export {
  type CipherName,
  DHLEN,
  HASHLEN,
  KEYLEN,
  type KeyPair,
  MAX_MESSAGE_LENGTH,
  type NoiseCrypto,
  type Nonce64,
  TAGLEN,
} from './crypto.js';
export { nobleCrypto } from './crypto-noble.js';
export { NoiseError, type NoiseErrorCode } from './errors.js';
export { type HandshakeOptions, HandshakeState } from './handshake-state.js';
export { formatKeyLogLine, KEYLOG_LABEL, type KeyLogEntry, parseKeyLog } from './keylog.js';
export {
  type HandshakePattern,
  PATTERNS,
  type PreToken,
  type ProtocolName,
  parseProtocolName,
  patternByName,
  type Token,
} from './patterns.js';
export { SymmetricState } from './symmetric-state.js';
