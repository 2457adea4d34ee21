/**
 * Malformed input (PROTOCOL.md §2: "a decoder must reject, with a typed error that names the offset"): each
 * case must throw a WireError with the right code, and for the simple cases the exact byte offset.
 * Offsets are counted by hand from the bytes written in each case.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type DecodeOptions, decodeNode } from './decoder.js';
import { Dictionary } from './dictionary.js';
import { encodeNode } from './encoder.js';
import { WireError } from './errors.js';
import { type Node, node } from './node.js';
import { asciiHex, bytes, concat, expectWireError } from './test-helpers.js';

function dec(hex: string, options?: DecodeOptions): Node {
  return decodeNode(bytes(hex), options);
}
const IQ_ID = 'F8 03 4A 44'; // <iq id=…>: the value starts at offset 4

/** A chain of `depth` nested <iq> nodes: each level is F8 02 4A F8 01 (5 bytes), the innermost F8 01 4A. */
function chain(depth: number): Node {
  let n = node('iq');
  for (let i = 1; i < depth; i++) n = node('iq', {}, [n]);
  return n;
}

describe('truncated input', () => {
  const samples: Node[] = [
    node('message', {
      to: '01234567890@s.whatsapp.net',
      type: 'text',
      id: 'message-1417651059-2',
      t: '1417651059',
    }),
    node('iq', { id: '15551234567:3@s.us', type: 'ABCDEF' }, [
      node('ping'),
      node('enc', { v: '2' }, 'hello'),
    ]),
    node('receipt', { from: '123@g.us', participant: '15550001:255@s.us' }, [
      node('list', {}, [node('item', { id: 'x'.repeat(300) }), node('item', { id: '' })]),
    ]),
    node('media', {}, new Uint8Array(300).fill(0xab)),
    node('x', {}, []),
  ];

  it('every proper prefix of several valid encodings fails with truncated or length_past_end', () => {
    let count = 0;
    for (const n of samples) {
      const full = encodeNode(n);
      for (let len = 0; len < full.length; len++) {
        const prefix = full.slice(0, len);
        let err: unknown;
        try {
          decodeNode(prefix);
        } catch (x) {
          err = x;
        }
        assert.ok(err instanceof WireError);
        assert.ok(err.code === 'truncated' || err.code === 'length_past_end', `${len}: ${err.code}`);
        assert.ok(err.offset >= 0 && err.offset <= len, `${len}: offset ${err.offset}`);
        count++;
      }
    }
    assert.ok(count > 700);
  });

  it('offsets of simple truncations', () => {
    expectWireError(() => dec(''), 'truncated', 0);
    expectWireError(() => dec('F8'), 'truncated', 1);
    expectWireError(() => dec('F9 00'), 'truncated', 2);
    expectWireError(() => dec('F8 01'), 'length_past_end', 2);
    expectWireError(() => dec(IQ_ID), 'length_past_end', 2);
    expectWireError(() => dec(`${IQ_ID} FC 05 61`), 'length_past_end', 6);
    expectWireError(() => dec(`${IQ_ID} FC`), 'truncated', 5);
    expectWireError(() => dec('F8 02 4A FD 00 01'), 'truncated', 6);
    expectWireError(() => dec('F8 02 4A FE 00 00 00'), 'truncated', 7);
    expectWireError(() => dec(`${IQ_ID} FF 83 1B`), 'length_past_end', 6);
    expectWireError(() => dec(`${IQ_ID} FF`), 'truncated', 5);
    expectWireError(() => dec(`${IQ_ID} FA FF 81 1F`), 'truncated', 8);
    expectWireError(() => dec(`${IQ_ID} F7 00`), 'truncated', 6);
    expectWireError(() => dec(`${IQ_ID} F7`), 'truncated', 5);
  });
});

