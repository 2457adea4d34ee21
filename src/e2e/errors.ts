/**
 * One error class for the whole E2E library, with stable machine-readable codes so callers (the SDK's
 * retry logic, the UI's "safety number changed" warning) can branch without parsing messages. The codes
 * mirror libsignal's error kinds where one exists, so logs from both sides read alike.
 */

export type E2EErrorCode =
  /** The message MAC did not verify: wrong keys (desynchronised session) or tampering. */
  | 'bad_mac'
  /** An XEdDSA signature (signed prekey) did not verify. */
  | 'bad_signature'
  /** The remote identity key differs from the one we trust for this address. */
  | 'untrusted_identity'
  /** A public key that is not 33 bytes 0x05 ‖ u, or a private key that is not 32 bytes, or a low-order point. */
  | 'invalid_key'
  /** Malformed wire bytes: truncated, bad protobuf, missing fields, bad padding. */
  | 'invalid_message'
  /** A message version this library does not speak (e.g. a PQXDH/v4 message). */
  | 'invalid_version'
  /** The message key was already used (or evicted as too old): the message is a duplicate or a replay. */
  | 'duplicate_message'
  /** No usable session for the address (never set up, or the unacknowledged setup went stale). */
  | 'no_session'
  /** A PreKeySignalMessage names a one-time or signed prekey that we do not have. */
  | 'invalid_prekey_id'
  /** The counter jumps further ahead than the skipped-message-key limit allows. */
  | 'too_many_skipped'
  /** Stored session state that cannot be parsed (corrupt store). */
  | 'invalid_state';

export class E2EError extends Error {
  override readonly name = 'E2EError';
  readonly code: E2EErrorCode;

  constructor(code: E2EErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.code = code;
  }
}

export function isE2EError(e: unknown, code?: E2EErrorCode): e is E2EError {
  return e instanceof E2EError && (code === undefined || e.code === code);
}
