import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { describe, test } from 'node:test';
import { CipherState, MAX_NONCE } from './cipher-state.js';
import type { CipherName, KeyPair, NoiseCrypto } from './crypto.js';
import { nobleCrypto } from './crypto-noble.js';
import { nodeCrypto } from './crypto-node.js';
import { NoiseError, type NoiseErrorCode } from './errors.js';
import { HandshakeState } from './handshake-state.js';

const XX = 'Noise_XX_25519_AESGCM_SHA256';
const IK = 'Noise_IK_25519_AESGCM_SHA256';
const te = new TextEncoder();
const IMPLS = [nodeCrypto, nobleCrypto] as const;

function isNoise(code: NoiseErrorCode) {
  return (e: unknown) => e instanceof NoiseError && e.code === code;
}

function hs(c: NoiseCrypto, protocol: string, initiator: boolean, s?: KeyPair, rs?: Uint8Array) {
  return new HandshakeState({ protocol, initiator, crypto: c, s, rs, prologue: te.encode('PL\x01\x01') });
}

/** A completed XX handshake between two fresh identities, in `c`'s crypto. */
function xx(c: NoiseCrypto) {
  const ini = hs(c, XX, true, c.generateKeyPair());
  const res = hs(c, XX, false, c.generateKeyPair());
  res.readMessage(ini.writeMessage());
  ini.readMessage(res.writeMessage());
  assert.deepEqual(res.readMessage(ini.writeMessage(te.encode('login'))), te.encode('login'));
  return { ini, res, i: ini.split(), r: res.split() };
}

/** AES-256-GCM / ChaCha20-Poly1305 straight from node:crypto with the nonce built by Buffer, as a reference. */
function reference(cipher: CipherName, key: Uint8Array, n: bigint, pt: Uint8Array): Uint8Array {
  const iv = Buffer.alloc(12);
  if (cipher === 'AESGCM') iv.writeBigUInt64BE(n, 4);
  else iv.writeBigUInt64LE(n, 4);
  const algo = cipher === 'AESGCM' ? 'aes-256-gcm' : 'chacha20-poly1305';
  const c = createCipheriv(algo as 'aes-256-gcm', key, iv, { authTagLength: 16 });
  return new Uint8Array(Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]));
}