describe('sizes and lengths past the end', () => {
  it('node size larger than the rest of the input', () => {
    expectWireError(() => dec('F8 05 4A 44 C2'), 'length_past_end', 2);
    expectWireError(() => dec('F9 01 00 4A 44 C2', { limits: { maxAttrs: 200 } }), 'length_past_end', 3);
  });

  it('child count larger than the rest of the input', () => {
    expectWireError(() => dec('F8 02 4A F8 05 F8 01 04'), 'length_past_end', 5);
    // Two children cannot fit in 3 bytes (a node is at least 3): refused before reading the first.
    expectWireError(() => dec('F8 02 4A F8 02 F8 01 04'), 'length_past_end', 5);
  });

  it('bytes length larger than the rest of the input', () => {
    expectWireError(() => dec('F8 02 4A FC 04 01 02 03'), 'length_past_end', 5);
    expectWireError(() => dec('F8 02 4A FD 00 01 00 01 02'), 'length_past_end', 7);
    expectWireError(() => dec('F8 02 4A FE FF FF FF FF 00'), 'length_past_end', 8);
  });

  it('a list header claiming 65535 children over a few bytes fails fast', () => {
    const limits = { maxChildren: 65535, maxAttrs: 65535 };
    const t0 = performance.now();
    expectWireError(() => dec('F8 02 4A F9 FF FF F8 01 4A', { limits }), 'length_past_end', 6);
    // The same as a node's own size (32767 attributes).
    expectWireError(() => dec('F9 FF FF 4A 44 C2', { limits }), 'length_past_end', 3);
    // A 4 GiB bytes length.
    expectWireError(() => dec('F8 02 4A FE FF FF FF FF', { limits }), 'length_past_end', 8);
    assert.ok(performance.now() - t0 < 50, 'took too long: the decoder must check sizes before reading');
    // With the default limits the child count is refused even sooner.
    expectWireError(() => dec('F8 02 4A F9 FF FF F8 01 4A'), 'too_many_children', 3);
  });
});

describe('unknown tags', () => {
  const unknown = [0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0x01, 0x02];
  for (const b of unknown) {
    const h = b.toString(16).padStart(2, '0').toUpperCase();
    it(`0x${h} where a string is expected (tag, key, value, JID user, JID server, content)`, () => {
      expectWireError(() => dec(`F8 01 ${h}`), 'unknown_tag', 2);
      expectWireError(() => dec(`F8 03 4A ${h} C2`), 'unknown_tag', 3);
      expectWireError(() => dec(`${IQ_ID} ${h}`), 'unknown_tag', 4);
      expectWireError(() => dec(`${IQ_ID} FA ${h} 90`), 'unknown_tag', 5);
      expectWireError(() => dec(`${IQ_ID} FA FF 81 1F ${h}`), 'unknown_tag', 8);
      expectWireError(() => dec(`${IQ_ID} F7 00 01 ${h}`), 'unknown_tag', 7);
      expectWireError(() => dec(`F8 02 4A ${h}`), 'unknown_tag', 3);
    });
  }

  it('anything but a list where a node is expected', () => {
    for (const h of ['F0', 'F6', '4A', 'FA', 'FC', 'FF', '01']) {
      expectWireError(() => dec(`${h} 01 4A`), 'unknown_tag', 0);
      expectWireError(() => dec(`F8 02 4A F8 01 ${h} 01 4A`), 'unknown_tag', 5);
    }
  });

  it('an empty list where a node is expected', () => {
    expectWireError(() => dec('00'), 'bad_node', 0);
    expectWireError(() => dec('F8 00'), 'bad_node', 0);
    expectWireError(() => dec('F8 02 4A F8 01 00 00 00'), 'bad_node', 5);
    expectWireError(() => dec('F8 02 4A F8 01 F8 00 00'), 'bad_node', 5);
  });
});

describe('unknown tokens', () => {
  // A dictionary with holes: only 0x03 in the primary table, only index 0 of page 0.
  const sparse = new Dictionary({
    version: 99,
    primary: [undefined, undefined, undefined, 'a'],
    secondary: [['b']],
  });

  it('primary holes', () => {
    assert.equal(dec('F8 01 03', { dictionary: sparse }).tag, 'a');
    expectWireError(() => dec('F8 01 04', { dictionary: sparse }), 'unknown_token', 2);
    expectWireError(() => dec('F8 01 EB', { dictionary: sparse }), 'unknown_token', 2);
    expectWireError(() => dec('F8 03 03 03 59', { dictionary: sparse }), 'unknown_token', 4);
  });

  it('secondary holes and missing pages', () => {
    assert.equal(dec('F8 01 EC 00', { dictionary: sparse }).tag, 'b');
    expectWireError(() => dec('F8 01 EC 01', { dictionary: sparse }), 'unknown_token', 2);
    expectWireError(() => dec('F8 01 ED 00', { dictionary: sparse }), 'unknown_token', 2);
    expectWireError(() => dec('F8 01 EF FF', { dictionary: sparse }), 'unknown_token', 2);
  });

  it('v1: an unused secondary index and the unused pages', () => {
    expectWireError(() => dec(`${IQ_ID} EC FF`), 'unknown_token', 4);
    expectWireError(() => dec(`${IQ_ID} EF 00`), 'unknown_token', 4);
  });
});

