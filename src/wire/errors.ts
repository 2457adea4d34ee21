/**
 * Every failure of the wire layer — decoding bytes, parsing the XML text form, framing, refusing to encode
 * a node that could not be decoded back — is a WireError: one class, a stable code to branch on, and the
 * byte (or character) offset where the input went wrong, so a researcher can find it in a hex dump.
 */
export type WireErrorCode =
  | 'truncated'
  | 'length_past_end'
  | 'unknown_tag'
  | 'unknown_token'
  | 'too_deep'
  | 'too_many_attrs'
  | 'too_many_children'
  | 'trailing_bytes'
  | 'bad_packed'
  | 'bad_utf8'
  | 'bad_node'
  | 'bad_xml'
  | 'frame_too_large'
  | 'invalid_node';

export class WireError extends Error {
  override readonly name = 'WireError';
  constructor(
    readonly code: WireErrorCode,
    readonly reason: string,
    /** Byte offset into the decoded input (character offset for XML text); -1 when not about input. */
    readonly offset: number,
  ) {
    super(offset >= 0 ? `${reason} at offset ${offset}` : reason);
  }
}