for (const c of IMPLS) {
  describe(`transport with ${c.name} crypto`, () => {
    test('a tampered message is refused and the state still opens the genuine one', () => {
      const { i, r } = xx(c);
      const ct = i[0].encrypt(te.encode('hello'));
      for (const at of [0, ct.length - 1]) {
        const bad = ct.slice();
        bad[at]! ^= 1;
        assert.throws(() => r[0].decrypt(bad), isNoise('bad_mac'));
        assert.equal(r[0].nonce(), 0n, 'a failed decrypt does not advance the nonce');
      }
      assert.deepEqual(r[0].decrypt(ct), te.encode('hello'));
      assert.equal(r[0].nonce(), 1n);
    });

    test('replayed and reordered messages fail authentication', () => {
      const { i, r } = xx(c);
      const a = i[0].encrypt(te.encode('a'));
      const b = i[0].encrypt(te.encode('b'));
      assert.throws(() => r[0].decrypt(b), isNoise('bad_mac'));
      assert.deepEqual(r[0].decrypt(a), te.encode('a'));
      assert.throws(() => r[0].decrypt(a), isNoise('bad_mac'));
      assert.deepEqual(r[0].decrypt(b), te.encode('b'));
    });

    test('a ciphertext shorter than its tag is a length error, not a MAC error', () => {
      const { r } = xx(c);
      assert.throws(() => r[0].decrypt(new Uint8Array(15)), isNoise('bad_message_length'));
      assert.equal(r[0].nonce(), 0n);
    });

    test('both directions work and use different keys', () => {
      const { i, r } = xx(c);
      assert.deepEqual(r[0].decrypt(i[0].encrypt(te.encode('up'))), te.encode('up'));
      assert.deepEqual(i[1].decrypt(r[1].encrypt(te.encode('down'))), te.encode('down'));
      assert.throws(() => i[1].decrypt(i[0].encrypt(te.encode('crossed'))), isNoise('bad_mac'));
      assert.deepEqual(i[0].key(), r[0].key());
      assert.deepEqual(i[1].key(), r[1].key());
      assert.notDeepEqual(i[0].key(), i[1].key());
    });

    for (const cipher of ['AESGCM', 'ChaChaPoly'] as const) {
      test(`${cipher} nonces are encoded as Noise says, across the 32- and 53-bit boundaries`, () => {
        const key = new Uint8Array(32).fill(7);
        const pt = te.encode('nonce check');
        for (const n of [0n, 1n, 255n, 0xffff_ffffn, 0x1_0000_0000n, 2n ** 53n + 1n, MAX_NONCE - 1n]) {
          const cs = new CipherState(c, cipher, key);
          cs.setNonce(n);
          assert.deepEqual(cs.encrypt(pt), reference(cipher, key, n, pt), `nonce ${n}`);
          assert.equal(cs.nonce(), n + 1n);
        }
      });

      test(`${cipher} nonce exhaustion at 2^64-1`, () => {
        const key = new Uint8Array(32).fill(9);
        const tx = new CipherState(c, cipher, key);
        const rx = new CipherState(c, cipher, key);
        tx.setNonce(MAX_NONCE - 1n);
        rx.setNonce(MAX_NONCE - 1n);
        const last = tx.encrypt(te.encode('last'));
        assert.deepEqual(rx.decrypt(last), te.encode('last'));
        assert.equal(tx.nonce(), MAX_NONCE);
        assert.throws(() => tx.encrypt(te.encode('more')), isNoise('nonce_exhausted'));
        assert.throws(() => rx.decrypt(last), isNoise('nonce_exhausted'));
        assert.throws(() => tx.setNonce(MAX_NONCE + 1n), RangeError);
      });

      test(`${cipher} rekey: k = ENCRYPT(k, 2^64-1, "", zeros)[0..32], nonce unchanged`, () => {
        const key = new Uint8Array(32).fill(3);
        const cs = new CipherState(c, cipher, key);
        cs.encrypt(te.encode('one'));
        cs.rekey();
        const next = reference(cipher, key, MAX_NONCE, new Uint8Array(32)).subarray(0, 32);
        assert.deepEqual(cs.key(), next);
        assert.equal(cs.nonce(), 1n);
        assert.deepEqual(cs.encrypt(te.encode('two')), reference(cipher, next, 1n, te.encode('two')));
      });
    }
  });

  describe(`handshake with ${c.name} crypto`, () => {
    test('a tampered handshake message changes nothing: the genuine one still completes', () => {
      const ini = hs(c, XX, true, c.generateKeyPair());
      const res = hs(c, XX, false, c.generateKeyPair());
      res.readMessage(ini.writeMessage());
      const m2 = res.writeMessage(te.encode('server hello'));
      const hashBefore = ini.handshakeHash();
      for (const at of [40, m2.length - 1]) {
        const bad = m2.slice();
        bad[at]! ^= 0x80;
        assert.throws(() => ini.readMessage(bad), isNoise('bad_mac'));
        assert.deepEqual(ini.handshakeHash(), hashBefore);
        assert.equal(ini.remoteStatic(), undefined);
      }
      assert.throws(() => ini.readMessage(m2.subarray(0, 60)), isNoise('bad_message_length'));
      assert.deepEqual(ini.readMessage(m2), te.encode('server hello'));
      res.readMessage(ini.writeMessage());
      assert.deepEqual(ini.handshakeHash(), res.handshakeHash());
    });

    test('writing or reading out of turn is bad_state', () => {
      const ini = hs(c, XX, true, c.generateKeyPair());
      const res = hs(c, XX, false, c.generateKeyPair());
      assert.throws(() => res.writeMessage(), isNoise('bad_state'));
      assert.throws(() => ini.readMessage(new Uint8Array(32)), isNoise('bad_state'));
      const m1 = ini.writeMessage();
      assert.throws(() => ini.writeMessage(), isNoise('bad_state'));
      assert.throws(() => ini.split(), isNoise('bad_state'));
      res.readMessage(m1);
      ini.readMessage(res.writeMessage());
      res.readMessage(ini.writeMessage());
      assert.throws(() => ini.writeMessage(), isNoise('bad_state'));
      assert.throws(() => res.readMessage(m1), isNoise('bad_state'));
      assert.equal(ini.split(), ini.split(), 'split returns the same pair');
    });

    test('messages of the wrong length are typed errors', () => {
      const res = hs(c, XX, false, c.generateKeyPair());
      assert.throws(() => res.readMessage(new Uint8Array(31)), isNoise('bad_message_length'));
      assert.throws(() => res.readMessage(new Uint8Array(65536)), isNoise('bad_message_length'));
      const ini = hs(c, XX, true, c.generateKeyPair());
      assert.throws(() => ini.writeMessage(new Uint8Array(65535 - 31)), isNoise('bad_message_length'));
      assert.equal(ini.localEphemeral(), undefined, 'the failed write left no ephemeral behind');
      assert.equal(ini.writeMessage(new Uint8Array(65535 - 32)).length, 65535);
    });

    test('IK: login in the first flight; a stale server key fails, then XXfallback recovers', () => {
      const server = c.generateKeyPair();
      const client = c.generateKeyPair();
      const ok = hs(c, IK, true, client, server.publicKey);
      const srv = hs(c, IK, false, server);
      assert.deepEqual(srv.readMessage(ok.writeMessage(te.encode('login'))), te.encode('login'));
      ok.readMessage(srv.writeMessage());
      assert.deepEqual(srv.remoteStatic(), client.publicKey);
      assert.deepEqual(ok.handshakeHash(), srv.handshakeHash());

      // Noise Pipes (§10.4): the client pinned an old key; the server switches to XXfallback.
      const stale = hs(c, IK, true, client, c.generateKeyPair().publicKey);
      const srv2 = hs(c, IK, false, server);
      const m1 = stale.writeMessage(te.encode('login'));
      assert.throws(() => srv2.readMessage(m1), isNoise('bad_mac'));
      const fb = 'Noise_XXfallback_25519_AESGCM_SHA256';
      const re = m1.subarray(0, 32);
      const bob = new HandshakeState({ protocol: fb, initiator: false, crypto: c, s: server, re });
      const alice = new HandshakeState({
        protocol: fb,
        initiator: true,
        crypto: c,
        s: client,
        e: stale.localEphemeral(),
      });
      assert.ok(bob.myTurn && !alice.myTurn, 'the responder speaks first in a fallback');
      assert.deepEqual(alice.readMessage(bob.writeMessage(te.encode('new key'))), te.encode('new key'));
      bob.readMessage(alice.writeMessage(te.encode('login')));
      assert.deepEqual(alice.remoteStatic(), server.publicKey);
      assert.deepEqual(bob.remoteStatic(), client.publicKey);
      assert.deepEqual(bob.split()[0].decrypt(alice.split()[0].encrypt(te.encode('hi'))), te.encode('hi'));
    });

    test('missing or malformed keys are refused up front', () => {
      assert.throws(() => hs(c, IK, true, c.generateKeyPair()), isNoise('bad_state'));
      assert.throws(() => hs(c, XX, true), isNoise('bad_state'));
      const short = { publicKey: new Uint8Array(31), privateKey: new Uint8Array(32) };
      assert.throws(() => hs(c, XX, true, short), isNoise('bad_key'));
      assert.throws(() => hs(c, IK, true, c.generateKeyPair(), new Uint8Array(33)), isNoise('bad_key'));
      const psk = 'Noise_NNpsk0_25519_AESGCM_SHA256';
      assert.throws(
        () => new HandshakeState({ protocol: psk, initiator: true, crypto: c }),
        isNoise('bad_key'),
      );
      assert.throws(
        () => new HandshakeState({ protocol: psk, initiator: true, crypto: c, psks: [new Uint8Array(16)] }),
        isNoise('bad_key'),
      );
      assert.throws(() => hs(c, 'Noise_XX_25519_AESGCM_SHA512', true), isNoise('unsupported'));
    });

    test('a low-order public key is refused', () => {
      const res = hs(c, XX, false, c.generateKeyPair());
      assert.throws(() => c.dh(c.generateKeyPair().privateKey, new Uint8Array(32)), isNoise('bad_key'));
      const one = new Uint8Array(32);
      one[0] = 1;
      assert.throws(() => c.dh(c.generateKeyPair().privateKey, one), isNoise('bad_key'));
      res.readMessage(new Uint8Array(32)); // msg 1 carries only e; the DH with it happens on write
      assert.throws(() => res.writeMessage(), isNoise('bad_key'));
    });
  });
}

