/**
 * Key-level interop with libsignal 0.72.1: the 0x05 public key encoding and X25519 agreement, XEdDSA
 * signatures in both directions (including libsignal's sign bit in sig[63]), and safety numbers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buf, pub, SignalClient } from '../../test/fixtures/e2e/libsignal-oracle.js';
import { toHex } from './bytes.js';
import { nobleCrypto } from './crypto-noble.js';
import { nodeCrypto } from './crypto-node.js';
import { compareScannable, numericFingerprint } from './fingerprint.js';
import { agree, generateKeyPair, keyPairFromPrivate } from './keys.js';
import { xeddsaSign, xeddsaVerify } from './xeddsa.js';

const message = (i: number) => new TextEncoder().encode(`signed prekey #${i}`);

describe('keys and agreement', () => {
  it('Parley and libsignal key pairs are interchangeable (encoding, derivation, X25519)', () => {
    for (let i = 0; i < 16; i++) {
      const ours = generateKeyPair();
      const theirs = SignalClient.PrivateKey.generate();
      assert.equal(
        toHex(SignalClient.PublicKey.deserialize(buf(ours.publicKey)).serialize()),
        toHex(ours.publicKey),
      );
      const imported = keyPairFromPrivate(new Uint8Array(theirs.serialize()));
      assert.equal(toHex(imported.publicKey), toHex(theirs.getPublicKey().serialize()));
      const expected = toHex(theirs.agree(pub(ours.publicKey)));
      assert.equal(toHex(agree(nobleCrypto, ours.privateKey, theirs.getPublicKey().serialize())), expected);
      assert.equal(toHex(agree(nodeCrypto, ours.privateKey, theirs.getPublicKey().serialize())), expected);
    }
  });
});

describe('XEdDSA', () => {
  it('libsignal verifies Parley signatures (keys of either Edwards sign)', () => {
    for (let i = 0; i < 64; i++) {
      const key = generateKeyPair();
      const sig = xeddsaSign(key.privateKey, message(i));
      assert.equal(sig[63]! & 0x80, 0, 'Parley signs in spec form');
      assert.ok(pub(key.publicKey).verify(buf(message(i)), buf(sig)), `signature ${i}`);
      const bad = sig.slice();
      bad[5]! ^= 4;
      assert.equal(pub(key.publicKey).verify(buf(message(i)), buf(bad)), false);
    }
  });

  it('Parley verifies libsignal signatures, whose sig[63] top bit carries the sign', () => {
    let signBitSet = 0;
    for (let i = 0; i < 64; i++) {
      const key = SignalClient.PrivateKey.generate();
      const publicKey = new Uint8Array(key.getPublicKey().serialize());
      const sig = new Uint8Array(key.sign(buf(message(i))));
      if (sig[63]! & 0x80) signBitSet++;
      for (const crypto of [nobleCrypto, nodeCrypto]) {
        assert.ok(xeddsaVerify(publicKey, message(i), sig, crypto), `signature ${i} (${crypto.name})`);
        const flipped = sig.slice();
        flipped[63]! ^= 0x80;
        assert.equal(xeddsaVerify(publicKey, message(i), flipped, crypto), false);
        assert.equal(xeddsaVerify(publicKey, message(i + 1), sig, crypto), false);
      }
    }
    // About half of all keys need the bit; 64 keys without one would be a 2^-64 event.
    assert.ok(signBitSet > 0 && signBitSet < 64, `${signBitSet} of 64 signatures had the sign bit`);
  });
});

describe('safety numbers', () => {
  it('equal libsignal Fingerprint (5200 iterations) for the same keys and ids, both versions', () => {
    for (let i = 0; i < 4; i++) {
      const a = generateKeyPair().publicKey;
      const b = generateKeyPair().publicKey;
      const idA = new TextEncoder().encode(`+4915${i}0001`);
      const idB = new TextEncoder().encode(`+4915${i}0002`);
      for (const version of [1, 2]) {
        const theirs = SignalClient.Fingerprint.new(5200, version, buf(idA), pub(a), buf(idB), pub(b));
        const ours = numericFingerprint({
          localId: idA,
          localIdentityKey: a,
          remoteId: idB,
          remoteIdentityKey: b,
          version,
        });
        assert.equal(ours.displayable, theirs.displayableFingerprint().toString());
        assert.equal(ours.displayable.length, 60);
        assert.equal(toHex(ours.scannable), toHex(theirs.scannableFingerprint().toBuffer()));
        const peer = numericFingerprint({
          localId: idB,
          localIdentityKey: b,
          remoteId: idA,
          remoteIdentityKey: a,
          version,
        });
        assert.equal(peer.displayable, ours.displayable);
        assert.ok(compareScannable(ours.scannable, peer.scannable));
        assert.ok(
          theirs
            .scannableFingerprint()
            .compare(SignalClient.ScannableFingerprint._fromBuffer(buf(peer.scannable))),
        );
      }
    }
  });

  it('a different identity key gives a different number', () => {
    const a = generateKeyPair().publicKey;
    const b = generateKeyPair().publicKey;
    const mitm = generateKeyPair().publicKey;
    const honest = numericFingerprint({
      localId: 'a',
      localIdentityKey: a,
      remoteId: 'b',
      remoteIdentityKey: b,
    });
    const fooled = numericFingerprint({
      localId: 'b',
      localIdentityKey: b,
      remoteId: 'a',
      remoteIdentityKey: mitm,
    });
    assert.notEqual(honest.displayable, fooled.displayable);
    assert.equal(compareScannable(honest.scannable, fooled.scannable), false);
  });
});
