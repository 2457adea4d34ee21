export type NoiseErrorCode =
  /** AEAD authentication failed: wrong key, tampered, replayed or reordered message. */
  | 'bad_mac'
  /** The nonce reached 2^64-1, which Noise reserves: the session must end. */
  | 'nonce_exhausted'
  /** A message too short for its keys and tag, or a handshake message over 65535 bytes. */
  | 'bad_message_length'
  /** Called out of order: wrong turn, handshake unfinished or already finished, a needed key absent. */
  | 'bad_state'
  /** A key of the wrong length, or a low-order X25519 public key. */
  | 'bad_key'
  /** A protocol name that is malformed or names a pattern, DH, cipher or hash not implemented here. */
  | 'unsupported'
  /** A malformed key-log line. */
  | 'bad_keylog';

/**
 * Every Noise failure: a stable `code` to branch on and a human message. A failed decryption never
 * changes state, so the caller may still decrypt the genuine message afterwards.
 */
export class NoiseError extends Error {
  override readonly name = 'NoiseError';
  constructor(
    readonly code: NoiseErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
