/**
 * The XML text form (PROTOCOL.md §1): the conventions for content, escaping, the pretty form, exact
 * round-trips, and bad_xml errors with character offsets.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeNode } from './decoder.js';
import { encodeNode } from './encoder.js';
import { type Node, node, nodesEqual } from './node.js';
import { expectWireError, normalise } from './test-helpers.js';
import { B64_MARKER, EMPTY_CHILDREN_MARKER, fromXml, toXml } from './xml.js';

function roundTrips(n: Node, expected?: string): void {
  const text = toXml(n);
  if (expected !== undefined) assert.equal(text, expected);
  const back = fromXml(text);
  assert.ok(nodesEqual(back, n), text);
  assert.deepStrictEqual(normalise(back), normalise(n));
  assert.equal(toXml(back), text);
  const pretty = toXml(n, { indent: '  ' });
  assert.deepStrictEqual(normalise(fromXml(pretty)), normalise(n));
}

describe('XML form conventions', () => {
  it('the spec example', () => {
    const text =
      '<message to="15551230001@s.us" id="3A1F" type="text"><enc v="1" type="msg">hi</enc></message>';
    const n = fromXml(text);
    assert.equal(n.tag, 'message');
    assert.deepEqual(Object.keys(n.attrs), ['to', 'id', 'type']);
    assert.equal(toXml(n), text);
    roundTrips(n, text);
  });

  it('no content, empty bytes, empty child list are three different texts', () => {
    roundTrips(node('x'), '<x/>');
    roundTrips(node('x', {}, new Uint8Array(0)), '<x></x>');
    roundTrips(node('x', {}, []), `<x>${EMPTY_CHILDREN_MARKER}</x>`);
    assert.equal(EMPTY_CHILDREN_MARKER, '<!--children-->');
  });

  it('text bytes print as escaped text; other bytes as base64 after the marker', () => {
    roundTrips(node('body', {}, 'hello & <world>'), '<body>hello &amp; &lt;world&gt;</body>');
    roundTrips(node('body', {}, 'tab\there\nnew line'), '<body>tab\there\nnew line</body>');
    roundTrips(node('body', {}, 'cr\r\n'), '<body>cr&#13;\n</body>');
    roundTrips(node('body', {}, '   '), '<body>   </body>');
    roundTrips(node('body', {}, 'héllo 😀 "quoted"'), '<body>héllo 😀 "quoted"</body>');
    roundTrips(node('enc', {}, Uint8Array.of(0x33, 0x08, 0x44)), `<enc>${B64_MARKER}MwhE</enc>`);
    roundTrips(node('enc', {}, Uint8Array.of(0)), `<enc>${B64_MARKER}AA==</enc>`);
    roundTrips(node('enc', {}, Uint8Array.of(0xc3, 0x28)), `<enc>${B64_MARKER}wyg=</enc>`);
    roundTrips(node('enc', {}, Uint8Array.of(0x7f)), `<enc>${B64_MARKER}fw==</enc>`);
    assert.equal(B64_MARKER, '<!--b64-->');
  });

  it('a byte-order mark in text survives', () => {
    roundTrips(node('body', {}, '\ufeffx'));
    roundTrips(node('body', {}, Uint8Array.of(0xef, 0xbb, 0xbf)));
  });

  it('attribute escaping: quotes, markup, control characters', () => {
    roundTrips(node('a', { v: '"<&>\'' }), '<a v="&quot;&lt;&amp;&gt;\'"/>');
    roundTrips(node('a', { v: 'x\ty\nz\r' }), '<a v="x&#9;y&#10;z&#13;"/>');
    roundTrips(node('a', { v: '\u0000\u007f' }), '<a v="&#0;&#127;"/>');
    roundTrips(node('a', { v: '' }), '<a v=""/>');
  });

  it('attribute order is kept', () => {
    roundTrips(node('iq', { type: 'get', id: '1', xmlns: 'w:p' }), '<iq type="get" id="1" xmlns="w:p"/>');
    roundTrips(node('iq', { xmlns: 'w:p', id: '1', type: 'get' }), '<iq xmlns="w:p" id="1" type="get"/>');
  });

  it('input conveniences: single quotes, entities, whitespace around the root and in tags', () => {
    const n = fromXml(` \n<a  x='1"2' y="&apos;&#x41;&#66;"\n>  <b />\n</a >\n`);
    assert.deepStrictEqual(normalise(n), normalise(node('a', { x: '1"2', y: "'AB" }, [node('b')])));
  });

  it('names with non-XML whitespace characters (U+00A0, U+2028, U+3000, U+FEFF) survive', () => {
    for (const ch of ['\u00a0', '\u2028', '\u3000', '\ufeff', '\u1680']) {
      roundTrips(node(`a${ch}b`, { [`k${ch}`]: 'v', z: ch }, [node(`c${ch}`)]));
    }
  });

  it('the pretty form', () => {
    const n = node('iq', { id: '1' }, [node('a', {}, [node('b'), node('c', {}, 'text')]), node('d', {}, [])]);
    const pretty = toXml(n, { indent: '  ' });
    assert.equal(
      pretty,
      `<iq id="1">\n  <a>\n    <b/>\n    <c>text</c>\n  </a>\n  <d>${EMPTY_CHILDREN_MARKER}</d>\n</iq>`,
    );
    assert.deepStrictEqual(normalise(fromXml(pretty)), normalise(n));
  });

  it('maxBytes abbreviates base64 (lossy: logs only, not parseable back)', () => {
    const n = node(
      'enc',
      {},
      Uint8Array.from({ length: 100 }, (_, i) => i),
    );
    const text = toXml(n, { maxBytes: 4 });
    assert.equal(text, `<enc>${B64_MARKER}AAECAw==…(100 bytes)</enc>`);
    expectWireError(() => fromXml(text), 'bad_xml');
    assert.equal(toXml(n, { maxBytes: 100 }), toXml(n));
  });

  it('XML and binary agree', () => {
    const text =
      '<iq id="1" to="15551234567:3@s.us" type="set"><prekeys><key id="ABCDEF">hello</key><skey>' +
      `${B64_MARKER}AAEC</skey></prekeys></iq>`;
    const n = fromXml(text);
    assert.equal(toXml(decodeNode(encodeNode(n))), text);
  });
});

describe('bad XML', () => {
  const cases: [string, string, number][] = [
    ['', 'empty', 0],
    ['a', 'no element', 0],
    ['<a', 'unclosed start tag', 2],
    ['<a></b>', 'wrong close tag', 3],
    ['<a></a', 'unclosed end tag', 6],
    ['<a/><b/>', 'two roots', 4],
    ['<a/>x', 'text after the root', 4],
    ['<a x="1" x="2"/>', 'duplicate attribute', 9],
    ['<1a/>', 'integer-like tag', 1],
    ['<a 0="1"/>', 'integer-like key', 3],
    ['<a __proto__="1"/>', '__proto__ key', 3],
    ['<__proto__/>', '__proto__ tag', 1],
    ['<a x=1/>', 'unquoted value', 5],
    ['<a x/>', 'attribute without value', 4],
    ['<a x="1/>', 'unterminated value', 6],
    ['<a x="1"y="2"/>', 'no space between attributes', 8],
    ['<a x="<"/>', '"<" in a value', 6],
    ['<a>&foo;</a>', 'unknown entity', 3],
    ['<a>&#xD800;</a>', 'surrogate entity', 3],
    ['<a>&#x110000;</a>', 'entity past U+10FFFF', 3],
    ['<a x="&amp"/>', 'unterminated entity', 6],
    ['<a>text', 'missing close tag', 3],
    ['<a><b></a>', 'mismatched nesting', 6],
  ];
  for (const [text, what, offset] of cases) {
    it(`${what}: ${JSON.stringify(text)} at ${offset}`, () => {
      expectWireError(() => fromXml(text), 'bad_xml', offset);
    });
  }

  it('bad base64 after the marker', () => {
    for (const b64 of ['!!!!', 'AAE', 'AAF=', 'A===', 'AA==AA==', ' AA==']) {
      expectWireError(() => fromXml(`<a>${B64_MARKER}${b64}</a>`), 'bad_xml');
    }
    assert.deepEqual(Array.from(fromXml(`<a>${B64_MARKER}AAE=</a>`).content as Uint8Array), [0, 1]);
  });

  it('nesting deeper than 64 elements', () => {
    const deep = (d: number) => '<a>'.repeat(d - 1) + '<a/>' + '</a>'.repeat(d - 1);
    assert.ok(fromXml(deep(64)));
    expectWireError(() => fromXml(deep(65)), 'bad_xml', 3 * 64);
  });
});
