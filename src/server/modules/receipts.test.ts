import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { Node } from '../../wire/index.js';
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
import { MAX_LIST_ITEMS } from './receipts.js';

let ts: TestServer | undefined;
afterEach(async () => {
  await ts?.stop();
  ts = undefined;
});

const receipt = (id: string, to: string, type?: string, content?: Node[]): Node => {
  const n: Node = { tag: 'receipt', attrs: type === undefined ? { id, to } : { id, to, type } };
  if (content) n.content = content;
  return n;
};
const list = (...ids: string[]): Node[] => [
  { tag: 'list', attrs: {}, content: ids.map((id) => ({ tag: 'item', attrs: { id } })) },
];
const isReceipt = (id: string, type?: string) => (n: Node) =>
  n.tag === 'receipt' && n.attrs.id === id && n.attrs.type === type;

describe('receipts', () => {
  it('round-trips delivered and read receipts to every device of the sender', async () => {
    ts = await deliveryServer({
      devices: [
        [A, 0],
        [A, 1],
        [B, 0],
      ],
    });
    const a0 = await ts.connect(A, 0);
    const a1 = await ts.connect(A, 1);
    const b = await ts.connect(B);
    await send(a0, msg('m1', bJid));
    const m = await b.waitFor(isMsg('m1'));
    await b.write(ackOf(m));

    // Answering the message's `from` (a device JID) reaches the whole user.
    const ack = await send(b, receipt('m1', m.attrs.from!));
    assert.deepEqual(ack.attrs, { class: 'receipt', id: 'm1' });
    for (const s of [a0, a1]) {
      const r = await s.waitFor(isReceipt('m1'));
      assert.deepEqual(Object.keys(r.attrs), ['id', 'from', 'to', 't']);
      assert.equal(r.attrs.from, dev(B));
      assert.equal(r.attrs.to, aJid);
      assert.equal(r.content, undefined);
    }
    const readAck = await send(b, receipt('m1', aJid, 'read'));
    assert.deepEqual(readAck.attrs, { class: 'receipt', id: 'm1', type: 'read' });
    const read = await a0.waitFor(isReceipt('m1', 'read'));
    assert.deepEqual(Object.keys(read.attrs), ['id', 'from', 'to', 'type', 't']);
    // The reader's own device gets no copy of its receipt.
    await settle();
    assert.equal(got(b, 'receipt').length, 0);

    // Each is its own queue entry, removed by an ack that names its type.
    assert.equal(await ts.storage.queue.count(A, 0), 2);
    await a0.write({ tag: 'ack', attrs: { class: 'receipt', id: 'm1', to: dev(B), type: 'played' } });
    assert.equal(await ts.storage.queue.count(A, 0), 2);
    await a0.write(ackOf(read));
    assert.equal(await ts.storage.queue.count(A, 0), 1);
    await a0.write(ackOf(a0.received.find(isReceipt('m1'))!));
    assert.equal(await ts.storage.queue.count(A, 0), 0);
    // A:1 still holds its copy of the message and both receipts.
    assert.equal(await ts.storage.queue.count(A, 1), 3);
  });

  it('keeps the list of further ids', async () => {
    ts = await deliveryServer();
    const a = await ts.connect(A);
    const b = await ts.connect(B);
    await send(b, receipt('r1', aJid, 'read', list('r2', 'r3')));
    const r = await a.waitFor(isReceipt('r1', 'read'));
    assert.deepEqual(r.content, list('r2', 'r3'));
  });

  it('queues receipts for an offline device and flushes them at login', async () => {
    ts = await deliveryServer();
    const b = await ts.connect(B);
    await send(b, receipt('o1', aJid));
    await send(b, receipt('o1', aJid, 'played', list('o2')));
    const a = await ts.connect(A);
    const flushed = a.received.filter((n) => n.tag === 'receipt' || n.tag === 'ib');
    assert.deepEqual(
      flushed.map((n) => [n.tag, n.attrs.id, n.attrs.type, n.attrs.offline]),
      [
        ['receipt', 'o1', undefined, '1'],
        ['receipt', 'o1', 'played', '1'],
        ['ib', undefined, undefined, undefined],
      ],
    );
    assert.deepEqual(flushed[1]!.content, list('o2'));
  });

  it('stores a repeated receipt once, apart from a message with the same id', async () => {
    ts = await deliveryServer();
    const b = await ts.connect(B);
    await send(b, receipt('same', aJid, 'read'));
    assert.deepEqual((await send(b, receipt('same', aJid, 'read'))).attrs, {
      class: 'receipt',
      id: 'same',
      type: 'read',
    });
    // A message and a receipt share the sender's idempotency scope, yet neither shadows the other.
    assert.ok((await send(b, msg('same', aJid))).attrs.t);
    assert.equal(await ts.storage.queue.count(A, 0), 2);
    const a = await ts.connect(A);
    assert.equal(got(a, 'receipt').length, 1);
    assert.equal(got(a, 'message').length, 1);
  });

  it('refuses malformed receipts and unknown addressees', async () => {
    ts = await deliveryServer();
    const b = await ts.connect(B);
    const tooMany = Array.from({ length: MAX_LIST_ITEMS + 1 }, (_, i) => `i${i}`);
    const cases: [Node, string][] = [
      [receipt('x'.repeat(65), aJid), 'bad_request'],
      [receipt('ok', 'not-a-jid'), 'bad_request'],
      [receipt('ok1', aJid, 'delivered'), 'bad_request'],
      [receipt('ok2', aJid, 'bogus'), 'bad_request'],
      [receipt('ok3', aJid, undefined, [{ tag: 'body', attrs: {} }]), 'bad_request'],
      [receipt('ok4', aJid, undefined, list('bad id')), 'bad_request'],
      [
        receipt('ok5', aJid, undefined, [{ tag: 'list', attrs: {}, content: [{ tag: 'item', attrs: {} }] }]),
        'bad_request',
      ],
      [receipt('ok6', aJid, undefined, list(...tooMany)), 'bad_request'],
      [receipt('ok7', '15550007777@s.us'), 'recipient_unknown'],
    ];
    for (const [node, code] of cases) {
      const from = b.received.length;
      await b.write(node);
      const ack = await b.waitFor((n) => n.tag === 'ack', 2000, from);
      assert.deepEqual(ack.attrs, { class: 'receipt', id: node.attrs.id, error: code }, node.attrs.id);
    }
    assert.equal(await ts.storage.queue.count(A, 0), 0);
    assert.ok(b.received.length > 0 && !b.closed);
    await send(b, receipt('fine', aJid));
    assert.ok(b.received.some(isAck('fine', 'receipt')));
  });
});

