const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes UTF-8, refusing invalid sequences; ASCII (the common case on the wire) skips TextDecoder. */
export function decodeUtf8(buf: Uint8Array, start: number, end: number): string | undefined {
  const n = end - start;
  if (n <= 64) {
    let ascii = true;
    for (let i = start; i < end; i++) {
      if (buf[i]! >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) return String.fromCharCode.apply(null, buf.subarray(start, end) as unknown as number[]);
  }
  try {
    return strictDecoder.decode(buf.subarray(start, end));
  } catch {
    return undefined;
  }
}

export function encodeUtf8(s: string): Uint8Array {
  return encoder.encode(s);
}

export function isValidUtf8(bytes: Uint8Array): boolean {
  return decodeUtf8(bytes, 0, bytes.length) !== undefined;
}
