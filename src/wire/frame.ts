import { WireError } from './errors.js';

/** A frame's length is 3 bytes big-endian, so no frame can exceed this whatever the configured maximum. */
export const FRAME_LENGTH_LIMIT = 0xffffff;
export const DEFAULT_MAX_FRAME = 1 << 20;

export function writeFrameHeader(length: number, out: Uint8Array, pos = 0): void {
  if (!Number.isInteger(length) || length < 0 || length > FRAME_LENGTH_LIMIT) {
    throw new WireError('frame_too_large', `frame of ${length} bytes does not fit a 3-byte length`, -1);
  }
  out[pos] = length >>> 16;
  out[pos + 1] = (length >>> 8) & 0xff;
  out[pos + 2] = length & 0xff;
}

/** One frame: the 3-byte length, then the payload. */
export function encodeFrame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(3 + payload.length);
  writeFrameHeader(payload.length, out);
  out.set(payload, 3);
  return out;
}

/**
 * Cuts a byte stream, arriving in any chunking, into frames. A declared length above `maxFrame` throws
 * before a byte of that frame is buffered, so a peer cannot make us allocate by announcing a large frame.
 * Frames that arrive whole inside one chunk are returned as views of it, without copying.
 */
export class FrameReader {
  private head = new Uint8Array(3);
  private headLen = 0;
  private body: Uint8Array | null = null;
  private bodyLen = 0;
  /** Total bytes consumed, so errors can name where in the stream they happened. */
  private offset = 0;

  constructor(readonly maxFrame: number = DEFAULT_MAX_FRAME) {
    if (maxFrame > FRAME_LENGTH_LIMIT) throw new RangeError('maxFrame above the 3-byte limit');
  }

  /** Feeds a chunk; returns the frames it completed, in order. */
  push(chunk: Uint8Array): Uint8Array[] {
    const frames: Uint8Array[] = [];
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.body === null) {
        if (this.headLen === 0 && n - i >= 3) {
          const len = (chunk[i]! << 16) | (chunk[i + 1]! << 8) | chunk[i + 2]!;
          this.checkLength(len, i);
          if (n - i - 3 >= len) {
            frames.push(chunk.subarray(i + 3, i + 3 + len));
            i += 3 + len;
            continue;
          }
          i += 3;
          this.startBody(len);
          continue;
        }
        this.head[this.headLen++] = chunk[i++]!;
        if (this.headLen === 3) {
          const len = (this.head[0]! << 16) | (this.head[1]! << 8) | this.head[2]!;
          this.checkLength(len, i - 3);
          this.headLen = 0;
          if (len === 0) frames.push(new Uint8Array(0));
          else this.startBody(len);
        }
        continue;
      }
      const take = Math.min(this.body.length - this.bodyLen, n - i);
      this.body.set(chunk.subarray(i, i + take), this.bodyLen);
      this.bodyLen += take;
      i += take;
      if (this.bodyLen === this.body.length) {
        frames.push(this.body);
        this.body = null;
        this.bodyLen = 0;
      }
    }
    this.offset += n;
    return frames;
  }

  /** Bytes held for an incomplete frame (a header fragment or a partial body). */
  get buffered(): number {
    return this.headLen + this.bodyLen;
  }

  private startBody(len: number): void {
    this.body = new Uint8Array(len);
    this.bodyLen = 0;
  }

  private checkLength(len: number, at: number): void {
    if (len > this.maxFrame) {
      throw new WireError(
        'frame_too_large',
        `frame of ${len} bytes exceeds the maximum ${this.maxFrame}`,
        this.offset + at,
      );
    }
  }
}
