/**
 * The v1 dictionaries: the generated module must equal data/dictionary/*.tsv (the source of truth), carry the
 * seed's known tokens at their bytes, never hold a token twice, and the TSV parsers must reject bad lines.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Dictionary, parsePrimaryTsv, parseSecondaryTsv } from './dictionary.js';
import { defaultDictionary } from './encoder.js';
import { WireError } from './errors.js';
import { DICTIONARY_V1 } from './tables.generated.js';

const dataDir = new URL('../../data/dictionary/', import.meta.url);
const primaryText = readFileSync(new URL('primary-v1.tsv', dataDir), 'utf8');
const secondaryText = readFileSync(new URL('secondary-v1.tsv', dataDir), 'utf8');

describe('generated tables', () => {
  it('equal the parsed data files', () => {
    // Array.from turns the parser's holes into undefined, as the generated literal spells them.
    assert.deepStrictEqual(Array.from(DICTIONARY_V1.primary), Array.from(parsePrimaryTsv(primaryText)));
    assert.deepStrictEqual(
      DICTIONARY_V1.secondary.map((p) => Array.from(p)),
      parseSecondaryTsv(secondaryText).map((p) => Array.from(p)),
    );
    assert.equal(DICTIONARY_V1.version, 1);
  });

  it('every data row is in the generated tables (read independently of the parsers)', () => {
    let rows = 0;
    for (const line of primaryText.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      const [idx, tok] = line.split('\t');
      assert.equal(DICTIONARY_V1.primary[Number(idx)], tok, line);
      rows++;
    }
    assert.equal(DICTIONARY_V1.primary.filter((t) => t !== undefined).length, rows);
    rows = 0;
    for (const line of secondaryText.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      const [page, idx, tok] = line.split('\t');
      assert.equal(DICTIONARY_V1.secondary[Number(page)]?.[Number(idx)], tok, line);
      rows++;
    }
    assert.equal(DICTIONARY_V1.secondary.flat().filter((t) => t !== undefined).length, rows);
  });

  it('the primary table spans 0x03..0xEB and nothing else', () => {
    assert.equal(DICTIONARY_V1.primary[0], undefined);
    assert.equal(DICTIONARY_V1.primary[1], undefined);
    assert.equal(DICTIONARY_V1.primary[2], undefined);
    assert.ok(DICTIONARY_V1.primary.length <= 0xec);
    assert.ok(DICTIONARY_V1.secondary.length <= 4);
    assert.ok(DICTIONARY_V1.secondary.every((p) => p.length <= 256));
  });

  it('known tokens from the seed (PROTOCOL.md §1–2, the worked example)', () => {
    const known: [number, string][] = [
      [0x59, 'message'],
      [0xa5, 'to'],
      [0x91, 's.whatsapp.net'],
      [0x90, 's.us'],
      [0x3b, 'g.us'],
      [0xa7, 'type'],
      [0xa2, 'text'],
      [0x44, 'id'],
      [0xa1, 't'],
    ];
    for (const [b, tok] of known) {
      assert.equal(DICTIONARY_V1.primary[b], tok);
      assert.equal(defaultDictionary.code(tok), b);
    }
  });

  it('Parley tokens the seed lacks live in the secondary table', () => {
    for (const tok of ['pkmsg', 'skmsg', 'media_conn', 'prekeys']) {
      const code = defaultDictionary.code(tok);
      assert.ok(code !== undefined && code >= 0xec00 && code <= 0xefff, tok);
      assert.equal(DICTIONARY_V1.secondary[(code >> 8) - 0xec]?.[code & 0xff], tok);
    }
  });

  it('no token appears twice across both tables', () => {
    const all = [...DICTIONARY_V1.primary, ...DICTIONARY_V1.secondary.flat()].filter(
      (t): t is string => t !== undefined,
    );
    const seen = new Set<string>();
    for (const t of all) {
      assert.ok(!seen.has(t), `duplicate token "${t}"`);
      seen.add(t);
    }
    assert.equal(defaultDictionary.size, all.length);
    assert.ok(!seen.has(''), 'the empty string is FC 00, never a token');
  });

  it('a Dictionary refuses a token that appears twice', () => {
    assert.throws(
      () =>
        new Dictionary({ version: 7, primary: [undefined, undefined, undefined, 'x'], secondary: [['x']] }),
      /appears twice/,
    );
  });
});

describe('TSV parsers', () => {
  it('skip comments and blank lines, accept CRLF and upper-case hex', () => {
    const p = parsePrimaryTsv('# c\n\n0x03\taccount\r\n0xEB\tjpeg\n');
    assert.equal(p[0x03], 'account');
    assert.equal(p[0xeb], 'jpeg');
    assert.equal(p.filter((t) => t !== undefined).length, 2);
    const s = parseSecondaryTsv('# c\n1\t0xff\tz\n0\t0x00\ta\n');
    assert.equal(s.length, 2);
    assert.equal(s[0]![0], 'a');
    assert.equal(s[1]![255], 'z');
  });

  const badPrimary: [string, string][] = [
    ['0x03 account', 'no tab'],
    ['0x03\taccount\textra', 'three columns'],
    ['0x02\tx', 'index below 0x03'],
    ['0xec\tx', 'index above 0xEB'],
    ['3\tx', 'index without 0x'],
    ['0xZZ\tx', 'non-hex index'],
    ['0x003\tx', 'three hex digits'],
    ['0x03\t', 'empty token'],
    ['\tx', 'empty index'],
    ['0x03\ta\n0x03\tb', 'duplicate index'],
  ];
  for (const [text, why] of badPrimary) {
    it(`primary rejects: ${why}`, () => {
      assert.throws(() => parsePrimaryTsv(text), WireError);
    });
  }

  const badSecondary: [string, string][] = [
    ['0\t0x00', 'two columns'],
    ['0 0x00 a', 'spaces'],
    ['4\t0x00\ta', 'page 4'],
    ['-1\t0x00\ta', 'negative page'],
    ['x\t0x00\ta', 'non-numeric page'],
    ['0.5\t0x00\ta', 'fractional page'],
    ['0\t0x100\ta', 'index above 0xFF'],
    ['0\t00\ta', 'index without 0x'],
    ['0\t0x00\t', 'empty token'],
    ['0\t0x00\ta\n0\t0x00\tb', 'duplicate index'],
  ];
  for (const [text, why] of badSecondary) {
    it(`secondary rejects: ${why}`, () => {
      assert.throws(() => parseSecondaryTsv(text), WireError);
    });
  }

  it('names the failing line', () => {
    assert.throws(() => parsePrimaryTsv('# ok\n0x03\ta\nbad'), /line 3/);
  });
});
