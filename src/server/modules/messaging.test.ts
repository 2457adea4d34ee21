import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { contentText, type Node, nodesEqual } from '../../wire/index.js';
import type { TestServer } from '../testing/harness.js';
import {
  A,
  ackOf,
  aJid,
  B,
  bJid,
  deliveryServer,
  dev,
  got,
  isAck,
  isMsg,
  msg,
  send,
  settle,
} from './delivery/testkit.js';

let ts: TestServer | undefined;
afterEach(async () => {
  await ts?.stop();
  ts = undefined;
});

describe('messaging', () => {
  it('acks with t, stamps from over a forged one, delivers, and forgets once the recipient acks', async () => {
    ts = await deliveryServer();
    const a = await ts.connect(A);
    const b = await ts.connect(B);
    const sent = msg('m1', bJid, 'hello', { from: dev(B, 7), t: '1', offline: '1', edit: '2' });
    const ack = await send(a, sent);
    assert.deepEqual(Object.keys(ack.attrs), ['class', 'id', 't']);
    assert.match(ack.attrs.t!, /^[0-9]+$/);
    const got1 = await b.waitFor(isMsg('m1'));
    // Server-owned attributes are the server's; the client's other attributes and children are kept.
    assert.deepEqual(got1.attrs, {
      id: 'm1',
      from: dev(A),
      to: bJid,
      type: 'text',
      edit: '2',
      t: ack.attrs.t,
    });
    assert.deepEqual(Object.keys(got1.attrs), ['id', 'from', 'to', 'type', 'edit', 't']);
    assert.ok(nodesEqual({ ...got1, attrs: {} }, { ...sent, attrs: {} }));
    // The message is durable before it is delivered: the ack came first.
    assert.equal(await ts.storage.queue.count(B, 0), 1);
    await b.write(ackOf(got1));
    assert.equal(await ts.storage.queue.count(B, 0), 0);
    // The sender's only device gets no copy of its own message.
    await settle();
    assert.equal(got(a, 'message').length, 0);
  });

  it("fans out to every recipient device and the sender's other devices, but not to the sender", async () => {
    ts = await deliveryServer({
      devices: [
        [A, 0],
        [A, 2],
        [B, 0],
        [B, 1],
      ],
    });
    const a0 = await ts.connect(A, 0);
    const a2 = await ts.connect(A, 2);
    const b0 = await ts.connect(B, 0);
    const b1 = await ts.connect(B, 1);
    await send(a0, msg('fan', bJid));
    for (const s of [b0, b1, a2]) {
      const m = await s.waitFor(isMsg('fan'));
      // The copy on a sender's own device keeps `to` (the conversation) and `from` (which device).
      assert.equal(m.attrs.from, dev(A, 0));
      assert.equal(m.attrs.to, bJid);
    }
    await settle();
    assert.equal(got(a0, 'message').length, 0);

    // A device address reaches that one device only.
    await send(a0, msg('one', dev(B, 1)));
    const m = await b1.waitFor(isMsg('one'));
    assert.equal(m.attrs.to, dev(B, 1));
    await settle();
    assert.equal(got(b0, 'message').filter((n) => n.attrs.id === 'one').length, 0);
    assert.equal(got(a2, 'message').filter((n) => n.attrs.id === 'one').length, 0);

    // A message to one's own user reaches the other devices (note to self).
    await send(a0, msg('self', aJid));
    assert.equal((await a2.waitFor(isMsg('self'))).attrs.from, dev(A, 0));
  });

  it('acks a resent id with the original t and delivers it once, also after the recipient acked it', async () => {
    let now = 1_700_000_000_000;
    ts = await deliveryServer({ clock: { now: () => now } });
    const a = await ts.connect(A);
    const b = await ts.connect(B);
    const first = await send(a, msg('dup', bJid, 'one'));
    assert.equal(first.attrs.t, '1700000000');
    const delivered = await b.waitFor(isMsg('dup'));
    now += 5_000;
    const again = await send(a, msg('dup', bJid, 'changed'));
    assert.equal(again.attrs.t, '1700000000');
    await settle();
    assert.equal(got(b, 'message').length, 1);
    assert.equal(await ts.storage.queue.count(B, 0), 1);

    await b.write(ackOf(delivered));
    now += 5_000;
    const third = await send(a, msg('dup', bJid, 'three'));
    assert.equal(third.attrs.t, '1700000000');
    await settle();
    assert.equal(got(b, 'message').length, 1);
    assert.equal(await ts.storage.queue.count(B, 0), 0);
    assert.equal(contentText((delivered.content as Node[])[0]!), 'one');
  });

  it('refuses malformed messages and unknown recipients with error acks, and keeps the session', async () => {
    ts = await deliveryServer();
    await ts.storage.accounts.ensureAccount('15550009999', Date.now()); // an account without devices
    const a = await ts.connect(A);
    const bad: [Node, string][] = [
      [msg('x'.repeat(65), bJid), 'bad_request'],
      [msg('bad id', bJid), 'bad_request'],
      [msg('', bJid), 'bad_request'],
      [msg('badto', 'nobody@s.us'), 'bad_request'],
      [msg('group', '123456789@g.us'), 'bad_request'],
      [msg('dev', `${B}:300@s.us`), 'bad_request'],
      [{ tag: 'message', attrs: { id: 'notype', to: bJid } }, 'bad_request'],
      [{ tag: 'message', attrs: { id: 'noto', type: 'text' } }, 'bad_request'],
      [
        { tag: 'message', attrs: { id: 'bytes', to: bJid, type: 'text' }, content: new Uint8Array([1]) },
        'bad_request',
      ],
      [msg('ghost', '15550008888@s.us'), 'recipient_unknown'],
      [msg('nodev', '15550009999@s.us'), 'recipient_unknown'],
      [msg('nodevice', dev(B, 3)), 'recipient_unknown'],
    ];
    for (const [node, code] of bad) {
      const from = a.received.length;
      await a.write(node);
      const ack = await a.waitFor((n) => n.tag === 'ack', 2000, from);
      assert.equal(ack.attrs.class, 'message', node.attrs.id);
      assert.equal(ack.attrs.error, code, node.attrs.id);
      if (node.attrs.id) assert.equal(ack.attrs.id, node.attrs.id);
      assert.equal(ack.attrs.t, undefined);
    }
    // A missing id cannot be echoed: the error ack has none.
    const from = a.received.length;
    await a.write({ tag: 'message', attrs: { to: bJid, type: 'text' } });
    assert.deepEqual((await a.waitFor((n) => n.tag === 'ack', 2000, from)).attrs, {
      class: 'message',
      error: 'bad_request',
    });
    assert.equal(await ts.storage.queue.count(B, 0), 0);
    assert.equal(a.closed, false);
    assert.ok((await send(a, msg('fine', bJid))).attrs.t);
  });

  it('answers queue_full at the bound and stores nothing for any device', async () => {
    ts = await deliveryServer({
      config: { offline: { maxQueue: 2 } },
      devices: [
        [A, 0],
        [B, 0],
        [B, 1],
      ],
    });
    const a = await ts.connect(A);
    await send(a, msg('q1', dev(B, 0)));
    await send(a, msg('q2', dev(B, 0)));
    const full = await send(a, msg('q3', bJid));
    assert.deepEqual(full.attrs, { class: 'message', id: 'q3', error: 'queue_full' });
    // All or nothing: B:1 had room, yet got nothing either.
    assert.equal(await ts.storage.queue.count(B, 0), 2);
    assert.equal(await ts.storage.queue.count(B, 1), 0);
    // Not recorded as accepted: once there is room, the same id goes through.
    const b = await ts.connect(B, 0);
    for (const m of got(b, 'message')) await b.write(ackOf(m));
    assert.ok((await send(a, msg('q3', bJid))).attrs.t);
    assert.ok(await b.waitFor(isMsg('q3')));
  });

  it('acks only after the store committed, and answers a failed store with a retryable error', async () => {
    ts = await deliveryServer();
    const a = await ts.connect(A);
    const b = await ts.connect(B);
    const queue = ts.storage.queue;
    const accept = queue.accept.bind(queue);
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    queue.accept = async (req) => {
      await gate;
      return accept(req);
    };
    const writing = a.write(msg('slow', bJid));
    await settle();
    assert.equal(got(a, 'ack').length, 0, 'no ack while the store is pending');
    assert.equal(got(b, 'message').length, 0);
    release();
    await writing;
    assert.ok(a.received.find(isAck('slow'))!.attrs.t);

    queue.accept = async () => {
      throw new Error('disk full');
    };
    const failed = await send(a, msg('lost', bJid));
    assert.deepEqual(failed.attrs, { class: 'message', id: 'lost', error: 'internal' });
    queue.accept = accept;
    await settle();
    assert.equal(got(b, 'message').filter((n) => n.attrs.id === 'lost').length, 0);
    // The client retries the same id and it goes through.
    assert.ok((await send(a, msg('lost', bJid))).attrs.t);
    assert.ok(await b.waitFor(isMsg('lost')));
  });

  it('ignores acks for unknown keys without answering', async () => {
    ts = await deliveryServer();
    const b = await ts.connect(B);
    const before = b.received.length;
    await b.write({ tag: 'ack', attrs: { class: 'message', id: 'never', to: dev(A) } });
    await b.write({ tag: 'ack', attrs: { class: 'bogus' } });
    await settle();
    assert.equal(b.received.length, before);
    assert.equal(b.closed, false);
    const a = await ts.connect(A);
    await send(a, msg('after', bJid));
    assert.ok(await b.waitFor(isMsg('after')));
    assert.ok(a.received.some(isAck('after')));
  });
});

