import { HASHLEN, KEYLEN } from './crypto.js';
import { NoiseError } from './errors.js';

/**
 * Key log lines, one per connection, like SSLKEYLOGFILE (format also in docs/protocol-noise.md):
 *
 *   PARLEY_NOISE <handshake-hash-hex> <initiator-to-responder-key-hex> <responder-to-initiator-key-hex>
 *
 * Three fields of 64 hex digits separated by single spaces. The keys are the 32-byte cipher keys Split()
 * returns, so transport nonces start at 0 and an inspector holding the line can decrypt a capture from
 * its first transport frame. The handshake hash names the connection: both peers compute the same one.
 * Blank lines and lines starting with `#` are comments.
 */
export interface KeyLogEntry {
  handshakeHash: Uint8Array;
  initiatorToResponder: Uint8Array;
  responderToInitiator: Uint8Array;
}

export const KEYLOG_LABEL = 'PARLEY_NOISE';
const HEX64 = /^[0-9a-fA-F]{64}$/;

/** One key-log line, newline included, ready to append to the file. */
export function formatKeyLogLine(e: KeyLogEntry): string {
  if (e.handshakeHash.length !== HASHLEN)
    throw new NoiseError('bad_keylog', 'handshake hash must be 32 bytes');
  if (e.initiatorToResponder.length !== KEYLEN || e.responderToInitiator.length !== KEYLEN) {
    throw new NoiseError('bad_keylog', 'key-log keys must be 32 bytes');
  }
  return `${KEYLOG_LABEL} ${hex(e.handshakeHash)} ${hex(e.initiatorToResponder)} ${hex(e.responderToInitiator)}\n`;
}

/** Parses a key log; skips blank lines and `#` comments; throws NoiseError('bad_keylog') naming the first bad line. */
export function parseKeyLog(text: string): KeyLogEntry[] {
  const out: KeyLogEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const cols = line.split(/\s+/);
    const problem =
      cols[0] !== KEYLOG_LABEL
        ? `expected the label ${KEYLOG_LABEL}, got ${JSON.stringify(cols[0]!.slice(0, 40))}`
        : cols.length !== 4
          ? `expected 3 fields after the label, got ${cols.length - 1}`
          : cols.slice(1).some((c) => !HEX64.test(c))
            ? 'each field must be 64 hex digits (32 bytes)'
            : undefined;
    if (problem) throw new NoiseError('bad_keylog', `key log line ${i + 1}: ${problem}`);
    out.push({
      handshakeHash: unhex(cols[1]!),
      initiatorToResponder: unhex(cols[2]!),
      responderToInitiator: unhex(cols[3]!),
    });
  }
  return out;
}

function hex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += (b[i]! < 16 ? '0' : '') + b[i]!.toString(16);
  return s;
}

function unhex(s: string): Uint8Array {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}
