/**
 * The node helpers the other tests lean on: nodesEqual must see every difference (or the round-trip
 * properties would pass vacuously), plus the small accessors and the hex/base64 helpers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromBase64, fromHex, toBase64, toHex } from './base64.js';
import { child, children, contentBytes, contentText, node, nodesEqual } from './node.js';

describe('nodesEqual', () => {
  const base = () => node('iq', { id: '1', type: 'get' }, [node('a', {}, 'x'), node('b', {}, [])]);

  it('equal structures are equal', () => {
    assert.ok(nodesEqual(base(), base()));
    assert.ok(nodesEqual(node('x'), node('x')));
    assert.ok(nodesEqual(node('x', {}, new Uint8Array(0)), node('x', {}, new Uint8Array(0))));
  });

  it('sees every kind of difference', () => {
    const b = base();
    const variants = [
      node('iq2', b.attrs, b.content as never),
      node('iq', { type: 'get', id: '1' }, b.content as never), // attribute order
      node('iq', { id: '1', type: 'set' }, b.content as never),
      node('iq', { id: '1', typ: 'get' }, b.content as never), // a renamed key, same value
      node('iq', { id: '1' }, b.content as never),
      node('iq', { id: '1', type: 'get', x: '' }, b.content as never),
      node('iq', b.attrs),
      node('iq', b.attrs, []),
      node('iq', b.attrs, new Uint8Array(0)),
      node('iq', b.attrs, [node('a', {}, 'y'), node('b', {}, [])]),
      node('iq', b.attrs, [node('a', {}, 'x'), node('b')]),
      node('iq', b.attrs, [node('a', {}, 'x'), node('b', {}, new Uint8Array(0))]),
      node('iq', b.attrs, [node('a', {}, 'x')]),
      node('iq', b.attrs, [node('a', {}, 'xx'), node('b', {}, [])]),
    ];
    for (const v of variants) {
      assert.ok(!nodesEqual(b, v), JSON.stringify(v));
      assert.ok(!nodesEqual(v, b), JSON.stringify(v));
    }
  });
});

describe('accessors', () => {
  it('node(), children, child, contentBytes, contentText', () => {
    const n = node('iq', {}, [node('a'), node('b', {}, 'héllo')]);
    assert.deepEqual(
      children(n).map((c) => c.tag),
      ['a', 'b'],
    );
    assert.equal(child(n, 'b')?.tag, 'b');
    assert.equal(child(n, 'z'), undefined);
    assert.equal(contentText(child(n, 'b')!), 'héllo');
    assert.deepEqual(Array.from(contentBytes(child(n, 'b')!)!), [0x68, 0xc3, 0xa9, 0x6c, 0x6c, 0x6f]);
    assert.equal(contentBytes(n), undefined);
    assert.deepEqual(children(node('x', {}, 'text')), []);
    assert.equal('content' in node('x'), false);
  });
});

describe('hex and base64 helpers', () => {
  it('round trip and refuse non-canonical input', () => {
    const b = Uint8Array.of(0, 1, 0xfe, 0xff);
    assert.equal(toHex(b), '0001feff');
    assert.equal(toHex(b, ' '), '00 01 fe ff');
    assert.deepEqual(Array.from(fromHex('00 01 FE\nff')!), [0, 1, 0xfe, 0xff]);
    assert.equal(fromHex('abc'), undefined);
    assert.equal(fromHex('zz'), undefined);
    assert.equal(toBase64(b), 'AAH+/w==');
    assert.deepEqual(Array.from(fromBase64('AAH+/w==')!), Array.from(b));
    assert.equal(fromBase64('AAH+/w='), undefined);
    assert.equal(fromBase64('AAH-_w=='), undefined);
    assert.equal(fromBase64('AB=='), undefined); // non-zero unused bits
    const big = Uint8Array.from({ length: 70_000 }, (_, i) => i & 0xff);
    assert.deepEqual(fromBase64(toBase64(big)), big);
  });
});
