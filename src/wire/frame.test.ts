/**
 * Framing (PROTOCOL.md §3.3): a 3-byte big-endian length, then that many bytes; any chunking of the stream
 * gives back the same frames; a length above the maximum is refused before the body arrives.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { WireError } from './errors.js';
import {
  DEFAULT_MAX_FRAME,
  encodeFrame,
  FRAME_LENGTH_LIMIT,
  FrameReader,
  writeFrameHeader,
} from './frame.js';
import { bytes, concat, expectWireError, hexOf } from './test-helpers.js';

/** Feeds `stream` cut at `cuts` (sorted, deduplicated offsets) and collects every frame. */
function feed(reader: FrameReader, stream: Uint8Array, cuts: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of [...cuts, stream.length]) {
    // Copy each chunk, as a socket would hand over fresh buffers.
    for (const f of reader.push(stream.slice(prev, c))) out.push(f.slice());
    prev = c;
  }
  return out;
}

describe('encodeFrame / writeFrameHeader', () => {
  it('3-byte big-endian length, then the payload', () => {
    assert.equal(hexOf(encodeFrame(bytes('AA BB'))), '00 00 02 AA BB');
    assert.equal(hexOf(encodeFrame(new Uint8Array(0))), '00 00 00');
    const h = new Uint8Array(5);
    writeFrameHeader(0x123456, h, 1);
    assert.equal(hexOf(h), '00 12 34 56 00');
    writeFrameHeader(FRAME_LENGTH_LIMIT, h);
    assert.equal(hexOf(h.subarray(0, 3)), 'FF FF FF');
  });

  it('lengths that do not fit 3 bytes are refused', () => {
    assert.equal(FRAME_LENGTH_LIMIT, 0xffffff);
    const h = new Uint8Array(3);
    expectWireError(() => writeFrameHeader(0x1000000, h), 'frame_too_large', -1);
    expectWireError(() => writeFrameHeader(-1, h), 'frame_too_large', -1);
    expectWireError(() => writeFrameHeader(1.5, h), 'frame_too_large', -1);
  });
});

describe('FrameReader', () => {
  it('any chunking of a stream of random frames gives back the same frames', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (frames, rawCuts) => {
          const stream = concat(...frames.map(encodeFrame));
          const cuts = [...new Set(rawCuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
          const reader = new FrameReader(1000);
          const got = feed(reader, stream, cuts);
          assert.deepStrictEqual(
            got.map((f) => Array.from(f)),
            frames.map((f) => Array.from(f)),
          );
          assert.equal(reader.buffered, 0);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('byte-at-a-time and all-at-once agree', () => {
    const frames = [bytes('01'), new Uint8Array(0), new Uint8Array(1000).fill(7), bytes('02 03')];
    const stream = concat(...frames.map(encodeFrame));
    const oneByOne = feed(
      new FrameReader(),
      stream,
      Array.from({ length: stream.length }, (_, i) => i),
    );
    const whole = new FrameReader().push(stream);
    assert.deepStrictEqual(oneByOne.map(hexOf), frames.map(hexOf));
    assert.deepStrictEqual(whole.map(hexOf), frames.map(hexOf));
  });

  it('zero-length frames', () => {
    const r = new FrameReader();
    assert.deepStrictEqual(r.push(bytes('00 00 00')).map(hexOf), ['']);
    assert.deepStrictEqual(r.push(bytes('00 00 00 00 00 00')).map(hexOf), ['', '']);
    assert.deepStrictEqual(r.push(bytes('00')).map(hexOf), []);
    assert.deepStrictEqual(r.push(bytes('00')).map(hexOf), []);
    assert.deepStrictEqual(r.push(bytes('00 00 00 01 AB')).map(hexOf), ['', 'AB']);
    assert.equal(r.buffered, 0);
  });

  it('an empty chunk is harmless', () => {
    const r = new FrameReader();
    assert.deepStrictEqual(r.push(new Uint8Array(0)), []);
    r.push(bytes('00'));
    assert.deepStrictEqual(r.push(new Uint8Array(0)), []);
    assert.equal(r.buffered, 1);
  });

  it('buffered counts header and body bytes held for an incomplete frame', () => {
    const r = new FrameReader();
    assert.equal(r.buffered, 0);
    r.push(bytes('00 00'));
    assert.equal(r.buffered, 2);
    assert.deepStrictEqual(r.push(bytes('0A 01 02 03 04 05')), []);
    assert.equal(r.buffered, 5);
    assert.deepStrictEqual(r.push(bytes('06 07 08 09')), []);
    assert.equal(r.buffered, 9);
    const [f] = r.push(bytes('0A 00'));
    assert.equal(hexOf(f!), '01 02 03 04 05 06 07 08 09 0A');
    assert.equal(r.buffered, 1);
    r.push(bytes('00 02 FF'));
    assert.equal(r.buffered, 1);
  });

  it('a declared length above the maximum throws on the 3 header bytes alone', () => {
    expectWireError(() => new FrameReader(1000).push(bytes('00 03 E9')), 'frame_too_large', 0);
    assert.deepStrictEqual(new FrameReader(1000).push(bytes('00 03 E8')), []);
    // The default maximum is 1 MiB.
    assert.equal(DEFAULT_MAX_FRAME, 1 << 20);
    expectWireError(() => new FrameReader().push(bytes('10 00 01')), 'frame_too_large', 0);
    expectWireError(() => new FrameReader().push(bytes('FF FF FF')), 'frame_too_large', 0);
    const ok = new FrameReader();
    assert.deepStrictEqual(ok.push(bytes('10 00 00')), []);
  });

  it('the error names the header offset in the stream, however the header was split', () => {
    const r = new FrameReader(10);
    assert.equal(r.push(bytes('00 00 02 AA BB 00')).length, 1);
    expectWireError(() => r.push(bytes('00 0B')), 'frame_too_large', 5);
    const s = new FrameReader(10);
    s.push(bytes('00 00 01'));
    s.push(bytes('AA'));
    const e = expectWireError(() => s.push(bytes('00 00 0B')), 'frame_too_large', 4);
    assert.ok(e instanceof WireError);
  });

  it('maxFrame above the 3-byte limit is a programming error', () => {
    assert.throws(() => new FrameReader(FRAME_LENGTH_LIMIT + 1), RangeError);
    assert.equal(new FrameReader(FRAME_LENGTH_LIMIT).maxFrame, FRAME_LENGTH_LIMIT);
  });
});
