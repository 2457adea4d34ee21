/**
 * Fuzzing with a seeded PRNG (failures print the seed and the input, so they reproduce): random byte strings
 * and mutations of valid encodings of a realistic corpus must either decode to a node that re-encodes and
 * decodes to an equal node, or throw a WireError naming an offset inside the input. Anything else — a
 * TypeError, a RangeError, a stack overflow, a hang — fails. The same for fromXml over mutated XML text.
 *
 * FUZZ_SEED=<n> reruns with another seed; FUZZ_SCALE=<k> multiplies the number of inputs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type DecodeLimits, decodeNode } from './decoder.js';
import { encodeNode } from './encoder.js';
import { WireError, type WireErrorCode } from './errors.js';
import { type Node, node, nodesEqual } from './node.js';
import { ALL_TOKENS, hexOf, prng } from './test-helpers.js';
import { fromXml, toXml } from './xml.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed1);
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const BINARY_INPUTS = Math.round(200_000 * SCALE);
const XML_INPUTS = Math.round(20_000 * SCALE);

const rand = prng(SEED);
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
const randomBytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));

/** Stanzas of the kinds PROTOCOL.md §4 lists, with every string form and content kind in them. */
function corpus(): Node[] {
  const r = prng(SEED ^ 0xc0ffee);
  const bytesOf = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
  const devices = Array.from({ length: 40 }, (_, i) => `1555000${1000 + i}:${i % 5}@s.us`);
  return [
    node('message', {
      to: '01234567890@s.whatsapp.net',
      type: 'text',
      id: 'message-1417651059-2',
      t: '1417651059',
    }),
    node('message', { id: '3A1F0B9C2D', to: '15551230001@s.us', type: 'text', t: '1717171717' }, [
      node('enc', { v: '2', type: 'pkmsg' }, bytesOf(180)),
      node('enc', { v: '2', type: 'msg' }, bytesOf(90)),
    ]),
    node('message', { id: 'ABCDEF0123456789', to: '120363025555555555@g.us', type: 'text' }, [
      node(
        'participants',
        {},
        devices
          .slice(0, 12)
          .map((jid) => node('to', { jid }, [node('enc', { v: '2', type: 'pkmsg' }, bytesOf(40))])),
      ),
      node('enc', { v: '2', type: 'skmsg' }, bytesOf(64)),
    ]),
    node('ack', { class: 'message', id: '3A1F0B9C2D', t: '1717171717' }),
    node('receipt', { from: '15551230002@s.us', id: '3A1F', type: 'read', t: '1717171718' }, [
      node('list', {}, [
        node('item', { id: 'AAA1' }),
        node('item', { id: 'AAA2' }),
        node('item', { id: 'aaa3' }),
      ]),
    ]),
    node(
      'receipt',
      { to: '15551230001:3@s.us', id: 'X', type: 'retry', participant: '15551230009:255@s.us' },
      [node('retry', { count: '1', id: 'X', t: '17' }), node('registration', {}, bytesOf(4))],
    ),
    node('iq', { id: 'ping-1', type: 'get', xmlns: 'w:p', to: 's.us' }, [node('ping')]),
    node('iq', { id: '42', type: 'result', from: 's.us' }),
    node('iq', { id: '43', type: 'set', xmlns: 'encrypt' }, [
      node('registration', {}, bytesOf(4)),
      node('identity', {}, bytesOf(32)),
      node(
        'list',
        {},
        Array.from({ length: 20 }, (_, i) =>
          node('key', {}, [node('id', {}, bytesOf(3)), node('value', {}, bytesOf(32 + i))]),
        ),
      ),
      node('skey', {}, [
        node('id', {}, bytesOf(3)),
        node('value', {}, bytesOf(32)),
        node('signature', {}, bytesOf(64)),
      ]),
    ]),
    node('iq', { id: '44', type: 'result' }, [
      node('media_conn', { auth: 'token-é-ü', ttl: '300' }, [
        node('host', { hostname: 'media.example.org' }),
      ]),
    ]),
    node('presence', { type: 'available', name: 'Zoë 😀' }),
    node('presence', { from: '15551230003@s.us', last: '1717170000' }),
    node('chatstate', { to: '15551230003@s.us' }, [node('composing')]),
    node('notification', { type: 'w:gp2', id: 'n1', from: '120363025555555555@g.us', t: '1717171719' }, [
      node(
        'add',
        { participant: devices[0]! },
        devices.slice(0, 30).map((jid) => node('participant', { jid })),
      ),
      node('subject', { subject: 'Weekend <plans> & "more"' }),
    ]),
    node('ib', {}, [node('offline', { count: '12' })]),
    node('success', { t: '1717171720', props: '27', creation: '1600000000', location: 'fra' }),
    node('failure', { reason: 'not-authorized' }),
    node('body', { lang: 'de' }, 'Grüße aus Köln\nzweite Zeile\t!'),
    node(
      'x',
      { empty: '', hex: 'ABCDEF0123', nib: '12.34-56', long: '9'.repeat(127), longer: '9'.repeat(200) },
      [],
    ),
    node('media', { mimetype: 'image/jpeg', file_length: '70000' }, bytesOf(300)),
    node('deep', {}, [
      node('a', {}, [
        node('b', {}, [node('c', {}, [node('d', { t: '1' }, [node('e', {}, new Uint8Array(0))])])]),
      ]),
    ]),
  ];
}

