import { E2EError } from './errors.js';

/**
 * A minimal proto2 codec for the handful of libsignal messages Parley speaks (wire.proto's SignalMessage
 * and PreKeySignalMessage, fingerprint.proto's CombinedFingerprints). Hand-written rather than a
 * dependency: the schema is 10 fields of two types (uint32 varints and bytes), and a generic library
 * would add far more code and attack surface than this file.
 *
 * Only the bytes the MAC covers must match the sender's exactly, and the MAC is checked over the bytes
 * as received, so this encoder's output need not equal prost's; it writes fields in field-number order.
 * The decoder follows prost's proto2 behaviour: unknown fields are skipped, a repeated occurrence of a
 * singular field replaces the earlier one, and a uint32 keeps the low 32 bits of a longer varint.
 */

export type FieldValue = number | Uint8Array;

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

function bad(detail: string): never {
  throw new E2EError('invalid_message', `protobuf: ${detail}`);
}

function varintLength(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

function writeVarint(out: Uint8Array, offset: number, n: number): number {
  while (n >= 0x80) {
    out[offset++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  out[offset++] = n;
  return offset;
}

/**
 * Encodes fields given as [field number, value] pairs; numbers become uint32 varints, byte arrays
 * length-delimited fields. Undefined values are omitted (absent optional fields).
 */
export function encodeFields(fields: ReadonlyArray<readonly [number, FieldValue | undefined]>): Uint8Array {
  let size = 0;
  for (const [no, value] of fields) {
    if (value === undefined) continue;
    if (typeof value === 'number') {
      if (!Number.isInteger(value) || value < 0 || value > 0xffffffff)
        throw new RangeError(`uint32 field ${no}`);
      size += varintLength(no << 3) + varintLength(value);
    } else {
      size += varintLength((no << 3) | WIRE_LEN) + varintLength(value.length) + value.length;
    }
  }
  const out = new Uint8Array(size);
  let o = 0;
  for (const [no, value] of fields) {
    if (value === undefined) continue;
    if (typeof value === 'number') {
      o = writeVarint(out, o, (no << 3) | WIRE_VARINT);
      o = writeVarint(out, o, value);
    } else {
      o = writeVarint(out, o, (no << 3) | WIRE_LEN);
      o = writeVarint(out, o, value.length);
      out.set(value, o);
      o += value.length;
    }
  }
  return out;
}

/** Reads a varint at `pos`; returns its low 32 bits (unsigned) and the next position. */
function readVarint(buf: Uint8Array, pos: number): [number, number] {
  let low = 0;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) bad('truncated varint');
    const b = buf[pos++]!;
    if (i < 5) low += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) {
      if (i === 9 && b > 1) bad('varint overflows 64 bits');
      return [low % 2 ** 32, pos];
    }
  }
  bad('varint longer than 10 bytes');
}

export interface FieldSpec {
  [fieldNumber: number]: 'uint32' | 'bytes';
}

/**
 * Decodes a message into a map from field number to value, for the fields in `spec`; other fields are
 * skipped. A field whose wire type contradicts the spec is an error (prost rejects it too). Returned
 * byte values are views into `buf`.
 */
export function decodeFields(buf: Uint8Array, spec: FieldSpec): Map<number, FieldValue> {
  const out = new Map<number, FieldValue>();
  let pos = 0;
  while (pos < buf.length) {
    let key: number;
    [key, pos] = readVarint(buf, pos);
    const no = Math.floor(key / 8);
    const wire = key & 7;
    if (no === 0) bad('field number 0');
    const want = spec[no];
    if (wire === WIRE_VARINT) {
      let v: number;
      [v, pos] = readVarint(buf, pos);
      if (want === 'bytes') bad(`field ${no}: expected bytes`);
      if (want === 'uint32') out.set(no, v);
    } else if (wire === WIRE_LEN) {
      let len: number;
      [len, pos] = readVarint(buf, pos);
      if (len > buf.length - pos) bad(`field ${no}: length ${len} past the end`);
      if (want === 'uint32') bad(`field ${no}: expected varint`);
      if (want === 'bytes') out.set(no, buf.subarray(pos, pos + len));
      pos += len;
    } else if (wire === WIRE_I64 || wire === WIRE_I32) {
      if (want !== undefined) bad(`field ${no}: unexpected fixed-width value`);
      pos += wire === WIRE_I64 ? 8 : 4;
      if (pos > buf.length) bad('truncated fixed-width field');
    } else {
      bad(`unsupported wire type ${wire}`); // groups (3/4) are not used by any Signal message
    }
  }
  return out;
}

export function getUint32(fields: Map<number, FieldValue>, no: number): number | undefined {
  const v = fields.get(no);
  return typeof v === 'number' ? v : undefined;
}

export function getBytes(fields: Map<number, FieldValue>, no: number): Uint8Array | undefined {
  const v = fields.get(no);
  return v instanceof Uint8Array ? v : undefined;
}