/** `<message id to type><participants><to jid><enc v type>…</enc></to>…</participants></message>` */
function encMsg(id: string, to: string, devices: string[], attrs: Record<string, string> = {}): Node {
  return {
    tag: 'message',
    attrs: { id, to, type: 'text', ...attrs },
    content: [
      {
        tag: 'participants',
        attrs: {},
        content: devices.map((jid) => ({
          tag: 'to',
          attrs: { jid },
          content: [
            { tag: 'enc', attrs: { v: '2', type: 'msg' }, content: new TextEncoder().encode(`for ${jid}`) },
          ],
        })),
      },
    ],
  };
}

/** Gives a device end-to-end keys in the directory, so it counts as able to receive. */
async function withKeys(t: TestServer, user: string, device: number): Promise<void> {
  await t.storage.prekeys.upload({
    user,
    device,
    now: 1,
    identity: {
      key: Uint8Array.from({ length: 33 }, (_, i) => (i === 0 ? 5 : i + device)),
      registrationId: 1,
    },
    signedPrekey: { id: 1, publicKey: new Uint8Array(33).fill(5), signature: new Uint8Array(64) },
    keepSigned: 3,
    maxPrekeys: 10,
  });
}

const encText = (n: Node): string =>
  new TextDecoder().decode((n.content as Node[])[0]!.content as Uint8Array);

