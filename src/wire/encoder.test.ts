/**
 * The binary encoding of PROTOCOL.md §2, byte by byte: the seed's worked example, then every tag byte of the
 * table in both directions, then the size boundaries where one form switches to another. Expected bytes are
 * written from the spec (tag bytes, packing rule, token numbers from data/dictionary), never captured from
 * the encoder's own output.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeNode } from './decoder.js';
import { Encoder, encodeNode } from './encoder.js';
import { WireError } from './errors.js';
import { type Node, node, nodesEqual } from './node.js';
import { DICTIONARY_V1 } from './tables.generated.js';
import { asciiHex, bytes, expectWireError, hexOf, normalise } from './test-helpers.js';
import { fromXml, toXml } from './xml.js';

/** Encodes, and checks the bytes decode back to the same node. */
function enc(n: Node): string {
  const b = encodeNode(n);
  const back = decodeNode(b, { limits: { maxAttrs: 1000, maxChildren: 100_000 } });
  assert.deepStrictEqual(normalise(back), normalise(n));
  return hexOf(b);
}

function dec(hex: string): Node {
  return decodeNode(bytes(hex));
}

/** `<iq id="…"/>`: F8 03, iq = 0x4A, id = 0x44, then the value's encoding. */
function idValue(value: string): string {
  return enc(node('iq', { id: value }));
}
const IQ_ID = 'F8 03 4A 44';

describe('worked example (PROTOCOL.md §2)', () => {
  const xml =
    '<message to="01234567890@s.whatsapp.net" type="text" id="message-1417651059-2" t="1417651059"/>';
  const wire = `F8 09 59 A5 FA FF 86 01 23 45 67 89 0F 91 A7 A2 44 FC 14 ${asciiHex('message-1417651059-2')} A1 FF 05 14 17 65 10 59`;

  it('XML → node → bytes, byte-exact', () => {
    assert.equal(hexOf(encodeNode(fromXml(xml))), wire);
  });

  it('bytes → node → XML, text-exact', () => {
    const n = decodeNode(bytes(wire));
    assert.equal(toXml(n), xml);
    assert.deepEqual(Object.keys(n.attrs), ['to', 'type', 'id', 't']);
    assert.equal(n.content, undefined);
  });

  it('the research-notes vector: attribute value "123" is FF 82 12 3F', () => {
    assert.equal(idValue('123'), `${IQ_ID} FF 82 12 3F`);
    assert.deepEqual(dec(`${IQ_ID} FF 82 12 3F`).attrs, { id: '123' });
  });

  it('a reused Encoder and encodeWithPrefix write the same bytes', () => {
    const e = new Encoder(undefined, 4);
    const n = fromXml(xml);
    assert.equal(hexOf(e.encode(n)), wire);
    assert.equal(hexOf(e.encode(n)), wire);
    assert.equal(hexOf(e.encodeWithPrefix(0x02, n)), `02 ${wire}`);
  });
});