const CORPUS = corpus();
const ENCODED = CORPUS.map((n) => encodeNode(n));
const XML_TEXTS = [...CORPUS.map((n) => toXml(n)), ...CORPUS.map((n) => toXml(n, { indent: '  ' }))];

/** Tag bytes that steer the decoder into its branches. */
const INTERESTING = [
  0x00, 0x01, 0x02, 0x03, 0xeb, 0xec, 0xed, 0xef, 0xf0, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe,
  0xff, 0x7f, 0x80, 0x81,
];

function mutate(src: Uint8Array): Uint8Array {
  let b = src.slice();
  const rounds = 1 + int(3);
  for (let r = 0; r < rounds; r++) {
    const n = b.length;
    switch (int(9)) {
      case 0: {
        // bit flips
        if (n === 0) break;
        const flips = 1 + int(4);
        for (let i = 0; i < flips; i++) b[int(n)]! ^= 1 << int(8);
        break;
      }
      case 1:
        if (n > 0) b[int(n)] = int(256);
        break;
      case 2:
        if (n > 0) b[int(n)] = pick(INTERESTING);
        break;
      case 3: {
        // insert bytes
        const at = int(n + 1);
        const ins = int(4) === 0 ? Uint8Array.of(pick(INTERESTING)) : randomBytes(1 + int(4));
        const out = new Uint8Array(n + ins.length);
        out.set(b.subarray(0, at));
        out.set(ins, at);
        out.set(b.subarray(at), at + ins.length);
        b = out;
        break;
      }
      case 4: {
        // delete bytes
        if (n === 0) break;
        const at = int(n);
        const len = 1 + int(Math.min(4, n - at));
        b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + len)]);
        break;
      }
      case 5:
        b = b.slice(0, int(n + 1));
        break;
      case 6: {
        // splice: a prefix of this one and a suffix of another encoding
        const other = pick(ENCODED);
        const cut = int(n + 1);
        const from = int(other.length + 1);
        b = Uint8Array.from([...b.subarray(0, cut), ...other.subarray(from)]);
        break;
      }
      case 7: {
        // duplicate a range in place
        if (n === 0) break;
        const at = int(n);
        const len = 1 + int(Math.min(16, n - at));
        b = Uint8Array.from([
          ...b.subarray(0, at + len),
          ...b.subarray(at, at + len),
          ...b.subarray(at + len),
        ]);
        break;
      }
      default: {
        // change a length or size byte by a small amount
        if (n === 0) break;
        const at = int(n);
        b[at] = (b[at]! + pick([1, -1, 2, -2, 0x80, 0x10])) & 0xff;
      }
    }
  }
  return b;
}

function randomInput(): Uint8Array {
  const len = int(48);
  const b = randomBytes(len);
  // Most random strings die at the first byte; start half of them like a node does.
  if (len >= 3 && rand() < 0.5) {
    b[0] = pick([0xf8, 0xf9]);
    if (b[0] === 0xf8) b[1] = int(12);
    else b[1] = 0;
  }
  return b;
}

function randomLimits(): Partial<DecodeLimits> | undefined {
  if (rand() < 0.8) return undefined;
  return { maxDepth: 1 + int(4), maxAttrs: int(5), maxChildren: int(5) };
}

