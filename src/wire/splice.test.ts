import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeNode } from './decoder.js';
import { encodeNode } from './encoder.js';
import type { Attrs, Node } from './node.js';
import { withAttribute } from './splice.js';
import { arbNode, arbValue, expectWireError, hexOf } from './test-helpers.js';

const plus = (n: Node, key: string, value: string): Node => ({ ...n, attrs: { ...n.attrs, [key]: value } });

describe('withAttribute', () => {
  it('gives exactly the encoding of the node with the attribute added last (fast-check)', () => {
    fc.assert(
      fc.property(arbNode(), arbValue, (n, v) => {
        if ('offline' in n.attrs || Object.keys(n.attrs).length > 200) return;
        const spliced = withAttribute(encodeNode(n), 'offline', v);
        assert.equal(hexOf(spliced), hexOf(encodeNode(plus(n, 'offline', v))));
      }),
      { numRuns: 1500 },
    );
  });

  it('keeps bytes content and children after the new attribute', () => {
    const withBytes: Node = { tag: 'message', attrs: { id: 'A1', t: '5' }, content: Uint8Array.of(1, 2, 3) };
    const withKids: Node = { tag: 'ib', attrs: {}, content: [{ tag: 'offline', attrs: { count: '3' } }] };
    for (const n of [withBytes, withKids]) {
      assert.deepEqual(decodeNode(withAttribute(encodeNode(n), 'offline', '1')), plus(n, 'offline', '1'));
    }
  });

  it('switches from LIST_8 to LIST_16 when the size passes 255', () => {
    const attrs: Attrs = {};
    for (let i = 0; i < 127; i++) attrs[`a${i}`] = String(i); // size 1 + 254 = 255: LIST_8
    const n: Node = { tag: 'x', attrs };
    const before = encodeNode(n);
    assert.equal(before[0], 0xf8);
    const after = withAttribute(before, 'offline', '1');
    assert.equal(after[0], 0xf9);
    assert.equal(hexOf(after), hexOf(encodeNode(plus(n, 'offline', '1'))));
  });

  it('refuses a key the node has, and malformed input, with a WireError', () => {
    const n = encodeNode({ tag: 'message', attrs: { offline: '1' } });
    expectWireError(() => withAttribute(n, 'offline', '1'), 'bad_node');
    expectWireError(() => withAttribute(Uint8Array.of(0xf8), 'offline', '1'), 'truncated');
    expectWireError(() => withAttribute(Uint8Array.of(0xf8, 0x03, 0x59), 'offline', '1'), 'length_past_end');
  });
});