describe('tag bytes', () => {
  it('0x00: an empty child list, both ways', () => {
    assert.equal(enc(node('iq', {}, [])), 'F8 02 4A 00');
    assert.deepEqual(normalise(dec('F8 02 4A 00')), normalise(node('iq', {}, [])));
  });

  it('0x00 as a null string decodes to "", and "" encodes as FC 00 (never 0x00)', () => {
    assert.deepEqual(dec(`${IQ_ID} 00`).attrs, { id: '' });
    assert.equal(idValue(''), `${IQ_ID} FC 00`);
    assert.deepEqual(dec(`${IQ_ID} FC 00`).attrs, { id: '' });
  });

  it('0x01/0x02 (stream start/end) are not strings', () => {
    expectWireError(() => dec('F8 01 01'), 'unknown_tag', 2);
    expectWireError(() => dec(`${IQ_ID} 02`), 'unknown_tag', 4);
  });

  it('primary tokens: first 0x03, last 0xEB, as tag and as value', () => {
    const first = DICTIONARY_V1.primary[0x03]!;
    const last = DICTIONARY_V1.primary[0xeb]!;
    assert.equal(first, 'account');
    assert.equal(last, 'jpeg');
    assert.equal(enc(node(first)), 'F8 01 03');
    assert.equal(enc(node(last)), 'F8 01 EB');
    assert.equal(dec('F8 01 03').tag, first);
    assert.equal(dec('F8 01 EB').tag, last);
    assert.equal(idValue(first), `${IQ_ID} 03`);
    assert.equal(idValue(last), `${IQ_ID} EB`);
  });

  it('every primary token is its one byte, both ways', () => {
    for (let b = 0x03; b <= 0xeb; b++) {
      const tok = DICTIONARY_V1.primary[b];
      if (tok === undefined) continue;
      const h = b.toString(16).padStart(2, '0').toUpperCase();
      assert.equal(idValue(tok), `${IQ_ID} ${h}`, tok);
      assert.equal(dec(`${IQ_ID} ${h}`).attrs.id, tok);
    }
  });

  it('secondary escapes: every token of every page, both ways; every empty slot is unknown_token', () => {
    const pages = DICTIONARY_V1.secondary;
    assert.ok(pages.length >= 1 && pages.length <= 4);
    let seen = 0;
    for (let p = 0; p < 4; p++) {
      for (let i = 0; i < 256; i++) {
        const esc = (0xec + p).toString(16).toUpperCase();
        const idx = i.toString(16).padStart(2, '0').toUpperCase();
        const tok = pages[p]?.[i];
        if (tok === undefined) {
          expectWireError(() => dec(`${IQ_ID} ${esc} ${idx}`), 'unknown_token', 4);
          continue;
        }
        seen++;
        assert.equal(idValue(tok), `${IQ_ID} ${esc} ${idx}`, tok);
        assert.equal(dec(`${IQ_ID} ${esc} ${idx}`).attrs.id, tok);
      }
    }
    assert.equal(seen, pages.flat().filter((t) => t !== undefined).length);
    // Spot checks straight from data/dictionary/secondary-v1.tsv.
    assert.equal(idValue('pkmsg'), `${IQ_ID} EC 00`);
    assert.equal(enc(node('enc', { v: '2', type: 'msg' })), 'F8 05 C6 EC 03 EC 04 A7 EC 01');
  });

  it('a secondary escape at the very end is truncated', () => {
    expectWireError(() => dec(`${IQ_ID} EC`), 'truncated', 5);
  });

  it('0xF7 device JID: user:device@s.us, device 0, 3 and 255', () => {
    const user = 'FF 86 15 55 12 34 56 7F'; // "15551234567" nibble-packed
    assert.equal(idValue('15551234567:3@s.us'), `${IQ_ID} F7 00 03 ${user}`);
    assert.equal(idValue('15551234567:0@s.us'), `${IQ_ID} F7 00 00 ${user}`);
    assert.equal(idValue('15551234567:255@s.us'), `${IQ_ID} F7 00 FF ${user}`);
    assert.equal(dec(`${IQ_ID} F7 00 03 ${user}`).attrs.id, '15551234567:3@s.us');
    assert.equal(dec(`${IQ_ID} F7 00 FF ${user}`).attrs.id, '15551234567:255@s.us');
    assert.equal(dec(`${IQ_ID} F7 00 00 ${user}`).attrs.id, '15551234567:0@s.us');
  });

  it('device JIDs that 0xF7 cannot carry fall back to a JID pair', () => {
    // device 256: user "15551234567:256" is not packable → raw, then s.us = 0x90.
    assert.equal(idValue('15551234567:256@s.us'), `${IQ_ID} FA FC 0F ${asciiHex('15551234567:256')} 90`);
    // A leading zero would not come back the same from one byte.
    assert.equal(idValue('1:03@s.us'), `${IQ_ID} FA FC 04 ${asciiHex('1:03')} 90`);
    // Only s.us has a domain byte; a device on g.us is a pair.
    assert.equal(idValue('1:3@g.us'), `${IQ_ID} FA FC 03 ${asciiHex('1:3')} 3B`);
  });

  it('0xF7 with an unknown domain byte is refused at that byte', () => {
    expectWireError(() => dec(`${IQ_ID} F7 01 03 FF 81 1F`), 'bad_node', 5);
  });

  it('0xFA JID pair: user string then server token', () => {
    assert.equal(idValue('15551230001@s.us'), `${IQ_ID} FA FF 86 15 55 12 30 00 1F 90`);
    assert.equal(idValue('123@g.us'), `${IQ_ID} FA FF 82 12 3F 3B`);
    assert.equal(
      idValue('alice@example.org'),
      `${IQ_ID} FA FC 05 ${asciiHex('alice')} FC 0B ${asciiHex('example.org')}`,
    );
    assert.equal(dec(`${IQ_ID} FA FF 86 15 55 12 30 00 1F 90`).attrs.id, '15551230001@s.us');
  });

  it('0xFA with 0x00 as user is the server alone', () => {
    assert.equal(dec(`${IQ_ID} FA 00 90`).attrs.id, 's.us');
    assert.equal(dec(`${IQ_ID} FA 00 FC 03 ${asciiHex('x.y')}`).attrs.id, 'x.y');
  });

  it('strings with "@" that are not user@server stay raw', () => {
    assert.equal(idValue('@s.us'), `${IQ_ID} FC 05 ${asciiHex('@s.us')}`);
    assert.equal(idValue('abc@'), `${IQ_ID} FC 04 ${asciiHex('abc@')}`);
    assert.equal(idValue('a@b@c'), `${IQ_ID} FC 05 ${asciiHex('a@b@c')}`);
  });

  it('0xFB hex: upper case packs, lower and mixed case do not', () => {
    assert.equal(idValue('ABCDEF0123'), `${IQ_ID} FB 05 AB CD EF 01 23`);
    assert.equal(idValue('ABC'), `${IQ_ID} FB 82 AB CF`);
    assert.equal(idValue('abcdef'), `${IQ_ID} FC 06 ${asciiHex('abcdef')}`);
    assert.equal(idValue('ABCdef'), `${IQ_ID} FC 06 ${asciiHex('ABCdef')}`);
    assert.equal(idValue('G1'), `${IQ_ID} FC 02 ${asciiHex('G1')}`);
    // Hex letters with nibble punctuation fit neither alphabet.
    assert.equal(idValue('A-1'), `${IQ_ID} FC 03 ${asciiHex('A-1')}`);
    assert.equal(dec(`${IQ_ID} FB 05 AB CD EF 01 23`).attrs.id, 'ABCDEF0123');
    assert.equal(dec(`${IQ_ID} FB 82 AB CF`).attrs.id, 'ABC');
  });

  it('0xFF nibble: digits, "-" and "."; nibble is preferred over hex', () => {
    assert.equal(idValue('1.5-2'), `${IQ_ID} FF 83 1B 5A 2F`);
    assert.equal(idValue('0123456789'), `${IQ_ID} FF 05 01 23 45 67 89`);
    assert.equal(dec(`${IQ_ID} FF 83 1B 5A 2F`).attrs.id, '1.5-2');
    assert.equal(dec(`${IQ_ID} FF 01 AB`).attrs.id, '-.');
  });

  it('0xFC/0xFD/0xFE bytes content', () => {
    assert.equal(enc(node('iq', {}, new Uint8Array([1, 2, 3]))), 'F8 02 4A FC 03 01 02 03');
    assert.equal(enc(node('iq', {}, new Uint8Array(0))), 'F8 02 4A FC 00');
    const n = dec('F8 02 4A FD 00 00 02 AA BB');
    assert.deepEqual(Array.from(n.content as Uint8Array), [0xaa, 0xbb]);
    const m = dec('F8 02 4A FE 00 00 00 02 CC DD');
    assert.deepEqual(Array.from(m.content as Uint8Array), [0xcc, 0xdd]);
  });

  it('text as 0xFD/0xFE strings decodes (non-minimal lengths are accepted)', () => {
    assert.equal(dec(`${IQ_ID} FD 00 00 02 ${asciiHex('hi')}`).attrs.id, 'hi');
    assert.equal(dec(`${IQ_ID} FE 00 00 00 02 ${asciiHex('hi')}`).attrs.id, 'hi');
  });

  it('raw UTF-8 strings', () => {
    assert.equal(idValue('héllo'), `${IQ_ID} FC 06 68 C3 A9 6C 6C 6F`);
    assert.equal(dec(`${IQ_ID} FC 06 68 C3 A9 6C 6C 6F`).attrs.id, 'héllo');
    assert.equal(idValue('😀'), `${IQ_ID} FC 04 F0 9F 98 80`);
  });

  it('content: bytes vs children vs none have distinct encodings', () => {
    const kid = node('ack');
    assert.equal(enc(node('iq')), 'F8 01 4A');
    assert.equal(enc(node('iq', {}, [kid])), 'F8 02 4A F8 01 F8 01 04');
    assert.equal(enc(node('iq', {}, [kid, kid])), 'F8 02 4A F8 02 F8 01 04 F8 01 04');
    assert.equal(enc(node('iq', {}, 'ack')), `F8 02 4A FC 03 ${asciiHex('ack')}`);
    assert.ok(Array.isArray(dec('F8 02 4A F8 01 F8 01 04').content));
    assert.ok(dec(`F8 02 4A FC 03 ${asciiHex('ack')}`).content instanceof Uint8Array);
  });

  it('legacy content written as a token or packed string decodes as its UTF-8 bytes', () => {
    assert.equal(new TextDecoder().decode(dec('F8 02 4A 04').content as Uint8Array), 'ack');
    assert.equal(new TextDecoder().decode(dec('F8 02 4A FF 82 12 3F').content as Uint8Array), '123');
  });

  it('attribute order is kept, both ways', () => {
    // type = 0xA7, get = 0x3C, id = 0x44, "1" = 0xC2
    assert.equal(enc(node('iq', { type: 'get', id: '1' })), 'F8 05 4A A7 3C 44 C2');
    assert.equal(enc(node('iq', { id: '1', type: 'get' })), 'F8 05 4A 44 C2 A7 3C');
    assert.deepEqual(Object.keys(dec('F8 05 4A 44 C2 A7 3C').attrs), ['id', 'type']);
    assert.deepEqual(Object.keys(dec('F8 05 4A A7 3C 44 C2').attrs), ['type', 'id']);
  });

  it('LIST_8 and LIST_16 both decode for node and child lists', () => {
    assert.equal(dec('F9 00 01 4A').tag, 'iq');
    const n = dec('F8 02 4A F9 00 01 F8 01 04');
    assert.ok(nodesEqual(n, node('iq', {}, [node('ack')])));
  });
});

