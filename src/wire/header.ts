/**
 * The 4 bytes a client sends once before its first frame (and the Noise prologue): magic "PL", the protocol
 * version, the dictionary version. A peer that sees anything else is not speaking Parley (or not this version).
 */
export const MAGIC_0 = 0x50; // 'P'
export const MAGIC_1 = 0x4c; // 'L'
export const PROTOCOL_VERSION = 1;
export const DICTIONARY_VERSION = 1;

export const STREAM_HEADER = Uint8Array.of(MAGIC_0, MAGIC_1, PROTOCOL_VERSION, DICTIONARY_VERSION);

export function isStreamHeader(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === MAGIC_0 && b[1] === MAGIC_1;
}

/** Transport plaintext flag byte: bit 0x02 means the node that follows is zlib-deflated. */
export const FLAG_COMPRESSED = 0x02;