describe('messaging: end-to-end encrypted fan-out', () => {
  async function fourDevices(): Promise<TestServer> {
    const t = await deliveryServer({
      devices: [
        [A, 0],
        [A, 1],
        [A, 2],
        [B, 0],
        [B, 1],
      ],
    });
    // A:2 never uploaded keys: it cannot decrypt, so nobody encrypts for it.
    for (const [u, d] of [
      [A, 0],
      [A, 1],
      [B, 0],
      [B, 1],
    ] as const)
      await withKeys(t, u, d);
    return t;
  }

  it('sends each device only its own <enc>, and nothing to devices without keys', async () => {
    ts = await fourDevices();
    const [a0, a1, a2, b0, b1] = await Promise.all([
      ts.connect(A, 0),
      ts.connect(A, 1),
      ts.connect(A, 2),
      ts.connect(B, 0),
      ts.connect(B, 1),
    ]);
    const ack = await send(a0, encMsg('e1', bJid, [dev(B, 0), dev(B, 1), dev(A, 1)], { edit: '1' }));
    assert.ok(ack.attrs.t);
    for (const [s, jid] of [
      [b0, dev(B, 0)],
      [b1, dev(B, 1)],
      [a1, dev(A, 1)],
    ] as const) {
      const m = await s.waitFor(isMsg('e1'));
      assert.deepEqual(m.attrs, {
        id: 'e1',
        from: dev(A, 0),
        to: bJid,
        type: 'text',
        edit: '1',
        t: ack.attrs.t,
      });
      const kids = m.content as Node[];
      assert.equal(kids.length, 1);
      assert.deepEqual(kids[0]!.attrs, { v: '2', type: 'msg' });
      assert.equal(kids[0]!.tag, 'enc');
      assert.equal(new TextDecoder().decode(kids[0]!.content as Uint8Array), `for ${jid}`);
    }
    await settle();
    assert.equal(got(a2, 'message').length, 0);
    assert.equal(got(a0, 'message').length, 0);
    // Idempotent like any message: a resend is acked with the original t and stored once.
    const again = await send(a0, encMsg('e1', bJid, [dev(B, 0), dev(B, 1), dev(A, 1)]));
    assert.equal(again.attrs.t, ack.attrs.t);
    await settle();
    assert.equal(got(b0, 'message').length, 1);
  });

  it('answers device_mismatch when the participants are not exactly the devices that can receive', async () => {
    ts = await fourDevices();
    const a0 = await ts.connect(A, 0);
    const wrong: [string, string[]][] = [
      ['missing own device', [dev(B, 0), dev(B, 1)]],
      ['missing recipient device', [dev(B, 0), dev(A, 1)]],
      ['device without keys', [dev(B, 0), dev(B, 1), dev(A, 1), dev(A, 2)]],
      ['unknown device', [dev(B, 0), dev(B, 1), dev(A, 1), dev(B, 7)]],
      ['the sender itself', [dev(B, 0), dev(B, 1), dev(A, 1), dev(A, 0)]],
      ['nobody', []],
    ];
    for (const [what, devices] of wrong) {
      const ack = await send(a0, encMsg(`w${devices.length}${what.length}`, bJid, devices));
      assert.equal(ack.attrs.error, 'device_mismatch', what);
    }
    for (const [u, d] of [
      [B, 0],
      [B, 1],
      [A, 1],
    ] as const)
      assert.equal(await ts.storage.queue.count(u, d), 0);
    // Not recorded as accepted: the same id goes through once re-encrypted for the right devices.
    const id = `w0${'nobody'.length}`;
    assert.ok((await send(a0, encMsg(id, bJid, [dev(B, 1), dev(A, 1), dev(B, 0)]))).attrs.t);
  });

  it('refuses malformed participants', async () => {
    ts = await fourDevices();
    const a0 = await ts.connect(A, 0);
    const good = encMsg('x', bJid, [dev(B, 0), dev(B, 1), dev(A, 1)]);
    const parts = (good.content as Node[])[0]!;
    const entry = (parts.content as Node[])[0]!;
    const enc = (entry.content as Node[])[0]!;
    const variants: [string, Node[]][] = [
      ['two participants', [parts, parts]],
      ['user jid', [{ ...parts, content: [{ ...entry, attrs: { jid: bJid } }] }]],
      ['repeated device', [{ ...parts, content: [entry, entry] }]],
      ['bytes participants', [{ ...parts, content: new Uint8Array(1) }]],
      ['not <to>', [{ ...parts, content: [{ ...entry, tag: 'from' }] }]],
      ['no enc', [{ ...parts, content: [{ ...entry, content: [] }] }]],
      ['enc without type', [{ ...parts, content: [{ ...entry, content: [{ ...enc, attrs: { v: '2' } }] }] }]],
      [
        'enc of unknown type',
        [{ ...parts, content: [{ ...entry, content: [{ ...enc, attrs: { v: '2', type: 'skmsg' } }] }] }],
      ],
      [
        'empty enc',
        [{ ...parts, content: [{ ...entry, content: [{ ...enc, content: new Uint8Array(0) }] }] }],
      ],
      ['extra attribute on <to>', [{ ...parts, content: [{ ...entry, attrs: { jid: dev(B, 0), x: '1' } }] }]],
    ];
    for (const [what, content] of variants) {
      const ack = await send(a0, {
        ...good,
        attrs: { ...good.attrs, id: `bad${variants.findIndex((v) => v[0] === what)}` },
        content,
      });
      assert.equal(ack.attrs.error, 'bad_request', what);
    }
  });

  it('a resend for one device (retry="N") is a new delivery of the same id, acked with retry and to', async () => {
    ts = await fourDevices();
    const a0 = await ts.connect(A, 0);
    const b0 = await ts.connect(B, 0);
    const b1 = await ts.connect(B, 1);
    const first = await send(a0, encMsg('r1', bJid, [dev(B, 0), dev(B, 1), dev(A, 1)]));
    const original = await b0.waitFor(isMsg('r1'));
    await b0.write(ackOf(original));
    const resend = await send(a0, encMsg('r1', dev(B, 0), [dev(B, 0)], { retry: '1' }));
    assert.deepEqual(resend.attrs, {
      class: 'message',
      id: 'r1',
      t: resend.attrs.t!,
      retry: '1',
      to: dev(B, 0),
    });
    assert.notEqual(resend.attrs.t, undefined);
    const again = await b0.waitFor((n) => isMsg('r1')(n) && n.attrs.retry === '1');
    assert.equal(again.attrs.to, dev(B, 0));
    assert.equal(encText(again), `for ${dev(B, 0)}`);
    // The same resend twice is stored once; the second retry is a new one.
    assert.equal(
      (await send(a0, encMsg('r1', dev(B, 0), [dev(B, 0)], { retry: '1' }))).attrs.t,
      resend.attrs.t,
    );
    await settle();
    assert.equal(got(b0, 'message').length, 2);
    await b0.write(ackOf(again));
    assert.ok((await send(a0, encMsg('r1', dev(B, 0), [dev(B, 0)], { retry: '2' }))).attrs.t);
    await b0.waitFor((n) => isMsg('r1')(n) && n.attrs.retry === '2');
    assert.equal(got(b1, 'message').length, 1, 'the other device got the original only');
    assert.ok(first.attrs.t);
    // retry needs a device address and a count 1-9.
    for (const [to, retry] of [
      [bJid, '1'],
      [dev(B, 0), '0'],
      [dev(B, 0), '10'],
    ] as const) {
      const ack = await send(a0, encMsg('r2', to, [dev(B, 0)], { retry }));
      assert.deepEqual(ack.attrs, { class: 'message', id: 'r2', error: 'bad_request', retry, to });
    }
    // A refused resend names its device and count, so the sender can tell which resend failed.
    await ts.storage.prekeys.clearDevice(B, 1);
    const gone = await send(a0, encMsg('r1', dev(B, 1), [dev(B, 1)], { retry: '1' }));
    assert.deepEqual(gone.attrs, {
      class: 'message',
      id: 'r1',
      error: 'device_mismatch',
      retry: '1',
      to: dev(B, 1),
    });
  });
});