test('node and noble interoperate (XX and IK, both directions)', () => {
  for (const [a, b] of [
    [nodeCrypto, nobleCrypto],
    [nobleCrypto, nodeCrypto],
  ] as const) {
    const ini = hs(a, XX, true, a.generateKeyPair());
    const res = hs(b, XX, false, b.generateKeyPair());
    res.readMessage(ini.writeMessage());
    ini.readMessage(res.writeMessage());
    res.readMessage(ini.writeMessage());
    assert.deepEqual(ini.handshakeHash(), res.handshakeHash());
    assert.deepEqual(res.split()[0].decrypt(ini.split()[0].encrypt(te.encode('x'))), te.encode('x'));
    const server = b.generateKeyPair();
    const ik = hs(a, IK, true, a.generateKeyPair(), server.publicKey);
    const srv = hs(b, IK, false, server);
    srv.readMessage(ik.writeMessage());
    ik.readMessage(srv.writeMessage());
    assert.deepEqual(ik.split()[1].decrypt(srv.split()[1].encrypt(te.encode('y'))), te.encode('y'));
  }
});

test('a node key cache entry follows its array when the caller overwrites it', () => {
  const a = nodeCrypto.generateKeyPair();
  const b = nodeCrypto.generateKeyPair();
  const priv = a.privateKey.slice();
  const first = nodeCrypto.dh(priv, b.publicKey);
  priv.set(b.privateKey);
  assert.notDeepEqual(nodeCrypto.dh(priv, b.publicKey), first);
  assert.deepEqual(nodeCrypto.dh(priv, a.publicKey), nobleCrypto.dh(b.privateKey, a.publicKey));
});