describe('boundaries', () => {
  const nib = (n: number) => '7'.repeat(n); // '1', '2' and '3' are tokens; '7' is not
  const hexs = (n: number) => 'A'.repeat(n);
  /** Expected packed bytes for a run of one repeated character with nibble value v. */
  function packed(tag: string, n: number, v: number): string {
    const pairs = Math.floor(n / 2);
    const parts = [tag, (((n % 2) * 0x80) | Math.ceil(n / 2)).toString(16).toUpperCase().padStart(2, '0')];
    for (let i = 0; i < pairs; i++) parts.push(((v << 4) | v).toString(16).toUpperCase());
    if (n % 2 === 1) parts.push(((v << 4) | 0xf).toString(16).toUpperCase());
    return parts.join(' ');
  }

  for (const n of [1, 2, 126, 127]) {
    it(`${n}-character nibble and hex strings pack`, () => {
      assert.equal(idValue(nib(n)), `${IQ_ID} ${packed('FF', n, 7)}`);
      assert.equal(idValue(hexs(n)), `${IQ_ID} ${packed('FB', n, 0xa)}`);
    });
  }

  it('128-character nibble and hex strings are raw', () => {
    assert.equal(idValue(nib(128)), `${IQ_ID} FC 80 ${asciiHex(nib(128))}`);
    assert.equal(idValue(hexs(128)), `${IQ_ID} FC 80 ${asciiHex(hexs(128))}`);
  });

  it('a packed string longer than 127 characters still decodes (0x7F packed bytes = 254 characters)', () => {
    const body = Array(127).fill('77').join(' ');
    assert.equal(dec(`${IQ_ID} FF 7F ${body}`).attrs.id, nib(254));
  });

  it('bytes lengths 255 / 256 switch BINARY_8 → BINARY_20', () => {
    const a = encodeNode(node('iq', {}, new Uint8Array(255).fill(7)));
    assert.equal(hexOf(a.subarray(0, 5)), 'F8 02 4A FC FF');
    assert.equal(a.length, 5 + 255);
    const b = encodeNode(node('iq', {}, new Uint8Array(256).fill(7)));
    assert.equal(hexOf(b.subarray(0, 7)), 'F8 02 4A FD 00 01 00');
    assert.equal(b.length, 7 + 256);
    assert.equal((decodeNode(a).content as Uint8Array).length, 255);
    assert.equal((decodeNode(b).content as Uint8Array).length, 256);
  });

  it('bytes lengths 2^20−1 / 2^20 switch BINARY_20 → BINARY_32', () => {
    const a = encodeNode(node('iq', {}, new Uint8Array(0xfffff).fill(9)));
    assert.equal(hexOf(a.subarray(0, 7)), 'F8 02 4A FD 0F FF FF');
    assert.equal(a.length, 7 + 0xfffff);
    const b = encodeNode(node('iq', {}, new Uint8Array(0x100000).fill(9)));
    assert.equal(hexOf(b.subarray(0, 8)), 'F8 02 4A FE 00 10 00 00');
    assert.equal(b.length, 8 + 0x100000);
    for (const x of [a, b]) {
      const back = decodeNode(x).content as Uint8Array;
      assert.equal(back.length, x.length - (x === a ? 7 : 8));
      assert.ok(back.every((v) => v === 9));
    }
  });

  it('string lengths switch forms at the same points', () => {
    const s255 = 'x'.repeat(255);
    const s256 = 'x'.repeat(256);
    const big = 'y'.repeat(0x100000);
    assert.ok(idValue(s255).startsWith(`${IQ_ID} FC FF 78`));
    assert.ok(idValue(s256).startsWith(`${IQ_ID} FD 00 01 00 78`));
    const b = encodeNode(node('iq', { id: big }));
    assert.equal(hexOf(b.subarray(0, 9)), `${IQ_ID} FE 00 10 00 00`);
    assert.equal(decodeNode(b).attrs.id, big);
  });

  it('255 children is LIST_8, 256 is LIST_16', () => {
    const kids = (n: number) => Array.from({ length: n }, () => node('ack'));
    assert.ok(enc(node('iq', {}, kids(255))).startsWith('F8 02 4A F8 FF F8 01 04'));
    assert.ok(enc(node('iq', {}, kids(256))).startsWith('F8 02 4A F9 01 00 F8 01 04'));
  });

  it('127 attributes is list size 255 (LIST_8); 128 is 257 (LIST_16); with content 256', () => {
    const attrs = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
    assert.ok(enc(node('iq', attrs(127))).startsWith('F8 FF 4A'));
    assert.ok(enc(node('iq', attrs(128))).startsWith('F9 01 01 4A'));
    assert.ok(enc(node('iq', attrs(127), [])).startsWith('F9 01 00 4A'));
    // The default attribute limit (64) refuses them.
    expectWireError(() => decodeNode(encodeNode(node('iq', attrs(65)))), 'too_many_attrs', 0);
    assert.equal(Object.keys(decodeNode(encodeNode(node('iq', attrs(64)))).attrs).length, 64);
  });
});

