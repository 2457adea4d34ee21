/**
 * Nibble (`0-9 - .`) and hex (`0-9 A-F`) packing: two characters per byte, high nibble first; the header
 * byte's bit 7 says the character count is odd, its low 7 bits the packed byte count; an odd string pads
 * the final low nibble with 0xF.
 */
export const PACK_NONE = 0;
export const PACK_NIBBLE = 1;
export const PACK_HEX = 2;

const NIBBLE_CHARS = '0123456789-.';
const HEX_CHARS = '0123456789ABCDEF';

/** Which packed alphabet fits the whole string (nibble preferred), or PACK_NONE. */
export function packKind(s: string): number {
  let punct = false;
  let letter = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) continue;
    if (c === 0x2d || c === 0x2e) punct = true;
    else if (c >= 0x41 && c <= 0x46) letter = true;
    else return PACK_NONE;
  }
  if (!letter) return PACK_NIBBLE;
  return punct ? PACK_NONE : PACK_HEX;
}

export function nibbleValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c === 0x2d) return 10;
  if (c === 0x2e) return 11;
  return c - 0x41 + 10; // hex letters; only called for strings packKind accepted
}

/** Writes header + packed bytes into `out` at `pos`; returns the new position. */
export function writePacked(s: string, out: Uint8Array, pos: number): number {
  const n = s.length;
  const nbytes = (n + 1) >> 1;
  out[pos++] = ((n & 1) << 7) | nbytes;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    out[pos++] = (nibbleValue(s.charCodeAt(i)) << 4) | nibbleValue(s.charCodeAt(i + 1));
  }
  if (i < n) out[pos++] = (nibbleValue(s.charCodeAt(i)) << 4) | 0x0f;
  return pos;
}

/** Decodes `nbytes` packed bytes; returns undefined on a character outside the alphabet or a bad pad. */
export function unpack(
  buf: Uint8Array,
  pos: number,
  nbytes: number,
  odd: boolean,
  hex: boolean,
): string | undefined {
  const alphabet = hex ? HEX_CHARS : NIBBLE_CHARS;
  const limit = alphabet.length;
  let s = '';
  for (let i = 0; i < nbytes; i++) {
    const b = buf[pos + i]!;
    const hi = b >> 4;
    const lo = b & 0x0f;
    if (hi >= limit) return undefined;
    s += alphabet[hi];
    if (odd && i === nbytes - 1) {
      if (lo !== 0x0f) return undefined;
    } else {
      if (lo >= limit) return undefined;
      s += alphabet[lo];
    }
  }
  return s;
}