describe('fuzz', () => {
  it(`binary decoder: ${BINARY_INPUTS} random and mutated inputs (seed ${SEED})`, () => {
    const codes = new Map<WireErrorCode | 'ok', number>();
    const t0 = performance.now();
    for (let i = 0; i < BINARY_INPUTS; i++) {
      const input = i % 5 === 0 ? randomInput() : mutate(pick(ENCODED));
      const limits = randomLimits();
      const where = () => `seed ${SEED}, input #${i}: ${hexOf(input.subarray(0, 200))}`;
      let n: Node;
      try {
        n = decodeNode(input, limits ? { limits } : undefined);
      } catch (e) {
        if (!(e instanceof WireError)) {
          assert.fail(`${where()}\nthrew ${(e as Error)?.name}: ${(e as Error)?.message}`);
        }
        assert.ok(e.offset >= 0 && e.offset <= input.length, `${where()}\noffset ${e.offset}: ${e.message}`);
        codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
        continue;
      }
      codes.set('ok', (codes.get('ok') ?? 0) + 1);
      let again: Node;
      try {
        again = decodeNode(encodeNode(n), limits ? { limits } : undefined);
      } catch (e) {
        assert.fail(`${where()}\nre-encoding the decoded node failed: ${(e as Error)?.message}`);
      }
      assert.ok(nodesEqual(again, n), `${where()}\nre-encoded node differs`);
    }
    const ms = performance.now() - t0;
    // The fuzzer must actually reach deep: many inputs decode, and most error kinds occur.
    assert.ok((codes.get('ok') ?? 0) > BINARY_INPUTS / 50, `too few inputs decoded: ${[...codes]}`);
    for (const code of [
      'truncated',
      'length_past_end',
      'unknown_tag',
      'trailing_bytes',
      'bad_packed',
      'bad_utf8',
      'bad_node',
      'too_deep',
      'too_many_attrs',
      'too_many_children',
    ] as const) {
      assert.ok((codes.get(code) ?? 0) > 0, `no input produced ${code}: ${[...codes]}`);
    }
    console.log(`binary fuzz: ${BINARY_INPUTS} inputs in ${ms.toFixed(0)} ms`, Object.fromEntries(codes));
  });

  it(`XML parser: ${XML_INPUTS} mutated texts (seed ${SEED})`, () => {
    const alphabet = [
      '<',
      '>',
      '/',
      '"',
      "'",
      '=',
      '&',
      ';',
      '#',
      'x',
      ' ',
      '\n',
      '\t',
      '!',
      '-',
      'a',
      '0',
      'F',
      '\u00a0',
      '\ud83d',
      '\ude00',
      '<!--b64-->',
      '<!--children-->',
      '&amp;',
      '&#0;',
      '&#x10FFFF;',
      '</a>',
      '<a/>',
    ];
    const tokens = ALL_TOKENS.filter((t) => t.length < 12);
    let ok = 0;
    const t0 = performance.now();
    for (let i = 0; i < XML_INPUTS; i++) {
      let s = pick(XML_TEXTS);
      const rounds = 1 + int(3);
      for (let r = 0; r < rounds; r++) {
        const at = int(s.length + 1);
        switch (int(6)) {
          case 0:
            s = s.slice(0, at) + pick(alphabet) + s.slice(at + 1);
            break;
          case 1:
            s = s.slice(0, at) + pick(rand() < 0.5 ? alphabet : tokens) + s.slice(at);
            break;
          case 2:
            s = s.slice(0, at) + s.slice(at + 1 + int(5));
            break;
          case 3:
            s = s.slice(0, at);
            break;
          case 4: {
            const o = pick(XML_TEXTS);
            s = s.slice(0, at) + o.slice(int(o.length + 1));
            break;
          }
          default: {
            const len = int(20);
            s = s.slice(0, at + len) + s.slice(at, at + len) + s.slice(at + len);
          }
        }
      }
      const where = `seed ${SEED}, text #${i}: ${JSON.stringify(s.slice(0, 300))}`;
      let n: Node;
      try {
        n = fromXml(s);
      } catch (e) {
        if (!(e instanceof WireError) || e.code !== 'bad_xml') {
          assert.fail(`${where}\nthrew ${(e as Error)?.name}: ${(e as Error)?.message}`);
        }
        assert.ok(e.offset >= 0 && e.offset <= s.length, `${where}\noffset ${e.offset}`);
        continue;
      }
      ok++;
      const t = toXml(n);
      const back = fromXml(t);
      assert.ok(nodesEqual(back, n), `${where}\nre-printed node differs`);
      assert.equal(toXml(back), t, where);
      // What parses must also survive the binary codec, or be refused by the encoder with a WireError.
      let bin: Uint8Array | undefined;
      try {
        bin = encodeNode(n);
      } catch (e) {
        assert.ok(e instanceof WireError && e.code === 'invalid_node', `${where}\nencode threw ${e}`);
      }
      if (bin !== undefined) {
        const decoded = decodeNode(bin, { limits: { maxAttrs: 10_000, maxChildren: 100_000, maxDepth: 64 } });
        assert.ok(nodesEqual(decoded, n), `${where}\nbinary round trip differs`);
      }
    }
    const ms = performance.now() - t0;
    assert.ok(ok > XML_INPUTS / 20, `too few texts parsed: ${ok}`);
    console.log(`xml fuzz: ${XML_INPUTS} texts in ${ms.toFixed(0)} ms, ${ok} parsed`);
  });
});
