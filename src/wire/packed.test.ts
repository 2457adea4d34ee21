/**
 * Nibble and hex packing (PROTOCOL.md §2; research-notes §1.5): alphabets, header byte, pad nibble, the
 * 127-character limit, and the decoder's refusal of anything outside the alphabet.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeNode } from './decoder.js';
import { encodeNode } from './encoder.js';
import { node } from './node.js';
import { PACK_HEX, PACK_NIBBLE, PACK_NONE, packKind, unpack, writePacked } from './packed.js';
import { bytes, expectWireError, hexOf } from './test-helpers.js';

const NIBBLE = '0123456789-.';
const HEX = '0123456789ABCDEF';

/** The spec's packing, written independently of packed.ts: header, then pairs high nibble first, pad 0xF. */
function specPack(s: string, alphabet: string): number[] {
  const out = [((s.length % 2) << 7) | Math.ceil(s.length / 2)];
  for (let i = 0; i < s.length; i += 2) {
    const hi = alphabet.indexOf(s[i]!);
    const lo = i + 1 < s.length ? alphabet.indexOf(s[i + 1]!) : 0xf;
    out.push((hi << 4) | lo);
  }
  return out;
}

describe('packKind', () => {
  it('nibble for digits, "-" and "."; hex for digits and A-F; nibble preferred', () => {
    assert.equal(packKind('0123456789'), PACK_NIBBLE);
    assert.equal(packKind('-.'), PACK_NIBBLE);
    assert.equal(packKind('12.34-5'), PACK_NIBBLE);
    assert.equal(packKind('ABCDEF'), PACK_HEX);
    assert.equal(packKind('09AF'), PACK_HEX);
  });

  it('none for lower case, other letters, mixed alphabets and non-ASCII', () => {
    for (const s of ['abc', 'ABCdef', 'G', 'A-1', 'A.', ' 1', '1 ', '١', 'Ａ', '+1', '1/2', '\u0000']) {
      assert.equal(packKind(s), PACK_NONE, JSON.stringify(s));
    }
  });
});

describe('writePacked / unpack', () => {
  it('matches the spec packing for random nibble and hex strings of 1..127 characters', () => {
    for (const [alphabet, kind] of [
      [NIBBLE, PACK_NIBBLE],
      [HEX, PACK_HEX],
    ] as const) {
      fc.assert(
        fc.property(
          fc.string({ unit: fc.constantFrom(...alphabet.split('')), minLength: 1, maxLength: 127 }),
          (s) => {
            fc.pre(packKind(s) === kind);
            const buf = new Uint8Array(70);
            const end = writePacked(s, buf, 1);
            const written = Array.from(buf.subarray(1, end));
            assert.deepEqual(written, specPack(s, alphabet));
            const nbytes = written[0]! & 0x7f;
            assert.equal(unpack(buf, 2, nbytes, written[0]! >= 0x80, kind === PACK_HEX), s);
          },
        ),
        { numRuns: 500 },
      );
    }
  });

  it('every single byte: decodes iff each nibble is in the alphabet (and the odd pad is 0xF)', () => {
    for (const hex of [false, true]) {
      const alphabet = hex ? HEX : NIBBLE;
      for (let b = 0; b < 256; b++) {
        const hi = b >> 4;
        const lo = b & 15;
        const buf = Uint8Array.of(b);
        const even = unpack(buf, 0, 1, false, hex);
        const odd = unpack(buf, 0, 1, true, hex);
        const evenOk = hi < alphabet.length && lo < alphabet.length;
        const oddOk = hi < alphabet.length && lo === 0xf;
        assert.equal(even, evenOk ? alphabet[hi]! + alphabet[lo]! : undefined, `even ${hex} ${b}`);
        assert.equal(odd, oddOk ? alphabet[hi]! : undefined, `odd ${hex} ${b}`);
      }
    }
  });

  it('a bad byte anywhere in a longer run is refused', () => {
    const good = [0x12, 0x34, 0x56];
    for (let i = 0; i < good.length; i++) {
      const buf = Uint8Array.from(good);
      buf[i] = 0xc0;
      assert.equal(unpack(buf, 0, 3, false, false), undefined);
    }
    assert.equal(unpack(Uint8Array.from(good), 0, 3, false, false), '123456');
  });
});

describe('packing through the codec', () => {
  const enc = (v: string) => hexOf(encodeNode(node('iq', { id: v })));

  it('odd and even lengths', () => {
    assert.equal(enc('45'), 'F8 03 4A 44 FF 01 45');
    assert.equal(enc('456'), 'F8 03 4A 44 FF 82 45 6F');
    assert.equal(enc('4567'), 'F8 03 4A 44 FF 02 45 67');
    assert.equal(enc('AB'), 'F8 03 4A 44 FB 01 AB');
    assert.equal(enc('ABC'), 'F8 03 4A 44 FB 82 AB CF');
  });

  it('the 127 / 128 character boundary, for both alphabets', () => {
    for (const alphabet of [NIBBLE, HEX]) {
      fc.assert(
        fc.property(
          fc.string({ unit: fc.constantFrom(...alphabet.split('')), minLength: 127, maxLength: 128 }),
          (s) => {
            const kind = packKind(s);
            fc.pre(kind !== PACK_NONE);
            const b = encodeNode(node('iq', { id: s }));
            if (s.length === 127) {
              assert.equal(b[4], kind === PACK_NIBBLE ? 0xff : 0xfb);
              assert.equal(b[5], 0x80 | 64);
              assert.equal(b.length, 6 + 64);
            } else {
              assert.equal(hexOf(b.subarray(4, 6)), 'FC 80');
            }
            assert.equal(decodeNode(b).attrs.id, s);
          },
        ),
        { numRuns: 200 },
      );
    }
  });

  it('tags and keys pack too when they fit (hex only: a name cannot start with a digit)', () => {
    assert.equal(hexOf(encodeNode(node('ABC'))), 'F8 01 FB 82 AB CF');
    assert.equal(decodeNode(bytes('F8 01 FB 82 AB CF')).tag, 'ABC');
  });

  it('the decoder refuses zero-length packed strings and bad pads', () => {
    expectWireError(() => decodeNode(bytes('F8 03 4A 44 FF 00')), 'bad_packed', 5);
    expectWireError(() => decodeNode(bytes('F8 03 4A 44 FB 80')), 'bad_packed', 5);
    expectWireError(() => decodeNode(bytes('F8 03 4A 44 FF 82 45 60')), 'bad_packed', 5);
  });
});
