import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Node, toXml } from '../../wire/index.js';
import { createTestServer, type TestServer, type TestSession } from '../testing/harness.js';
import { contacts, MAX_CONTACTS } from './contacts.js';
import { privacy } from './privacy.js';

const ALICE = '15550000001';
const BOB = '15550000002';
const CAROL = '15550000003';

let ids = 0;
async function iq(s: TestSession, xmlns: string, type: 'get' | 'set', content?: Node[]): Promise<Node> {
  const id = `q${++ids}`;
  await s.write({ tag: 'iq', attrs: { id, type, xmlns }, ...(content ? { content } : {}) });
  return s.waitFor((n) => n.tag === 'iq' && n.attrs.id === id);
}
const category = (name: string, value: string): Node => ({ tag: 'category', attrs: { name, value } });
const privacyNode = (...cats: Node[]): Node => ({ tag: 'privacy', attrs: {}, content: cats });
const userList = (...jids: string[]): Node => ({
  tag: 'contacts',
  attrs: {},
  content: jids.map((jid) => ({ tag: 'user', attrs: { jid } })),
});
const errorOf = (n: Node) =>
  n.attrs.type === 'error' && Array.isArray(n.content) ? n.content[0]?.attrs : undefined;

describe('privacy and contacts iqs', () => {
  let t: TestServer;
  let alice: TestSession;

  before(async () => {
    t = await createTestServer({ modules: [privacy, contacts] });
    await t.addDevice(ALICE);
    alice = await t.connect(ALICE);
  });
  after(() => t.stop());

  it('privacy get answers the stored setting, everyone by default', async () => {
    const r = await iq(alice, 'privacy', 'get');
    assert.equal(
      toXml(r),
      '<iq id="q1" type="result" from="s.us"><privacy><category name="last" value="all"/></privacy></iq>',
    );
  });

  it('privacy set stores the setting and answers the settings in force', async () => {
    for (const [wire, stored] of [
      ['contacts', 'contacts'],
      ['none', 'nobody'],
      ['all', 'everyone'],
      ['none', 'nobody'],
    ] as const) {
      const r = await iq(alice, 'privacy', 'set', [privacyNode(category('last', wire))]);
      assert.equal(r.attrs.type, 'result');
      assert.equal(
        toXml((r.content as Node[])[0]!),
        `<privacy><category name="last" value="${wire}"/></privacy>`,
      );
      assert.equal((await t.storage.presence.getPrivacy(ALICE)).lastSeen, stored);
      const g = await iq(alice, 'privacy', 'get');
      assert.equal(((g.content as Node[])[0]!.content as Node[])[0]?.attrs.value, wire);
    }
  });

  it('privacy set refuses bad input and changes nothing', async () => {
    const bad: Node[][] = [
      [],
      [privacyNode()],
      [privacyNode(category('last', 'friends'))],
      [privacyNode(category('last', 'toString'))],
      [privacyNode(category('profile', 'all'))],
      [privacyNode(category('last', 'all'), { tag: 'item', attrs: { name: 'last', value: 'all' } })],
    ];
    for (const content of bad) {
      const r = await iq(alice, 'privacy', 'set', content);
      assert.deepEqual(errorOf(r)?.reason, 'bad_request', toXml(r));
      assert.equal(errorOf(r)?.code, '400');
    }
    assert.equal((await t.storage.presence.getPrivacy(ALICE)).lastSeen, 'nobody');
  });

  it('contacts set replaces the list (deduplicated) and get returns it', async () => {
    let r = await iq(alice, 'w:contacts', 'set', [userList(`${BOB}@s.us`, `${CAROL}@s.us`, `${BOB}@s.us`)]);
    assert.equal(toXml(r), `<iq id="${r.attrs.id}" type="result" from="s.us"/>`);
    assert.deepEqual(await t.storage.contacts.getContacts(ALICE), [BOB, CAROL]);
    assert.equal(await t.storage.contacts.hasContact(ALICE, BOB), true);

    r = await iq(alice, 'w:contacts', 'get');
    assert.equal(
      toXml((r.content as Node[])[0]!),
      `<contacts><user jid="${BOB}@s.us"/><user jid="${CAROL}@s.us"/></contacts>`,
    );

    await iq(alice, 'w:contacts', 'set', [userList(`${CAROL}@s.us`)]);
    assert.deepEqual(await t.storage.contacts.getContacts(ALICE), [CAROL]);
    await iq(alice, 'w:contacts', 'set', [{ tag: 'contacts', attrs: {} }]);
    assert.deepEqual(await t.storage.contacts.getContacts(ALICE), []);
  });

  it('contacts set refuses bad jids and oversized lists, keeping the old list', async () => {
    await iq(alice, 'w:contacts', 'set', [userList(`${BOB}@s.us`)]);
    const bad: [Node[], string][] = [
      [[], 'bad_request'],
      [[userList(`${BOB}:1@s.us`)], 'bad_request'],
      [[userList(`${CAROL}@s.us`, 'bob@example.com')], 'bad_request'],
      [[userList('123@s.us')], 'bad_request'],
      [
        [{ tag: 'contacts', attrs: {}, content: [{ tag: 'group', attrs: { jid: `${BOB}@s.us` } }] }],
        'bad_request',
      ],
      [[{ tag: 'contacts', attrs: {}, content: [{ tag: 'user', attrs: {} }] }], 'bad_request'],
      [
        [userList(...Array.from({ length: MAX_CONTACTS + 1 }, (_, i) => `${16660000000 + i}@s.us`))],
        'too_large',
      ],
    ];
    for (const [content, reason] of bad) {
      const r = await iq(alice, 'w:contacts', 'set', content);
      assert.equal(errorOf(r)?.reason, reason);
    }
    assert.deepEqual(await t.storage.contacts.getContacts(ALICE), [BOB]);
    const max = Array.from({ length: MAX_CONTACTS }, (_, i) => `${16660000000 + i}@s.us`);
    const r = await iq(alice, 'w:contacts', 'set', [userList(...max)]);
    assert.equal(r.attrs.type, 'result');
    assert.equal((await t.storage.contacts.getContacts(ALICE)).length, MAX_CONTACTS);
  });
});
