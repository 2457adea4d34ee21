import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { nodeCrypto } from '../../../e2e/crypto-node.js';
import { type PreKeyBundle, processPreKeyBundle, SessionCipher, xeddsaSign } from '../../../e2e/index.js';
import { type KeyUpload, parseBundle, uploadNodes } from '../../../protocol/prekeys.js';
import { child, children, type Node } from '../../../wire/index.js';
import type { Clock } from '../../core/clock.js';
import type { ServerConfigInput } from '../../core/config.js';
import { createTestServer, type TestServer, type TestSession } from '../../testing/harness.js';
import { A, ackOf, B, bJid, dev, settle } from '../delivery/testkit.js';
import { messaging } from '../messaging.js';
import { offline } from '../offline.js';
import { receipts } from '../receipts.js';
import { encrypt } from './index.js';
import { deviceKeys, encryptIq, iq, iqErrorOf, upload, uploadOf } from './testkit.js';

let ts: TestServer | undefined;
afterEach(async () => {
  await ts?.stop();
  ts = undefined;
});

async function server(
  devices: [string, number][],
  config: ServerConfigInput = {},
  clock?: Clock,
): Promise<TestServer> {
  ts = await createTestServer({
    modules: [offline, messaging, receipts, encrypt],
    config,
    ...(clock ? { clock } : {}),
  });
  for (const [u, d] of devices) await ts.addDevice(u, d);
  return ts;
}

const countOf = (answer: Node): number => Number(child(answer, 'count')?.attrs.value);

/** Fetches bundles (`<key><user jid/>…</key>`) and returns the answer's entries. */
async function fetch(s: TestSession, ...jids: string[]): Promise<Node[]> {
  const a = await iq(
    s,
    encryptIq('get', [
      { tag: 'key', attrs: {}, content: jids.map((jid) => ({ tag: 'user', attrs: { jid } })) },
    ]),
  );
  assert.equal(iqErrorOf(a), undefined, `fetch failed: ${JSON.stringify(a)}`);
  return children(child(a, 'list')!);
}

function bundleOf(n: Node): PreKeyBundle {
  const [user, device] = n.attrs.jid!.replace('@s.us', '').split(':');
  const b = parseBundle(n, user!, Number(device));
  assert.ok(b, 'a well-formed bundle');
  return {
    registrationId: b.registrationId,
    deviceId: b.device,
    preKeyId: b.prekey?.id,
    preKey: b.prekey?.publicKey,
    signedPreKeyId: b.signedPrekey.id,
    signedPreKey: b.signedPrekey.publicKey,
    signedPreKeySignature: b.signedPrekey.signature,
    identityKey: b.identityKey,
  };
}

