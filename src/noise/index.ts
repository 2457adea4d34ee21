export { CipherState, MAX_NONCE } from './cipher-state.js';
export type { CipherName, KeyPair, NoiseCrypto } from './crypto.js';
export { nobleCrypto } from './crypto-noble.js';
export { NoiseError, type NoiseErrorCode } from './errors.js';
export { type HandshakeOptions, HandshakeState } from './handshake-state.js';
export { formatKeyLogLine, type KeyLogEntry, parseKeyLog } from './keylog.js';
export { type HandshakePattern, PATTERNS, parseProtocolName, type Token } from './patterns.js';
export { SymmetricState } from './symmetric-state.js';
