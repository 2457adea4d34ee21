/**
 * Key log lines, one per connection, like SSLKEYLOGFILE:
 *   PARLEY_NOISE <handshake hash hex> <initiator→responder key hex> <responder→initiator key hex>
 * Both keys are the CipherState keys right after Split(), so transport nonces start at 0 and an inspector
 * holding the line can decrypt a capture from its first transport frame. The handshake hash names the
 * connection (both peers compute the same one).
 */
export interface KeyLogEntry {
  handshakeHash: Uint8Array;
  initiatorToResponder: Uint8Array;
  responderToInitiator: Uint8Array;
}

const LABEL = 'PARLEY_NOISE';

export function formatKeyLogLine(e: KeyLogEntry): string {
  return `${LABEL} ${hex(e.handshakeHash)} ${hex(e.initiatorToResponder)} ${hex(e.responderToInitiator)}\n`;
}

/** Parses a key log; skips blank lines and `#` comments; throws on any malformed line, naming it. */
export function parseKeyLog(text: string): KeyLogEntry[] {
  const out: KeyLogEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const cols = line.split(/\s+/);
    if (cols.length !== 4 || cols[0] !== LABEL || !cols.slice(1).every((c) => /^[0-9a-f]{64}$/i.test(c))) {
      throw new Error(
        `key log line ${i + 1}: expected "${LABEL} <hash> <key> <key>" with 64 hex digits each`,
      );
    }
    out.push({
      handshakeHash: unhex(cols[1]!),
      initiatorToResponder: unhex(cols[2]!),
      responderToInitiator: unhex(cols[3]!),
    });
  });
  return out;
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

function unhex(s: string): Uint8Array {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}
