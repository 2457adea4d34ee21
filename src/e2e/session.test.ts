/**
 * Parley ⇄ Parley behaviour that libsignal cannot show: several devices per account (sessions per
 * device), concurrent use of one session, persistence through the JSON codec, simultaneous initiation
 * (archived sessions), staleness, the legacy 0x33 version byte, and the error paths.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  connect,
  ParleyParty,
  prng,
  shuffle,
  text,
  untext,
} from '../../test/fixtures/e2e/libsignal-oracle.js';
import { concatBytes, toHex } from './bytes.js';
import { nobleCrypto } from './crypto-noble.js';
import { isE2EError } from './errors.js';
import { deriveMessageKeys, messageKeySeed } from './kdf.js';
import { MAC_LENGTH, parsePreKeySignalMessage, parseSignalMessage } from './messages.js';
import { SessionRecord } from './record.js';
import { SessionCipher } from './session.js';

const code = (c: string) => (e: unknown) => isE2EError(e) && e.code === c;

describe('Parley sessions', () => {
  it('keeps one session per remote device (Sesame): each device of each account', async () => {
    const alicePhone = new ParleyParty('alice', 1);
    const aliceLaptop = new ParleyParty('alice', 2);
    const bobPhone = new ParleyParty('bob', 1);
    const bobTablet = new ParleyParty('bob', 7);
    const devices = [alicePhone, aliceLaptop, bobPhone, bobTablet];
    // Alice's phone fans out to Bob's devices and to her own other device.
    for (const to of [bobPhone, bobTablet, aliceLaptop]) await connect(alicePhone, to);
    for (const to of [bobPhone, bobTablet, aliceLaptop]) {
      const m = await alicePhone.encrypt(to.address, text(`to ${to.name}.${to.deviceId}`));
      assert.equal(untext(await to.decrypt(alicePhone.address, m)), `to ${to.name}.${to.deviceId}`);
    }
    // Once answered, a message for one device does not open on another device of the same account.
    for (const from of [bobPhone, bobTablet]) {
      await alicePhone.decrypt(from.address, await from.encrypt(alicePhone.address, text('ack')));
    }
    const forPhone = await alicePhone.encrypt(bobPhone.address, text('phone only'));
    await assert.rejects(() => bobTablet.decrypt(alicePhone.address, forPhone), code('bad_mac'));
    assert.equal(untext(await bobPhone.decrypt(alicePhone.address, forPhone)), 'phone only');
    for (const d of devices) assert.ok(d.stores.preKeys.size <= 1);
  });

  it('serialises concurrent operations on one address, in call order', async () => {
    const a = new ParleyParty('a');
    const b = new ParleyParty('b');
    await connect(a, b);
    const sent = await Promise.all([...Array(40).keys()].map((i) => a.encrypt(b.address, text(`m${i}`))));
    const counters = sent.map((m) => parsePreKeySignalMessage(m.body).message.counter);
    assert.deepEqual(counters, [...Array(40).keys()], 'each encrypt took the next counter, in call order');
    const opened = await Promise.all(shuffle(sent, prng(9)).map((m) => b.decrypt(a.address, m)));
    assert.deepEqual(opened.map(untext).sort(), sent.map((_, i) => `m${i}`).sort());
  });

  it('survives a JSON round trip of the whole record at any point of a conversation', async () => {
    const a = new ParleyParty('a', 1, { serializeSessions: true });
    const b = new ParleyParty('b', 1, { serializeSessions: true });
    await connect(a, b);
    const random = prng(5);
    type Held = {
      from: ParleyParty;
      to: ParleyParty;
      m: Awaited<ReturnType<ParleyParty['encrypt']>>;
      body: string;
    };
    let held: Held[] = [];
    for (let i = 0; i < 160; i++) {
      const [from, to] = random() < 0.5 ? [a, b] : [b, a];
      const m = await from.encrypt(to.address, text(`m${i}`)).catch(() => undefined);
      if (m === undefined) continue; // b cannot send before a's first message arrived
      if (random() < 0.2) held.push({ from, to, m, body: `m${i}` });
      else assert.equal(untext(await to.decrypt(from.address, m)), `m${i}`);
      // Late messages arrive within a few ratchet turns (5 receiving chains are kept, as in libsignal).
      if (i % 8 === 7) {
        for (const h of held.reverse()) assert.equal(untext(await h.to.decrypt(h.from.address, h.m)), h.body);
        held = [];
      }
    }
    const record = (await a.stores.sessions.loadSession(b.address))!;
    const json = JSON.parse(JSON.stringify(record));
    assert.equal(toHex(SessionRecord.fromJSON(json).serialize()), toHex(record.serialize()));
  });

  it('handles simultaneous initiation: both setups decrypt, the newest session sends', async () => {
    const a = new ParleyParty('a');
    const b = new ParleyParty('b');
    await connect(a, b);
    await connect(b, a);
    const fromA = await a.encrypt(b.address, text('a first'));
    const fromB = await b.encrypt(a.address, text('b first'));
    assert.equal(untext(await b.decrypt(a.address, fromA)), 'a first');
    assert.equal(untext(await a.decrypt(b.address, fromB)), 'b first');
    // Each side now sends on the session the other started; the archived ones still decrypt.
    for (let i = 0; i < 3; i++) {
      assert.equal(untext(await b.decrypt(a.address, await a.encrypt(b.address, text(`a${i}`)))), `a${i}`);
      assert.equal(untext(await a.decrypt(b.address, await b.encrypt(a.address, text(`b${i}`)))), `b${i}`);
    }
    const record = (await a.stores.sessions.loadSession(b.address))!;
    assert.equal(record.previous.length, 1);
  });

  it('accepts the legacy 0x33 version byte (older libsignal, libsignal-node)', async () => {
    const a = new ParleyParty('a');
    const b = new ParleyParty('b');
    await connect(a, b);
    await b.decrypt(a.address, await a.encrypt(b.address, text('setup')));
    await a.decrypt(b.address, await b.encrypt(a.address, text('ack')));
    const state = (await a.stores.sessions.loadSession(b.address))!.current!;
    const macKey = deriveMessageKeys(
      nobleCrypto,
      messageKeySeed(nobleCrypto, state.senderChain.key),
    ).macKey.slice();
    const m = await a.encrypt(b.address, text('legacy'));
    assert.equal(m.type, 'msg');
    const covered = m.body.slice(0, m.body.length - MAC_LENGTH);
    covered[0] = 0x33;
    const mac = nobleCrypto
      .hmacSha256(macKey, concatBytes(a.identity.publicKey, b.identity.publicKey, covered))
      .subarray(0, MAC_LENGTH);
    assert.equal(parseSignalMessage(concatBytes(covered, mac)).version, 3);
    assert.equal(
      untext(await b.decrypt(a.address, { type: 'msg', body: concatBytes(covered, mac) })),
      'legacy',
    );
  });

  it('reports no_session, stale setups, unknown types and corrupt records with typed errors', async () => {
    const a = new ParleyParty('a');
    const b = new ParleyParty('b');
    await assert.rejects(() => a.encrypt(b.address, text('x')), code('no_session'));
    let now = Date.now();
    const cipher = new SessionCipher(a.stores, b.address, { now: () => now });
    await connect(a, b);
    assert.ok(await cipher.hasOpenSession());
    now += 31 * 24 * 3600 * 1000; // a setup nobody answered for a month is not used any more
    assert.equal(await cipher.hasOpenSession(), false);
    await assert.rejects(() => cipher.encrypt(text('x')), code('no_session'));
    const m = await a.encrypt(b.address, text('x'));
    // A setup message presented as a plain one does not parse as one.
    await assert.rejects(
      () => b.decrypt(a.address, { type: 'msg', body: m.body }),
      (e) => isE2EError(e),
    );
    await assert.rejects(
      () => b.decrypt(a.address, { type: 'bogus' as 'msg', body: m.body }),
      code('invalid_message'),
    );
    await assert.rejects(
      () => b.decrypt(a.address, { type: 'msg', body: parsePreKeySignalMessage(m.body).message.serialized }),
      code('no_session'),
    );
    assert.throws(
      () => SessionRecord.deserialize(text('{"v":1,"current":{"version":3},"previous":[]}')),
      code('invalid_state'),
    );
    assert.throws(() => SessionRecord.deserialize(text('not json')), code('invalid_state'));
  });
});