describe('encrypt: the prekey directory', () => {
  it('stores an upload and answers count with what it holds', async () => {
    await server([[A, 0]]);
    const a = await ts!.connect(A);
    const k = deviceKeys({ prekeys: 7, signedId: 4 });
    const r = await upload(a, uploadOf(k));
    assert.equal(iqErrorOf(r), undefined);
    assert.equal(countOf(r), 7);
    const c = child(await iq(a, encryptIq('get', [{ tag: 'count', attrs: {} }])), 'count')!;
    assert.deepEqual(c.attrs, { value: '7', skey: '4' });
    assert.deepEqual(
      Array.from(child(c, 'identity')!.content as Uint8Array),
      Array.from(k.identity.publicKey),
    );
    // Replenishing sends only more one-time prekeys.
    const more = deviceKeys({ prekeys: 3, firstId: 8 });
    assert.equal(countOf(await upload(a, uploadOf(more, ['list']))), 10);
  });

  it('a device with nothing uploaded has a zero count and no identity', async () => {
    await server([[A, 0]]);
    const a = await ts!.connect(A);
    const c = child(await iq(a, encryptIq('get', [{ tag: 'count', attrs: {} }])), 'count')!;
    assert.deepEqual(c.attrs, { value: '0' });
    assert.equal(c.content, undefined);
  });

  it('refuses a signed prekey whose signature does not verify, and stores nothing', async () => {
    await server([[A, 0]]);
    const a = await ts!.connect(A);
    const k = deviceKeys();
    const other = deviceKeys();
    const good = uploadOf(k);
    const forged: KeyUpload[] = [
      // Signed by another identity.
      { ...good, signedPrekey: { ...good.signedPrekey!, signature: other.signed.signature } },
      // One bit flipped, the sign bit included.
      { ...good, signedPrekey: { ...good.signedPrekey!, signature: flip(good.signedPrekey!.signature, 0) } },
      {
        ...good,
        signedPrekey: { ...good.signedPrekey!, signature: flip(good.signedPrekey!.signature, 63 * 8 + 7) },
      },
      // A valid signature over another key.
      { ...good, signedPrekey: { ...good.signedPrekey!, publicKey: other.signed.keyPair.publicKey } },
    ];
    for (const u of forged) {
      const r = await upload(a, u);
      assert.equal(iqErrorOf(r), 'bad_request');
      assert.match(JSON.stringify(r), /does not verify/);
    }
    assert.equal(await ts!.storage.prekeys.getKeys(A, 0), undefined);
    assert.equal(await ts!.storage.prekeys.count(A, 0), 0);
    // Rotation is checked against the stored identity too.
    assert.equal(iqErrorOf(await upload(a, good)), undefined);
    const rotated = { id: 2, publicKey: other.signed.keyPair.publicKey, signature: other.signed.signature };
    assert.equal(iqErrorOf(await upload(a, { signedPrekey: rotated })), 'bad_request');
    assert.deepEqual(
      (await ts!.storage.prekeys.signedPrekeys(A, 0)).map((s) => s.id),
      [1],
    );
  });

  it('refuses keys of the wrong type or length and malformed uploads', async () => {
    await server([[A, 0]], { encrypt: { maxUpload: 5 } });
    const a = await ts!.connect(A);
    const k = deviceKeys();
    const good = uploadOf(k);
    const wrongType = Uint8Array.from(k.identity.publicKey);
    wrongType[0] = 0x06;
    const spkWrongType = Uint8Array.from(k.signed.keyPair.publicKey);
    spkWrongType[0] = 0x00;
    const cases: [string, Node[]][] = [
      ['identity of another type', uploadNodes({ ...good, identity: { key: wrongType, registrationId: 1 } })],
      [
        'signed prekey of another type',
        uploadNodes({
          ...good,
          signedPrekey: {
            id: 1,
            publicKey: spkWrongType,
            signature: xeddsaSign(k.identity.privateKey, spkWrongType),
          },
        }),
      ],
      [
        'one-time prekey of another type',
        uploadNodes({ ...good, prekeys: [{ id: 1, publicKey: wrongType }] }),
      ],
      [
        '32-byte identity',
        uploadNodes({ ...good, identity: { key: k.identity.publicKey.subarray(1), registrationId: 1 } }),
      ],
      [
        'registration id 0',
        uploadNodes({ ...good, identity: { key: k.identity.publicKey, registrationId: 0 } }),
      ],
      [
        'registration id too big',
        uploadNodes({ ...good, identity: { key: k.identity.publicKey, registrationId: 0x4000 } }),
      ],
      ['prekey id twice', uploadNodes({ ...good, prekeys: [good.prekeys![0]!, good.prekeys![0]!] })],
      [
        'too many in one upload',
        uploadNodes({
          ...good,
          prekeys: deviceKeys({ prekeys: 6 }).prekeys.map((p) => ({
            id: p.id,
            publicKey: p.keyPair.publicKey,
          })),
        }),
      ],
      ['nothing', []],
      ['unknown child', [{ tag: 'junk', attrs: {} }]],
      ['one-time prekeys before any identity', uploadNodes(uploadOf(k, ['list']))],
      ['identity without a signed prekey', uploadNodes(uploadOf(k, ['identity', 'list']))],
    ];
    for (const [what, content] of cases) {
      const r = await iq(a, encryptIq('set', content));
      assert.equal(iqErrorOf(r), 'bad_request', what);
    }
    assert.equal(await ts!.storage.prekeys.getKeys(A, 0), undefined);
  });

  it('refuses more one-time prekeys than a device may store with too_large', async () => {
    await server([[A, 0]], { encrypt: { maxPrekeys: 8 } });
    const a = await ts!.connect(A);
    const k = deviceKeys({ prekeys: 5 });
    assert.equal(countOf(await upload(a, uploadOf(k))), 5);
    const more = deviceKeys({ prekeys: 4, firstId: 6 });
    assert.equal(iqErrorOf(await upload(a, uploadOf(more, ['list']))), 'too_large');
    assert.equal(await ts!.storage.prekeys.count(A, 0), 5);
  });

  it('hands out one bundle per device, each one-time prekey once, and a session works from it', async () => {
    await server([
      [A, 0],
      [B, 0],
      [B, 1],
      [B, 2],
    ]);
    const b0 = deviceKeys({ prekeys: 2, firstId: 1 });
    const b1 = deviceKeys({ prekeys: 1, firstId: 50 });
    await upload(await ts!.connect(B, 0), uploadOf(b0));
    await upload(await ts!.connect(B, 1), uploadOf(b1));
    // B:2 has not uploaded anything: it cannot receive and gets no bundle.
    const a = await ts!.connect(A);

    const first = await fetch(a, bJid);
    assert.deepEqual(
      first.map((n) => [n.attrs.jid, child(n, 'key')?.attrs.id]),
      [
        [dev(B, 0), '1'],
        [dev(B, 1), '50'],
      ],
    );
    const second = await fetch(a, bJid);
    assert.deepEqual(
      second.map((n) => [n.attrs.jid, child(n, 'key')?.attrs.id]),
      [
        [dev(B, 0), '2'],
        [dev(B, 1), undefined],
      ],
    );
    // Out of one-time prekeys: still a bundle (identity and signed prekey).
    const third = await fetch(a, dev(B, 1));
    assert.equal(third[0]?.attrs.jid, dev(B, 1));
    assert.equal(child(third[0]!, 'key'), undefined);
    assert.ok(child(third[0]!, 'skey'));

    // The bundle is what the device uploaded: X3DH with it reaches B:0, which decrypts.
    const alice = deviceKeys();
    const addr = { name: B, deviceId: 0 };
    await processPreKeyBundle(alice.stores, addr, bundleOf(first[0]!), { crypto: nodeCrypto });
    const sent = await new SessionCipher(alice.stores, addr, { crypto: nodeCrypto }).encrypt(
      new TextEncoder().encode('hi'),
    );
    assert.equal(sent.type, 'pkmsg');
    const got = await new SessionCipher(b0.stores, { name: A, deviceId: 0 }, { crypto: nodeCrypto }).decrypt(
      sent.type,
      sent.body,
    );
    assert.equal(new TextDecoder().decode(got), 'hi');
  });

  it('never hands a device its own bundle; unknown users and keyless devices are named in the answer', async () => {
    await server([
      [A, 0],
      [A, 1],
      [B, 0],
    ]);
    const a0 = await ts!.connect(A, 0);
    await upload(a0, uploadOf(deviceKeys()));
    await upload(await ts!.connect(A, 1), uploadOf(deviceKeys()));
    const own = await fetch(a0, `${A}@s.us`);
    assert.deepEqual(
      own.map((n) => n.attrs.jid),
      [dev(A, 1)],
    );
    const answers = await fetch(a0, dev(A, 0), dev(B, 0), dev(B, 9), '15559999999@s.us');
    assert.deepEqual(
      answers.map((n) => n.attrs),
      [
        { jid: dev(A, 0), error: 'item_not_found' },
        { jid: dev(B, 0), error: 'item_not_found' },
        { jid: dev(B, 9), error: 'item_not_found' },
        { jid: '15559999999@s.us', error: 'recipient_unknown' },
      ],
    );
    for (const bad of [[], ['nobody'], [bJid, bJid]]) {
      const r = await iq(
        a0,
        encryptIq('get', [
          { tag: 'key', attrs: {}, content: bad.map((jid) => ({ tag: 'user', attrs: { jid } })) },
        ]),
      );
      assert.equal(iqErrorOf(r), 'bad_request', JSON.stringify(bad));
    }
  });

  it('lists the devices that can receive', async () => {
    await server([
      [A, 0],
      [B, 0],
      [B, 3],
      [B, 5],
    ]);
    await upload(await ts!.connect(B, 0), uploadOf(deviceKeys()));
    await upload(await ts!.connect(B, 5), uploadOf(deviceKeys()));
    const a = await ts!.connect(A);
    const r = await iq(
      a,
      encryptIq('get', [
        {
          tag: 'devices',
          attrs: {},
          content: [bJid, `${A}@s.us`, '15559999999@s.us'].map((jid) => ({ tag: 'user', attrs: { jid } })),
        },
      ]),
    );
    const users = children(child(r, 'devices')!);
    assert.deepEqual(
      users.map((u) => [u.attrs.jid, u.attrs.error, children(u).map((d) => d.attrs.id)]),
      [
        [bJid, undefined, ['0', '5']],
        [`${A}@s.us`, undefined, []],
        ['15559999999@s.us', 'recipient_unknown', []],
      ],
    );
    const deviceJidQuery = await iq(
      a,
      encryptIq('get', [
        { tag: 'devices', attrs: {}, content: [{ tag: 'user', attrs: { jid: dev(B, 0) } }] },
      ]),
    );
    assert.equal(iqErrorOf(deviceJidQuery), 'bad_request');
    assert.equal(iqErrorOf(await iq(a, encryptIq('get', [{ tag: 'nonsense', attrs: {} }]))), 'bad_request');
  });

  it('notifies a device once when its one-time prekeys drop below the low-water mark', async () => {
    await server(
      [
        [A, 0],
        [B, 0],
      ],
      { encrypt: { lowWater: 3 } },
    );
    const b = await ts!.connect(B);
    const k = deviceKeys({ prekeys: 5 });
    await upload(b, uploadOf(k));
    const a = await ts!.connect(A);
    const notes = () => b.received.filter((n) => n.tag === 'notification');
    await fetch(a, bJid);
    await fetch(a, bJid);
    await settle();
    assert.equal(notes().length, 0, '3 left: not below the mark');
    await fetch(a, bJid);
    const n = await b.waitFor((x) => x.tag === 'notification');
    assert.deepEqual(Object.keys(n.attrs), ['id', 'from', 'type', 't']);
    assert.equal(n.attrs.from, 's.us');
    assert.equal(n.attrs.type, 'encrypt');
    assert.equal(child(n, 'count')?.attrs.value, '2');
    await fetch(a, bJid);
    await fetch(a, bJid);
    await settle();
    assert.equal(notes().length, 1, 'once per shortage');
    // The device acks it (the queue forgets it) and replenishes; the next shortage is told again.
    await b.write(ackOf(n));
    assert.equal(await ts!.storage.queue.count(B, 0), 0);
    assert.equal(countOf(await upload(b, uploadOf(deviceKeys({ prekeys: 4, firstId: 100 }), ['list']))), 4);
    await fetch(a, bJid);
    await fetch(a, bJid);
    await settle();
    assert.equal(notes().length, 2);
    assert.equal(child(notes()[1]!, 'count')?.attrs.value, '2');
  });

  it('queues the notification for an offline device', async () => {
    await server(
      [
        [A, 0],
        [B, 0],
      ],
      { encrypt: { lowWater: 10 } },
    );
    const b = await ts!.connect(B);
    await upload(b, uploadOf(deviceKeys({ prekeys: 2 })));
    b.close('bye');
    await fetch(await ts!.connect(A), bJid);
    const again = await ts!.connect(B);
    const n = await again.waitFor((x) => x.tag === 'notification');
    assert.equal(n.attrs.offline, '1');
    assert.equal(child(n, 'count')?.attrs.value, '1');
  });

  it('rotates signed prekeys: bundles carry the newest, a few older ones are kept', async () => {
    let now = 1_000_000;
    await server(
      [
        [A, 0],
        [B, 0],
      ],
      { encrypt: { keepSignedPrekeys: 2 } },
      { now: () => now },
    );
    const b = await ts!.connect(B);
    const k = deviceKeys({ prekeys: 3 });
    await upload(b, uploadOf(k));
    const a = await ts!.connect(A);
    for (const id of [2, 3]) {
      now += 1000;
      const next = deviceKeys({ signedId: id });
      const spk = {
        id,
        publicKey: next.signed.keyPair.publicKey,
        signature: xeddsaSign(k.identity.privateKey, next.signed.keyPair.publicKey),
      };
      assert.equal(iqErrorOf(await upload(b, { signedPrekey: spk })), undefined);
      const [bundle] = await fetch(a, bJid);
      assert.equal(child(bundle!, 'skey')?.attrs.id, String(id));
    }
    assert.deepEqual(
      (await ts!.storage.prekeys.signedPrekeys(B, 0)).map((s) => s.id),
      [3, 2],
    );
    assert.equal(await ts!.storage.prekeys.count(B, 0), 1, 'one-time prekeys survive rotation');
  });

  it('a new identity key replaces the old keys; bundles never mix the two', async () => {
    await server([
      [A, 0],
      [B, 0],
    ]);
    const b = await ts!.connect(B);
    await upload(b, uploadOf(deviceKeys({ prekeys: 3 })));
    const reinstalled = deviceKeys({ prekeys: 1, firstId: 77 });
    assert.equal(countOf(await upload(b, uploadOf(reinstalled))), 1);
    const [bundle] = await fetch(await ts!.connect(A), bJid);
    assert.equal(child(bundle!, 'key')?.attrs.id, '77');
    assert.deepEqual(
      Array.from(child(bundle!, 'identity')!.content as Uint8Array),
      Array.from(reinstalled.identity.publicKey),
    );
  });

  it('limits how many bundles one device may take per minute', async () => {
    await server(
      [
        [A, 0],
        [B, 0],
      ],
      { encrypt: { bundlesPerMinute: 3 } },
    );
    await upload(await ts!.connect(B), uploadOf(deviceKeys({ prekeys: 10 })));
    const a = await ts!.connect(A);
    for (let i = 0; i < 3; i++) await fetch(a, bJid);
    const r = await iq(
      a,
      encryptIq('get', [{ tag: 'key', attrs: {}, content: [{ tag: 'user', attrs: { jid: bJid } }] }]),
    );
    assert.equal(iqErrorOf(r), 'rate_overlimit');
    assert.equal(await ts!.storage.prekeys.count(B, 0), 7);
  });
});

function flip(b: Uint8Array, bit: number): Uint8Array {
  const out = Uint8Array.from(b);
  out[bit >> 3]! ^= 1 << (bit & 7);
  return out;
}