describe('the encoder refuses nodes nobody could decode', () => {
  it('invalid tags and keys', () => {
    expectWireError(() => encodeNode(node('')), 'invalid_node', -1);
    expectWireError(() => encodeNode(node('1abc')), 'invalid_node');
    expectWireError(() => encodeNode(node('a b')), 'invalid_node');
    expectWireError(() => encodeNode(node('iq', { '0': 'x' })), 'invalid_node');
    expectWireError(() => encodeNode(node('iq', { 'a<b': 'x' })), 'invalid_node');
    const proto = JSON.parse('{"__proto__":"x"}') as Record<string, string>;
    assert.deepEqual(Object.keys(proto), ['__proto__']);
    expectWireError(() => encodeNode(node('iq', proto)), 'invalid_node');
  });

  it('unpaired surrogates, non-string values, bad content', () => {
    expectWireError(() => encodeNode(node('iq', { id: 'a\ud800' })), 'invalid_node');
    expectWireError(() => encodeNode(node('iq', { id: 'é\udc00' })), 'invalid_node');
    expectWireError(() => encodeNode(node('iq', { id: 5 as unknown as string })), 'invalid_node');
    expectWireError(
      () => encodeNode({ tag: 'iq', attrs: {}, content: 'text' as unknown as Uint8Array }),
      'invalid_node',
    );
    expectWireError(() => encodeNode(null as unknown as Node), 'invalid_node');
  });

  it('nesting deeper than 64', () => {
    let n = node('iq');
    for (let i = 1; i < 64; i++) n = node('iq', {}, [n]);
    assert.ok(encodeNode(n).length > 0);
    const e = expectWireError(() => encodeNode(node('iq', {}, [n])), 'invalid_node');
    assert.ok(e instanceof WireError);
  });

  it('a failed encode leaves the shared encoder usable', () => {
    assert.throws(() => encodeNode(node('iq', { id: '\ud800' })), WireError);
    assert.equal(hexOf(encodeNode(node('iq'))), 'F8 01 4A');
  });
});
