/**
 * better-sqlite3 returns BLOBs as Buffers. Callers get a plain Uint8Array view of the same memory: a
 * Buffer subclass behaves differently (toString, deepEqual against Uint8Array) and would leak the driver.
 */
export function bytes(blob: Buffer): Uint8Array {
  return new Uint8Array(blob.buffer, blob.byteOffset, blob.byteLength);
}
