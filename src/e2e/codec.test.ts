/** The byte-level pieces: the proto2 codec, message framing checks, base64/hex, key encodings. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fromBase64, fromHex, toBase64, toHex } from './bytes.js';
import { nobleCrypto } from './crypto-noble.js';
import { nodeCrypto } from './crypto-node.js';
import { isE2EError } from './errors.js';
import { generateKeyPair, keyPairFromPrivate, rawPublicKey, serializePublicKey } from './keys.js';
import { encodeSignalMessage, parsePreKeySignalMessage, parseSignalMessage } from './messages.js';
import { decodeFields, encodeFields, getBytes, getUint32 } from './protobuf.js';

const invalid = (e: unknown) => isE2EError(e, 'invalid_message');

describe('proto2 codec', () => {
  it('round-trips uint32 and bytes fields', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), fc.uint8Array({ maxLength: 300 }), (n, b) => {
        const f = decodeFields(
          encodeFields([
            [2, n],
            [4, b],
          ]),
          { 2: 'uint32', 4: 'bytes' },
        );
        assert.equal(getUint32(f, 2), n);
        assert.deepEqual(getBytes(f, 4), b);
      }),
    );
  });

  it('matches a prost-encoded SignalMessage byte for byte (field order 1..4)', () => {
    const key = new Uint8Array(33).fill(5);
    const body = encodeFields([
      [1, key],
      [2, 300],
      [3, 0],
      [4, new Uint8Array([9, 9])],
    ]);
    assert.equal(toHex(body), `0a21${'05'.repeat(33)}10ac02180022020909`);
  });

  it('skips unknown fields of every wire type, keeps the last of repeated fields', () => {
    const bytes = fromHex('0801' + '1102030405060708' + '0a' + '1d01020304' + '2a0100' + '0802' + '3a0178');
    const f = decodeFields(bytes, { 1: 'uint32', 7: 'bytes' });
    assert.equal(getUint32(f, 1), 2);
    assert.deepEqual(getBytes(f, 7), new Uint8Array([0x78]));
  });

  it('truncates long varints to 32 bits like prost, and rejects malformed input', () => {
    assert.equal(getUint32(decodeFields(fromHex('08ffffffffff01'), { 1: 'uint32' }), 1), 0xffffffff);
    for (const hex of [
      '08',
      '0880',
      '0a05010203',
      '09010203',
      '0b',
      '00',
      '08ffffffffffffffffff7f',
      '0a01',
    ]) {
      assert.throws(() => decodeFields(fromHex(hex), { 1: 'uint32' }), invalid, hex);
    }
    assert.throws(() => decodeFields(fromHex('0a0101'), { 1: 'uint32' }), invalid);
    assert.throws(() => decodeFields(fromHex('0801'), { 1: 'bytes' }), invalid);
  });

  it('throws only typed E2E errors on random input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        for (const parse of [parseSignalMessage, parsePreKeySignalMessage]) {
          try {
            parse(b);
          } catch (e) {
            assert.ok(isE2EError(e), String(e));
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('message framing', () => {
  const key = generateKeyPair().publicKey;
  const signal = (first: number) => {
    const m = encodeSignalMessage(
      nobleCrypto,
      { ratchetKey: key, counter: 1, previousCounter: 0, ciphertext: new Uint8Array(16) },
      new Uint8Array(32),
      key,
      key,
    );
    m[0] = first;
    return m;
  };

  it('reads the version from the high nibble: 0x33 and 0x34 yes, PQXDH (0x44) and legacy (0x22) no', () => {
    assert.equal(parseSignalMessage(signal(0x34)).version, 3);
    assert.equal(parseSignalMessage(signal(0x33)).version, 3);
    for (const v of [0x44, 0x22, 0x35, 0x43, 0x03]) {
      assert.throws(
        () => parseSignalMessage(signal(v)),
        (e) => isE2EError(e, 'invalid_version'),
      );
    }
  });

  it('rejects a wrong key type inside a message as invalid_key', () => {
    const bad = key.slice();
    bad[0] = 0x06;
    const m = encodeSignalMessage(
      nobleCrypto,
      { ratchetKey: bad, counter: 1, previousCounter: 0, ciphertext: new Uint8Array(16) },
      new Uint8Array(32),
      key,
      key,
    );
    assert.throws(
      () => parseSignalMessage(m),
      (e) => isE2EError(e, 'invalid_key'),
    );
  });
});

describe('keys and bytes', () => {
  it('base64 and hex round-trip', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
        assert.deepEqual(fromBase64(toBase64(b)), b);
        assert.equal(toBase64(b), Buffer.from(b).toString('base64'));
        assert.deepEqual(fromHex(toHex(b)), b);
      }),
    );
    assert.throws(() => fromBase64('abc'));
    assert.throws(() => fromBase64('ab!='));
  });

  it('encodes public keys as 0x05 ‖ u and refuses anything else', () => {
    const raw = new Uint8Array(32).fill(7);
    assert.deepEqual(rawPublicKey(serializePublicKey(raw)), raw);
    for (const bad of [raw, new Uint8Array(34).fill(5), new Uint8Array([6, ...raw])]) {
      assert.throws(
        () => rawPublicKey(bad),
        (e) => isE2EError(e, 'invalid_key'),
      );
    }
    assert.throws(
      () => keyPairFromPrivate(new Uint8Array(31)),
      (e) => isE2EError(e, 'invalid_key'),
    );
  });

  it('both providers derive the same keys and refuse low-order points', () => {
    for (let i = 0; i < 8; i++) {
      const k = nodeCrypto.generateKeyPair();
      assert.deepEqual(nobleCrypto.publicKey(k.privateKey), k.publicKey);
      const other = nobleCrypto.generateKeyPair();
      assert.deepEqual(
        nodeCrypto.dh(k.privateKey, other.publicKey),
        nobleCrypto.dh(other.privateKey, k.publicKey),
      );
    }
    const priv = nobleCrypto.generateKeyPair().privateKey;
    for (const crypto of [nobleCrypto, nodeCrypto]) {
      for (const lowOrder of [new Uint8Array(32), Uint8Array.of(1, ...new Uint8Array(31))]) {
        assert.throws(
          () => crypto.dh(priv, lowOrder),
          (e) => isE2EError(e, 'invalid_key'),
          crypto.name,
        );
      }
    }
  });
});