describe('limits', () => {
  it('nesting deeper than the default limit (32)', () => {
    assert.ok(decodeNode(encodeNode(chain(32))));
    expectWireError(() => decodeNode(encodeNode(chain(33))), 'too_deep', 5 * 32);
  });

  it('nesting deeper than a limit passed in options', () => {
    const limits = { maxDepth: 3 };
    assert.ok(decodeNode(encodeNode(chain(3)), { limits }));
    expectWireError(() => decodeNode(encodeNode(chain(4)), { limits }), 'too_deep', 15);
    expectWireError(() => decodeNode(encodeNode(chain(2)), { limits: { maxDepth: 1 } }), 'too_deep', 5);
    // A limit above the default works too.
    assert.ok(decodeNode(encodeNode(chain(40)), { limits: { maxDepth: 40 } }));
  });

  it('a limit passed as undefined keeps its default instead of lifting it', () => {
    // e.g. limits built from an optional config field: { maxDepth: config.maxDepth }
    const limits = { maxDepth: undefined, maxAttrs: undefined, maxChildren: undefined };
    expectWireError(() => decodeNode(encodeNode(chain(33)), { limits }), 'too_deep', 5 * 32);
    const many = node('iq', Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v'])));
    expectWireError(() => decodeNode(encodeNode(many), { limits }), 'too_many_attrs', 0);
    // Without a depth limit, deep input would overflow the stack instead of throwing a WireError.
    const deep = new Uint8Array(5 * 200_000 + 3);
    for (let i = 0; i < 200_000; i++) deep.set([0xf8, 0x02, 0x4a, 0xf8, 0x01], 5 * i);
    deep.set([0xf8, 0x01, 0x4a], 5 * 200_000);
    expectWireError(() => decodeNode(deep, { limits }), 'too_deep', 5 * 32);
  });

  it('more attributes than the limit', () => {
    const three = node('iq', { a: '1', b: '2', c: '3' });
    assert.ok(decodeNode(encodeNode(three), { limits: { maxAttrs: 3 } }));
    expectWireError(() => decodeNode(encodeNode(three), { limits: { maxAttrs: 2 } }), 'too_many_attrs', 0);
    // In a child: the offset is the child's list header (F8 02 4A F8 01 → offset 5).
    const nested = node('iq', {}, [three]);
    expectWireError(() => decodeNode(encodeNode(nested), { limits: { maxAttrs: 2 } }), 'too_many_attrs', 5);
    const many = node('iq', Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v'])));
    expectWireError(() => decodeNode(encodeNode(many)), 'too_many_attrs', 0);
  });

  it('more children than the limit', () => {
    const kids = (n: number) =>
      node(
        'iq',
        {},
        Array.from({ length: n }, () => node('ack')),
      );
    assert.ok(decodeNode(encodeNode(kids(2)), { limits: { maxChildren: 2 } }));
    expectWireError(
      () => decodeNode(encodeNode(kids(3)), { limits: { maxChildren: 2 } }),
      'too_many_children',
      3,
    );
    assert.ok(decodeNode(encodeNode(kids(16384))));
    expectWireError(() => decodeNode(encodeNode(kids(16385))), 'too_many_children', 3);
  });
});

describe('other malformed input', () => {
  it('trailing bytes', () => {
    expectWireError(() => dec('F8 01 4A 00'), 'trailing_bytes', 3);
    const one = encodeNode(node('iq', { id: 'x' }));
    expectWireError(() => decodeNode(concat(one, one)), 'trailing_bytes', one.length);
  });

  it('bad packed data: invalid nibble, bad pad, zero length', () => {
    expectWireError(() => dec(`${IQ_ID} FF 81 CF`), 'bad_packed', 5); // 0xC is not a nibble character
    expectWireError(() => dec(`${IQ_ID} FF 01 1C`), 'bad_packed', 5);
    expectWireError(() => dec(`${IQ_ID} FF 01 1F`), 'bad_packed', 5); // 0xF only as the odd pad
    expectWireError(() => dec(`${IQ_ID} FF 02 EE 11`), 'bad_packed', 5);
    expectWireError(() => dec(`${IQ_ID} FF 81 12`), 'bad_packed', 5); // odd, but the pad is not 0xF
    expectWireError(() => dec(`${IQ_ID} FB 81 AB`), 'bad_packed', 5);
    expectWireError(() => dec(`${IQ_ID} FF 00`), 'bad_packed', 5);
    expectWireError(() => dec(`${IQ_ID} FF 80`), 'bad_packed', 5);
    expectWireError(() => dec(`${IQ_ID} FB 00`), 'bad_packed', 5);
    expectWireError(() => dec('F8 02 4A FF 00'), 'bad_packed', 4);
  });

  it('invalid UTF-8 in text', () => {
    for (const bad of ['C3 28', 'C0 80', 'ED A0 80', 'E2 82', 'FF', 'F4 90 80 80', '80']) {
      const n = bad.split(' ').length;
      const len = n.toString(16).padStart(2, '0');
      expectWireError(() => dec(`${IQ_ID} FC ${len} ${bad}`), 'bad_utf8', 4);
      expectWireError(() => dec(`F8 01 FC ${len} ${bad}`), 'bad_utf8', 2);
    }
    // Past the short-string fast path too.
    const long = `${asciiHex('a'.repeat(70))} FF`;
    expectWireError(() => dec(`${IQ_ID} FC 47 ${long}`), 'bad_utf8', 4);
    // Bytes content is not text: any bytes are fine there.
    assert.deepEqual(Array.from(dec('F8 02 4A FC 02 C3 28').content as Uint8Array), [0xc3, 0x28]);
  });

  it('a byte-order mark in text is kept, not stripped', () => {
    assert.equal(dec(`${IQ_ID} FC 04 EF BB BF 61`).attrs.id, '\ufeffa');
    const long = `EF BB BF ${asciiHex('b'.repeat(70))}`;
    assert.equal(dec(`${IQ_ID} FC 49 ${long}`).attrs.id, `\ufeff${'b'.repeat(70)}`);
  });

  it('duplicate attribute keys', () => {
    expectWireError(() => dec(`F8 05 4A 44 FC 01 61 44 FC 01 62`), 'bad_node', 7);
    // The same key spelled as a token and as raw text.
    expectWireError(() => dec(`F8 05 4A 44 C2 FC 02 ${asciiHex('id')} C2`), 'bad_node', 5);
  });

  it('invalid names: integer-like keys, __proto__, empty, markup', () => {
    expectWireError(() => dec('F8 03 4A C2 C2'), 'bad_node', 3); // key "1" (a token)
    expectWireError(() => dec(`F8 03 4A FC 01 ${asciiHex('0')} C2`), 'bad_node', 3);
    expectWireError(() => dec(`F8 03 4A FF 82 12 3F C2`), 'bad_node', 3); // key "123" (packed)
    expectWireError(() => dec(`F8 03 4A FC 09 ${asciiHex('__proto__')} C2`), 'bad_node', 3);
    expectWireError(() => dec('F8 01 FC 00'), 'bad_node', 2);
    expectWireError(() => dec('F8 01 00'), 'bad_node', 2);
    expectWireError(() => dec(`F8 01 FC 03 ${asciiHex('a b')}`), 'bad_node', 2);
    expectWireError(() => dec(`F8 01 FC 03 ${asciiHex('<a>')}`), 'bad_node', 2);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('a JID nested inside a JID', () => {
    expectWireError(() => dec(`${IQ_ID} FA FA 00 90 90`), 'bad_node', 5);
    expectWireError(() => dec(`${IQ_ID} FA F7 00 01 FF 81 1F 90`), 'bad_node', 5);
    expectWireError(() => dec(`${IQ_ID} FA 00 FA 00 90`), 'bad_node', 6);
    expectWireError(() => dec(`${IQ_ID} F7 00 01 FA 00 90`), 'bad_node', 7);
    expectWireError(() => dec(`${IQ_ID} F7 00 01 F7 00 01 C2`), 'bad_node', 7);
  });

  it('BINARY_20 with the high bits of its 24-bit length set', () => {
    expectWireError(() => dec('F8 02 4A FD 10 00 01 AA'), 'bad_node', 4);
    expectWireError(() => dec(`${IQ_ID} FD F0 00 00`), 'bad_node', 5);
  });

  it('errors name their offset in the message', () => {
    const e = expectWireError(() => dec('F8 01 F0'), 'unknown_tag', 2);
    assert.match(e.message, /at offset 2$/);
    assert.equal(e.name, 'WireError');
  });
});
