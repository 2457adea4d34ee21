import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Node, toXml } from '../../wire/index.js';
import { createTestServer, type TestServer, type TestSession } from '../testing/harness.js';
import { CHATSTATES_PER_SECOND, chatstate } from './chatstate.js';

const ALICE = '15550000001';
const BOB = '15550000002';

const typing = (s: TestSession, to: string, state = 'composing', attrs: Record<string, string> = {}) =>
  s.write({ tag: 'chatstate', attrs: { to, ...attrs }, content: [{ tag: state, attrs: {} }] });

describe('chatstate', () => {
  let t: TestServer;
  const clock = { t: 1_700_000_000_000, now: () => clock.t };

  before(async () => {
    t = await createTestServer({ modules: [chatstate], clock });
    await t.addDevice(ALICE);
    await t.addDevice(BOB);
    await t.addDevice(BOB, 1);
  });
  after(() => t.stop());

  it('forwards to every live device of the recipient with from stamped, and stores nothing', async () => {
    clock.t += 10_000;
    const alice = await t.connect(ALICE);
    const bob0 = await t.connect(BOB, 0);
    const bob1 = await t.connect(BOB, 1);
    await typing(alice, `${BOB}@s.us`, 'composing', { from: `${BOB}:0@s.us` });
    await typing(alice, `${BOB}@s.us`, 'paused');
    for (const b of [bob0, bob1]) {
      assert.deepEqual(
        b.received.map((n) => toXml(n)),
        [
          `<chatstate from="${ALICE}:0@s.us" to="${BOB}@s.us"><composing/></chatstate>`,
          `<chatstate from="${ALICE}:0@s.us" to="${BOB}@s.us"><paused/></chatstate>`,
        ],
      );
    }
    assert.equal(alice.received.length, 0, 'no echo, no ack');
    assert.equal(await t.storage.queue.count(BOB, 0), 0);
    assert.equal(await t.storage.queue.count(BOB, 1), 0);
    for (const s of [alice, bob0, bob1]) s.close('bye');
  });

  it('is dropped when the recipient is offline (or unknown), not kept for later', async () => {
    clock.t += 10_000;
    const alice = await t.connect(ALICE);
    await typing(alice, `${BOB}@s.us`);
    await typing(alice, '15559999999@s.us');
    const bob = await t.connect(BOB);
    await sleep(20);
    assert.equal(bob.received.length, 0);
    assert.equal(alice.received.length, 0);
    assert.equal(await t.storage.queue.count(BOB, 0), 0);
    alice.close('bye');
    bob.close('bye');
  });

  it('refuses malformed chatstates with bad_request', async () => {
    clock.t += 10_000;
    const alice = await t.connect(ALICE);
    const bob = await t.connect(BOB);
    const bad: Node[] = [
      { tag: 'chatstate', attrs: { id: 'c1' }, content: [{ tag: 'composing', attrs: {} }] },
      {
        tag: 'chatstate',
        attrs: { id: 'c2', to: `${BOB}:1@s.us` },
        content: [{ tag: 'composing', attrs: {} }],
      },
      { tag: 'chatstate', attrs: { id: 'c3', to: `${BOB}@s.us` }, content: [{ tag: 'singing', attrs: {} }] },
      { tag: 'chatstate', attrs: { id: 'c4', to: `${BOB}@s.us` } },
      {
        tag: 'chatstate',
        attrs: { id: 'c5', to: `${BOB}@s.us` },
        content: [
          { tag: 'composing', attrs: {} },
          { tag: 'paused', attrs: {} },
        ],
      },
      {
        tag: 'chatstate',
        attrs: { id: 'c6', to: 'nobody@example.com' },
        content: [{ tag: 'paused', attrs: {} }],
      },
    ];
    for (const n of bad) {
      await alice.write(n);
      const ack = await alice.waitFor((x) => x.tag === 'ack' && x.attrs.id === n.attrs.id);
      assert.deepEqual(ack.attrs, { class: 'chatstate', id: n.attrs.id, error: 'bad_request' });
    }
    assert.equal(bob.received.length, 0);
    alice.close('bye');
    bob.close('bye');
  });

  it(`drops more than ${CHATSTATES_PER_SECOND} per second per session`, async () => {
    clock.t += 10_000;
    const alice = await t.connect(ALICE);
    const bob = await t.connect(BOB);
    for (let i = 0; i < 3 * CHATSTATES_PER_SECOND; i++) await typing(alice, `${BOB}@s.us`);
    assert.equal(bob.received.length, CHATSTATES_PER_SECOND);
    assert.equal(alice.received.length, 0, 'dropped silently');
    clock.t += 500;
    for (let i = 0; i < CHATSTATES_PER_SECOND; i++) await typing(alice, `${BOB}@s.us`);
    assert.equal(bob.received.length, CHATSTATES_PER_SECOND * 1.5, 'half a second refills half the bucket');
    // Another session of the same user has its own budget.
    const alice1 = await t.connect(ALICE, 1);
    await typing(alice1, `${BOB}@s.us`);
    assert.equal(bob.received.length, CHATSTATES_PER_SECOND * 1.5 + 1);
    for (const s of [alice, alice1, bob]) s.close('bye');
  });
});
