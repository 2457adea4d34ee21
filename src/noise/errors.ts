export type NoiseErrorCode =
  | 'bad_mac'
  | 'nonce_exhausted'
  | 'bad_message_length'
  | 'bad_state'
  | 'bad_key'
  | 'unsupported';

/** Every Noise failure: a stable code and a human message. A failed decryption never changes state. */
export class NoiseError extends Error {
  override readonly name = 'NoiseError';
  constructor(
    readonly code: NoiseErrorCode,
    message: string,
  ) {
    super(message);
  }
}
