/**
 * Property-based round trips over generated nodes: names from the dictionaries and random valid names;
 * values from every branch of the string encoding (tokens, digits, hex, JIDs, device JIDs, unicode, empty);
 * content absent, bytes or children, nested a few levels.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeNode } from './decoder.js';
import { Encoder, encodeNode } from './encoder.js';
import { nodesEqual } from './node.js';
import { arbNode, arbValue, hexOf, normalise } from './test-helpers.js';
import { fromXml, toXml } from './xml.js';

const RUNS = 1500;
const limits = { maxAttrs: 1000, maxChildren: 100_000 };

describe('round trips (fast-check)', () => {
  it('decode(encode(n)) equals n', () => {
    fc.assert(
      fc.property(arbNode(), (n) => {
        const back = decodeNode(encodeNode(n), { limits });
        assert.ok(nodesEqual(back, n));
        assert.deepStrictEqual(normalise(back), normalise(n));
      }),
      { numRuns: RUNS },
    );
  });

  it('every value string survives as an attribute value and as a JID user part', () => {
    fc.assert(
      fc.property(arbValue, arbValue, (v, w) => {
        const n = { tag: 'iq', attrs: { id: v, to: `${w}@s.us` } };
        assert.deepStrictEqual(decodeNode(encodeNode(n)).attrs, n.attrs);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('fromXml(toXml(n)) equals n', () => {
    fc.assert(
      fc.property(arbNode(), (n) => {
        const back = fromXml(toXml(n));
        assert.ok(nodesEqual(back, n), toXml(n));
        assert.deepStrictEqual(normalise(back), normalise(n));
      }),
      { numRuns: RUNS },
    );
  });

  it('toXml(fromXml(t)) === t for t = toXml(n)', () => {
    fc.assert(
      fc.property(arbNode(), (n) => {
        const t = toXml(n);
        assert.equal(toXml(fromXml(t)), t);
      }),
      { numRuns: RUNS },
    );
  });

  it('the pretty form parses back to the same node', () => {
    fc.assert(
      fc.property(arbNode(), (n) => {
        const pretty = toXml(n, { indent: '  ' });
        assert.deepStrictEqual(normalise(fromXml(pretty)), normalise(n));
        assert.equal(toXml(fromXml(pretty)), toXml(n));
      }),
      { numRuns: RUNS },
    );
  });

  it('XML and binary paths agree', () => {
    fc.assert(
      fc.property(arbNode(), (n) => {
        assert.equal(hexOf(encodeNode(fromXml(toXml(n)))), hexOf(encodeNode(n)));
        assert.equal(toXml(decodeNode(encodeNode(n), { limits })), toXml(n));
      }),
      { numRuns: RUNS },
    );
  });

  it('encode is deterministic and canonical: same bytes twice, from any Encoder, and after a decode', () => {
    const fresh = new Encoder(undefined, 1);
    fc.assert(
      fc.property(arbNode(), arbNode(), (n, other) => {
        const a = encodeNode(n);
        encodeNode(other); // the shared buffer is reused in between
        const b = encodeNode(n);
        assert.equal(hexOf(b), hexOf(a));
        assert.equal(hexOf(fresh.encode(n)), hexOf(a));
        assert.equal(hexOf(encodeNode(decodeNode(a, { limits }))), hexOf(a));
        assert.equal(hexOf(fresh.encodeWithPrefix(0x02, n).subarray(1)), hexOf(a));
      }),
      { numRuns: RUNS },
    );
  });

  it('decoding does not depend on the input buffer offset (views into a larger buffer)', () => {
    fc.assert(
      fc.property(arbNode(), fc.uint8Array({ maxLength: 8 }), (n, pad) => {
        const enc = encodeNode(n);
        const big = new Uint8Array(pad.length + enc.length + 3);
        big.set(pad);
        big.set(enc, pad.length);
        const view = big.subarray(pad.length, pad.length + enc.length);
        assert.deepStrictEqual(normalise(decodeNode(view, { limits })), normalise(n));
      }),
      { numRuns: 500 },
    );
  });
});