describe('retry receipts', () => {
  const retryContent = (
    count = '1',
    extra: Node[] = [{ tag: 'registration', attrs: {}, content: Uint8Array.of(0, 0, 4, 2) }],
  ): Node[] => [{ tag: 'retry', attrs: { count, t: '1700000000' } }, ...extra];

  it('go to the one device whose message failed, with their content', async () => {
    ts = await deliveryServer({
      devices: [
        [A, 0],
        [A, 1],
        [B, 0],
      ],
    });
    const a0 = await ts.connect(A, 0);
    const a1 = await ts.connect(A, 1);
    const b = await ts.connect(B);
    const ack = await send(b, receipt('m9', dev(A, 1), 'retry', retryContent()));
    assert.deepEqual(ack.attrs, { class: 'receipt', id: 'm9', type: 'retry' });
    const r = await a1.waitFor(isReceipt('m9', 'retry'));
    assert.deepEqual(Object.keys(r.attrs), ['id', 'from', 'to', 'type', 't']);
    assert.equal(r.attrs.to, dev(A, 1));
    assert.equal(r.attrs.from, dev(B, 0));
    assert.deepEqual(
      (r.content as Node[]).map((n) => n.tag),
      ['retry', 'registration'],
    );
    await settle();
    assert.equal(got(a0, 'receipt').length, 0);
    // Acked with its type; a second retry for the same message is a new receipt.
    await a1.write(ackOf(r));
    assert.equal(await ts.storage.queue.count(A, 1), 0);
    await send(b, receipt('m9', dev(A, 1), 'retry', retryContent('2')));
    const second = await a1.waitFor(
      (n) => isReceipt('m9', 'retry')(n) && (n.content as Node[])[0]!.attrs.count === '2',
    );
    assert.ok(second);
    // The same retry again is stored once.
    await send(b, receipt('m9', dev(A, 1), 'retry', retryContent('2')));
    await settle();
    assert.equal(got(a1, 'receipt').length, 2);
  });

  it('refuses malformed retry receipts', async () => {
    ts = await deliveryServer();
    const b = await ts.connect(B);
    const cases: [string, Node][] = [
      ['user jid', receipt('x1', aJid, 'retry', retryContent())],
      ['no content', receipt('x2', dev(A), 'retry')],
      ['count 0', receipt('x3', dev(A), 'retry', retryContent('0'))],
      ['a list', receipt('x4', dev(A), 'retry', list('y'))],
      [
        'short registration',
        receipt(
          'x5',
          dev(A),
          'retry',
          retryContent('1', [{ tag: 'registration', attrs: {}, content: Uint8Array.of(1) }]),
        ),
      ],
      [
        'extra child',
        receipt(
          'x6',
          dev(A),
          'retry',
          retryContent('1', [
            { tag: 'registration', attrs: {}, content: Uint8Array.of(0, 0, 0, 1) },
            { tag: 'x', attrs: {} },
          ]),
        ),
      ],
    ];
    for (const [what, node] of cases) assert.equal((await send(b, node)).attrs.error, 'bad_request', what);
    assert.equal(
      (await send(b, receipt('x7', dev(A, 5), 'retry', retryContent()))).attrs.error,
      'recipient_unknown',
    );
    assert.ok(
      !(await send(b, receipt('x8', dev(A), 'retry', retryContent('3', [])))).attrs.error,
      'registration is optional',
    );
  });
});
