/**
 * More bad input against libsignal 0.72.1 sessions: identity changes, bundles with bad signatures or
 * keys, setup messages naming prekeys that do not exist, forged and truncated ciphertexts. Rejections
 * are typed E2EErrors that leave Parley's stored session untouched.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  connect,
  LsParty,
  ParleyParty,
  SignalClient,
  text,
  untext,
} from '../../test/fixtures/e2e/libsignal-oracle.js';
import { concatBytes, toHex } from './bytes.js';
import { nobleCrypto } from './crypto-noble.js';
import { type E2EErrorCode, isE2EError } from './errors.js';
import { generateKeyPair } from './keys.js';
import { encodeSignalMessage } from './messages.js';

const snapshot = async (p: ParleyParty, peer: { address: { name: string; deviceId: number } }) => {
  const r = await p.stores.sessions.loadSession(peer.address);
  return r === undefined ? 'none' : toHex(r.serialize());
};

async function rejects(
  p: ParleyParty,
  peer: LsParty,
  fn: () => Promise<unknown>,
  code?: E2EErrorCode | E2EErrorCode[],
): Promise<void> {
  const before = await snapshot(p, peer);
  await assert.rejects(fn, (e: unknown) => {
    assert.ok(isE2EError(e), `expected an E2EError, got ${String(e)}`);
    const codes = code === undefined ? undefined : Array.isArray(code) ? code : [code];
    if (codes !== undefined) assert.ok(codes.includes(e.code), e.message);
    return true;
  });
  assert.equal(await snapshot(p, peer), before, 'stored session changed by a rejected message');
}

async function established() {
  const p = new ParleyParty('parley');
  const l = new LsParty('ls');
  await connect(p, l);
  await l.decrypt(p.address, await p.encrypt(l.address, text('setup')));
  await p.decrypt(l.address, await l.encrypt(p.address, text('ack')));
  return { p, l };
}

describe('identity changes', () => {
  it('a peer that reinstalled is untrusted until the user accepts the new key', async () => {
    const { p, l } = await established();
    const reinstalled = new LsParty('ls'); // same address, new identity key
    await connect(reinstalled, p);
    const setup = await reinstalled.encrypt(p.address, text('new phone'));
    await rejects(p, l, () => p.decrypt(l.address, setup), 'untrusted_identity');
    // The old session is intact and still works.
    assert.equal(untext(await p.decrypt(l.address, await l.encrypt(p.address, text('old')))), 'old');
    // A fresh bundle from the new identity is refused too, before any key agreement.
    await rejects(
      p,
      l,
      async () => p.processBundle(l.address, await reinstalled.bundle()),
      'untrusted_identity',
    );
    // The user compares safety numbers and accepts: the very same message now opens a new session.
    assert.equal(
      await p.stores.identity.saveIdentity(l.address, reinstalled.identity.publicKey.serialize()),
      true,
    );
    assert.equal(untext(await p.decrypt(l.address, setup)), 'new phone');
    assert.equal(
      untext(await reinstalled.decrypt(p.address, await p.encrypt(l.address, text('welcome back')))),
      'welcome back',
    );
  });

  it('libsignal refuses a Parley peer whose identity changed', async () => {
    const { p, l } = await established();
    const reinstalled = new ParleyParty('parley');
    await connect(reinstalled, l);
    const setup = await reinstalled.encrypt(l.address, text('new phone'));
    await assert.rejects(
      () => l.decrypt(p.address, setup),
      (e: unknown) => SignalClient.LibSignalErrorBase.is(e, SignalClient.ErrorCode.UntrustedIdentity),
    );
  });
});

describe('bad bundles', () => {
  it('a libsignal bundle with a broken signature is bad_signature, whichever bit', async () => {
    const p = new ParleyParty('parley');
    const l = new LsParty('ls');
    const bundle = await l.bundle();
    // Byte 63's top bit is libsignal's Edwards sign bit: flipping it must fail as surely as any other.
    for (const [byte, bit] of [
      [0, 0x01],
      [31, 0x80],
      [32, 0x01],
      [62, 0x10],
      [63, 0x80],
      [63, 0x01],
    ] as const) {
      const sig = bundle.signedPreKeySignature.slice();
      sig[byte]! ^= bit;
      await rejects(
        p,
        l,
        () => p.processBundle(l.address, { ...bundle, signedPreKeySignature: sig }),
        'bad_signature',
      );
    }
    const otherKey = (await l.bundle({ signedPreKeyId: 8 })).signedPreKey;
    await rejects(
      p,
      l,
      () => p.processBundle(l.address, { ...bundle, signedPreKey: otherKey }),
      'bad_signature',
    );
    await p.processBundle(l.address, bundle);
    assert.equal(untext(await l.decrypt(p.address, await p.encrypt(l.address, text('ok')))), 'ok');
  });

  it('keys of the wrong type or length are invalid_key', async () => {
    const p = new ParleyParty('parley');
    const l = new LsParty('ls');
    const bundle = await l.bundle();
    const wrongType = bundle.identityKey.slice();
    wrongType[0] = 0x06;
    for (const bad of [
      { ...bundle, identityKey: wrongType },
      { ...bundle, identityKey: bundle.identityKey.subarray(1) },
      { ...bundle, signedPreKey: concatBytes(bundle.signedPreKey, new Uint8Array([0])) },
      { ...bundle, preKey: bundle.preKey!.subarray(0, 20) },
      { ...bundle, preKeyId: undefined },
    ]) {
      await rejects(p, l, () => p.processBundle(l.address, bad), 'invalid_key');
    }
  });

  it('libsignal rejects a Parley bundle with a broken signature', async () => {
    const p = new ParleyParty('parley');
    const l = new LsParty('ls');
    const bundle = await p.bundle();
    const sig = bundle.signedPreKeySignature.slice();
    sig[10]! ^= 1;
    await assert.rejects(() => l.processBundle(p.address, { ...bundle, signedPreKeySignature: sig }));
    await l.processBundle(p.address, bundle);
  });
});

describe('setup messages naming prekeys that do not exist', () => {
  it('an unknown one-time or signed prekey id is invalid_prekey_id, and no session is created', async () => {
    const p = new ParleyParty('parley');
    const l = new LsParty('ls');
    const bundle = await p.bundle();
    await l.processBundle(p.address, { ...bundle });
    const setup = await l.encrypt(p.address, text('hello'));
    await p.stores.preKeys.removePreKey(bundle.preKeyId!); // e.g. handed out twice, already used
    await rejects(p, l, () => p.decrypt(l.address, setup), 'invalid_prekey_id');
    assert.equal(await snapshot(p, l), 'none');

    const l2 = new LsParty('ls2');
    const b2 = await p.bundle({ signedPreKeyId: 41 });
    await l2.processBundle(p.address, { ...b2, signedPreKeyId: 42 }); // the signature covers the key, not the id
    const setup2 = await l2.encrypt(p.address, text('x'));
    await rejects(p, l2, () => p.decrypt(l2.address, setup2), 'invalid_prekey_id');
    assert.equal(await snapshot(p, l2), 'none');
  });

  it('libsignal rejects a Parley setup message naming a prekey it does not have', async () => {
    const p = new ParleyParty('parley');
    const l = new LsParty('ls');
    const bundle = await l.bundle();
    await l.preKeys.removePreKey(bundle.preKeyId!);
    await p.processBundle(l.address, bundle);
    const setup = await p.encrypt(l.address, text('x'));
    await assert.rejects(() => l.decrypt(p.address, setup));
    assert.equal(l.sessions.records.size, 0);
  });
});

describe('forged, truncated and confused ciphertexts', () => {
  it('every single-byte corruption and every truncation of a SignalMessage is rejected harmlessly', async () => {
    const { p, l } = await established();
    const m = await l.encrypt(p.address, text('genuine'));
    for (let i = 0; i < m.body.length; i++) {
      const forged = m.body.slice();
      forged[i]! ^= i === 0 ? 0x10 : 0x01;
      await rejects(p, l, () => p.decrypt(l.address, { type: 'msg', body: forged }));
    }
    for (let n = 0; n < m.body.length; n++) {
      await rejects(p, l, () => p.decrypt(l.address, { type: 'msg', body: m.body.subarray(0, n) }));
    }
    await rejects(p, l, () => p.decrypt(l.address, { type: 'pkmsg', body: m.body }), [
      'invalid_message',
      'invalid_key',
    ]);
    assert.equal(untext(await p.decrypt(l.address, m)), 'genuine');
  });

  it('a forged message with a fresh ratchet key (forcing a DH step) is bad_mac and changes nothing', async () => {
    const { p, l } = await established();
    const attacker = generateKeyPair();
    for (const counter of [0, 5]) {
      const forged = encodeSignalMessage(
        nobleCrypto,
        { ratchetKey: attacker.publicKey, counter, previousCounter: 0, ciphertext: new Uint8Array(16) },
        new Uint8Array(32),
        l.identity.publicKey.serialize(),
        p.identity.publicKey,
      );
      await rejects(p, l, () => p.decrypt(l.address, { type: 'msg', body: forged }), 'bad_mac');
    }
    assert.equal(untext(await p.decrypt(l.address, await l.encrypt(p.address, text('fine')))), 'fine');
    assert.equal(untext(await l.decrypt(p.address, await p.encrypt(l.address, text('fine')))), 'fine');
  });

  it('a corrupted setup message neither consumes the prekey nor creates a session', async () => {
    const p = new ParleyParty('parley');
    const l = new LsParty('ls');
    await connect(l, p);
    const setup = await l.encrypt(p.address, text('hello'));
    for (const i of [setup.body.length - 1, setup.body.length - 12, 1, 5]) {
      const forged = setup.body.slice();
      forged[i]! ^= 0x01;
      await rejects(p, l, () => p.decrypt(l.address, { type: 'pkmsg', body: forged }));
      assert.equal(p.stores.preKeys.size, 1);
    }
    assert.equal(await snapshot(p, l), 'none');
    assert.equal(untext(await p.decrypt(l.address, setup)), 'hello');
  });

  it('libsignal rejects forged Parley messages and keeps its session working', async () => {
    const { p, l } = await established();
    const m = await p.encrypt(l.address, text('genuine'));
    for (const i of [1, 10, m.body.length - 20, m.body.length - 1]) {
      const forged = m.body.slice();
      forged[i]! ^= 0x01;
      await assert.rejects(() => l.decrypt(p.address, { type: 'msg', body: forged }));
    }
    assert.equal(untext(await l.decrypt(p.address, m)), 'genuine');
  });
});
