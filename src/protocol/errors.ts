/**
 * The one error catalogue shared by server, SDK and CLI: a stable code that travels on the wire (in
 * `<ack error=…>`, `<iq type="error">`, `<failure reason=…>` and HTTP JSON `reason`), a numeric status in
 * the HTTP family, a human message, and whether the client may retry the same request later.
 */
export const ERRORS = {
  bad_request: { status: 400, message: 'the request is malformed', retryable: false },
  bad_param: { status: 400, message: 'a parameter is missing or invalid', retryable: false },
  not_authorized: { status: 401, message: 'not authorised', retryable: false },
  forbidden: { status: 403, message: 'not allowed', retryable: false },
  recipient_unknown: { status: 404, message: 'no such user', retryable: false },
  item_not_found: { status: 404, message: 'not found', retryable: false },
  not_allowed: { status: 405, message: 'not allowed in this state', retryable: false },
  feature_not_implemented: { status: 501, message: 'unknown request', retryable: false },
  conflict: { status: 409, message: 'replaced by a newer connection of this device', retryable: false },
  too_large: { status: 413, message: 'too large', retryable: false },
  device_mismatch: {
    status: 409,
    message: "the message's participants are not the recipients' current devices: fetch them again",
    retryable: false,
  },
  no_keys: {
    status: 404,
    message: 'the recipient has no device with encryption keys yet',
    retryable: false,
  },
  queue_full: { status: 507, message: "the recipient's offline queue is full", retryable: true },
  rate_overlimit: { status: 429, message: 'too many requests, slow down', retryable: true },
  too_recent: { status: 429, message: 'a code was sent too recently', retryable: true },
  too_many_guesses: { status: 429, message: 'too many wrong codes', retryable: true },
  bad_code: { status: 403, message: 'wrong verification code', retryable: false },
  code_expired: {
    status: 410,
    message: 'the verification code expired; request a new one',
    retryable: false,
  },
  no_code: { status: 404, message: 'no verification code was requested for this number', retryable: false },
  blocked: { status: 403, message: 'this number is blocked', retryable: false },
  timeout: { status: 408, message: 'timed out', retryable: true },
  unavailable: { status: 503, message: 'temporarily unavailable', retryable: true },
  internal: { status: 500, message: 'internal server error', retryable: true },
} as const satisfies Record<string, { status: number; message: string; retryable: boolean }>;

export type ErrorCode = keyof typeof ERRORS;

export function isErrorCode(s: string): s is ErrorCode {
  return Object.hasOwn(ERRORS, s);
}

/** An error with a catalogue code. `detail` adds context for logs and humans; it never carries secrets. */
export class ParleyError extends Error {
  override readonly name = 'ParleyError';
  constructor(
    readonly code: ErrorCode,
    readonly detail?: string,
    readonly retryAfter?: number,
  ) {
    super(detail ? `${ERRORS[code].message}: ${detail}` : ERRORS[code].message);
  }
  get status(): number {
    return ERRORS[this.code].status;
  }
  get retryable(): boolean {
    return ERRORS[this.code].retryable;
  }
}
