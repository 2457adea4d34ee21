import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Node } from '../../wire/index.js';
import { createTestServer, type TestServer, type TestSession } from '../testing/harness.js';
import { MAX_SUBSCRIPTIONS, presence } from './presence.js';

const ALICE = '15550000001';
const BOB = '15550000002';
const CAROL = '15550000003';
const T0 = 1_700_000_000_000;

const isPresence = (from: string, type?: string) => (n: Node) =>
  n.tag === 'presence' && n.attrs.from === `${from}@s.us` && (type === undefined || n.attrs.type === type);

function subscribe(s: TestSession, user: string, id?: string): Promise<void> {
  return s.write({
    tag: 'presence',
    attrs: { type: 'subscribe', to: `${user}@s.us`, ...(id ? { id } : {}) },
  });
}
const available = (s: TestSession) => s.write({ tag: 'presence', attrs: { type: 'available' } });
const unavailable = (s: TestSession) => s.write({ tag: 'presence', attrs: { type: 'unavailable' } });

describe('presence', () => {
  let t: TestServer;
  const clock = { t: T0, now: () => clock.t };

  before(async () => {
    t = await createTestServer({ modules: [presence], clock });
    for (const u of [ALICE, BOB, CAROL]) await t.addDevice(u);
    await t.addDevice(ALICE, 1);
  });
  after(() => t.stop());

  it('answers a subscribe at once, then pushes available and unavailable with last seen', async () => {
    clock.t = T0;
    const bob = await t.connect(BOB);
    await subscribe(bob, ALICE);
    const first = await bob.waitFor(isPresence(ALICE));
    assert.equal(first.attrs.type, 'unavailable');

    const alice = await t.connect(ALICE);
    await available(alice);
    await bob.waitFor(isPresence(ALICE, 'available'));

    clock.t = T0 + 5_500;
    await unavailable(alice);
    const gone = await bob.waitFor(isPresence(ALICE, 'unavailable'), 2000, 2);
    assert.equal(gone.attrs.last, String(T0 / 1000 + 5));
    assert.equal(await t.storage.presence.getLastSeen(ALICE), T0 + 5_500);
    alice.close('bye');
    bob.close('bye');
  });

  it('stores last seen when the last active device disconnects, not before', async () => {
    clock.t = T0 + 10_000;
    const bob = await t.connect(BOB);
    await subscribe(bob, ALICE);
    const a0 = await t.connect(ALICE, 0);
    const a1 = await t.connect(ALICE, 1);
    await available(a0);
    await available(a1);
    clock.t = T0 + 20_000;
    a0.close('gone');
    await sleep(30);
    assert.equal(bob.received.filter(isPresence(ALICE, 'unavailable')).length, 1, 'only the answer so far');
    assert.notEqual(await t.storage.presence.getLastSeen(ALICE), T0 + 20_000);
    clock.t = T0 + 30_000;
    a1.close('gone');
    const gone = await bob.waitFor(isPresence(ALICE, 'unavailable'), 2000, 2);
    assert.equal(gone.attrs.last, String((T0 + 30_000) / 1000));
    assert.equal(await t.storage.presence.getLastSeen(ALICE), T0 + 30_000);
    bob.close('bye');
  });

  it('a replaced session (same device logs in again) leaves presence like a disconnect', async () => {
    clock.t = T0 + 40_000;
    const bob = await t.connect(BOB);
    await subscribe(bob, ALICE);
    const old = await t.connect(ALICE, 0);
    await available(old);
    await bob.waitFor(isPresence(ALICE, 'available'));
    const fresh = await t.connect(ALICE, 0);
    assert.equal(old.closeReason, 'conflict');
    const gone = await bob.waitFor(isPresence(ALICE, 'unavailable'), 2000, 2);
    assert.equal(gone.attrs.last, String((T0 + 40_000) / 1000));
    fresh.close('bye');
    bob.close('bye');
  });

  it('a passive session never shows the user online', async () => {
    const bob = await t.connect(BOB);
    await subscribe(bob, CAROL);
    const carol = await t.connect(CAROL, 0, { passive: true });
    await available(carol);
    await sleep(30);
    assert.equal(bob.received.filter(isPresence(CAROL, 'available')).length, 0);
    const bob1 = await t.connect(BOB, 1);
    await subscribe(bob1, CAROL);
    assert.equal((await bob1.waitFor(isPresence(CAROL))).attrs.type, 'unavailable');
    carol.close('bye');
    await sleep(30);
    assert.equal(await t.storage.presence.getLastSeen(CAROL), undefined);
    bob.close('bye');
    bob1.close('bye');
  });

  describe('last seen privacy', () => {
    const answerFor = async (viewer: string, device: number) => {
      const s = await t.connect(viewer, device);
      await subscribe(s, ALICE);
      const n = await s.waitFor(isPresence(ALICE));
      s.close('bye');
      return n;
    };

    before(async () => {
      await t.storage.presence.setLastSeen(ALICE, T0 + 60_000);
      await t.storage.contacts.setContacts(ALICE, [BOB]);
      await t.addDevice(BOB, 2);
      await t.addDevice(CAROL, 2);
    });

    it('everyone: shown to all', async () => {
      await t.storage.presence.setPrivacy(ALICE, { lastSeen: 'everyone' });
      assert.equal((await answerFor(BOB, 2)).attrs.last, String((T0 + 60_000) / 1000));
      assert.equal((await answerFor(CAROL, 2)).attrs.last, String((T0 + 60_000) / 1000));
    });

    it('contacts: shown to contacts, denied to others', async () => {
      await t.storage.presence.setPrivacy(ALICE, { lastSeen: 'contacts' });
      assert.equal((await answerFor(BOB, 2)).attrs.last, String((T0 + 60_000) / 1000));
      assert.equal((await answerFor(CAROL, 2)).attrs.last, 'deny');
    });

    it('nobody: denied to all (even contacts) but the owner; online still shown', async () => {
      await t.storage.presence.setPrivacy(ALICE, { lastSeen: 'nobody' });
      assert.equal((await answerFor(BOB, 2)).attrs.last, 'deny');
      assert.equal((await answerFor(CAROL, 2)).attrs.last, 'deny');
      assert.equal((await answerFor(ALICE, 1)).attrs.last, String((T0 + 60_000) / 1000));

      const bob = await t.connect(BOB, 2);
      const carol = await t.connect(CAROL, 2);
      await subscribe(bob, ALICE);
      await subscribe(carol, ALICE);
      const alice = await t.connect(ALICE);
      await available(alice);
      await bob.waitFor(isPresence(ALICE, 'available'));
      await carol.waitFor(isPresence(ALICE, 'available'));
      await unavailable(alice);
      assert.equal((await bob.waitFor(isPresence(ALICE, 'unavailable'), 2000, 2)).attrs.last, 'deny');
      assert.equal((await carol.waitFor(isPresence(ALICE, 'unavailable'), 2000, 2)).attrs.last, 'deny');
      for (const s of [alice, bob, carol]) s.close('bye');
    });

    it('pushes respect contacts too', async () => {
      await t.storage.presence.setPrivacy(ALICE, { lastSeen: 'contacts' });
      const bob = await t.connect(BOB, 2);
      const carol = await t.connect(CAROL, 2);
      await subscribe(bob, ALICE);
      await subscribe(carol, ALICE);
      const alice = await t.connect(ALICE);
      await available(alice);
      clock.t = T0 + 70_000;
      alice.close('bye');
      assert.equal(
        (await bob.waitFor(isPresence(ALICE, 'unavailable'), 2000, 1)).attrs.last,
        String(T0 / 1000 + 70),
      );
      assert.equal((await carol.waitFor(isPresence(ALICE, 'unavailable'), 2000, 1)).attrs.last, 'deny');
      bob.close('bye');
      carol.close('bye');
    });
  });

  it('refuses unknown users, bad addresses and bad types', async () => {
    const bob = await t.connect(BOB, 3);
    await subscribe(bob, '15559999999', 'p1');
    const ack = await bob.waitFor((n) => n.tag === 'ack' && n.attrs.id === 'p1');
    assert.deepEqual(ack.attrs, { class: 'presence', id: 'p1', error: 'recipient_unknown' });
    await bob.write({ tag: 'presence', attrs: { id: 'p2', type: 'subscribe', to: `${ALICE}:1@s.us` } });
    assert.equal((await bob.waitFor((n) => n.attrs.id === 'p2')).attrs.error, 'bad_request');
    await bob.write({ tag: 'presence', attrs: { id: 'p3', type: 'subscribe' } });
    assert.equal((await bob.waitFor((n) => n.attrs.id === 'p3')).attrs.error, 'bad_request');
    await bob.write({ tag: 'presence', attrs: { id: 'p4', type: 'dance' } });
    assert.equal((await bob.waitFor((n) => n.attrs.id === 'p4')).attrs.error, 'bad_request');
    bob.close('bye');
  });

  it('stops pushing after unsubscribe', async () => {
    const bob = await t.connect(BOB, 4);
    await subscribe(bob, CAROL);
    await bob.write({ tag: 'presence', attrs: { type: 'unsubscribe', to: `${CAROL}@s.us` } });
    const carol = await t.connect(CAROL);
    await available(carol);
    await sleep(30);
    assert.equal(bob.received.filter(isPresence(CAROL, 'available')).length, 0);
    carol.close('bye');
    bob.close('bye');
  });

  it(`bounds subscriptions per session at ${MAX_SUBSCRIPTIONS}`, async () => {
    const users = Array.from({ length: MAX_SUBSCRIPTIONS }, (_, i) => String(16660000000 + i));
    for (const u of users) await t.storage.accounts.ensureAccount(u, T0);
    const bob = await t.connect(BOB, 5);
    for (const u of users) await subscribe(bob, u);
    assert.equal(bob.received.filter((n) => n.tag === 'ack').length, 0);
    await subscribe(bob, ALICE, 'over');
    assert.equal((await bob.waitFor((n) => n.attrs.id === 'over')).attrs.error, 'not_allowed');
    await subscribe(bob, users[0]!, 'again');
    await sleep(10);
    assert.equal(
      bob.received.filter((n) => n.attrs.id === 'again').length,
      0,
      'a repeat is no new subscription',
    );
    // Closing frees them: a new session starts from zero.
    bob.close('bye');
    const bob2 = await t.connect(BOB, 5);
    await subscribe(bob2, ALICE, 'fresh');
    await bob2.waitFor(isPresence(ALICE));
    assert.equal(bob2.received.filter((n) => n.tag === 'ack').length, 0);
    bob2.close('bye');
  });
});
