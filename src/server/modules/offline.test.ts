import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import type { Node } from '../../wire/index.js';
import type { TestServer, TestSession } from '../testing/harness.js';
import { PAGE_SIZE } from './delivery/service.js';
import {
  A,
  ackOf,
  B,
  bJid,
  deliveryServer,
  got,
  isIb,
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

/** The ids of the messages a session received, in order, with `*` marking offline ones and `|` the ib. */
function transcript(s: TestSession): string[] {
  return s.received
    .filter((n) => n.tag === 'message' || n.tag === 'ib')
    .map((n) => (n.tag === 'ib' ? '|' : n.attrs.offline === '1' ? `*${n.attrs.id}` : n.attrs.id!));
}

function ibCount(s: TestSession): number {
  const ib = s.received.find(isIb)!;
  const off = (ib.content as Node[])[0]!;
  assert.equal(off.tag, 'offline');
  return Number(off.attrs.count);
}

describe('offline delivery', () => {
  it('queues for an offline device, flushes in order flagged offline, then ib, then live traffic', async () => {
    ts = await deliveryServer();
    const a = await ts.connect(A);
    for (let i = 1; i <= 3; i++) await send(a, msg(`m${i}`, bJid));
    assert.equal(await ts.storage.queue.count(B, 0), 3);

    const b = await ts.connect(B);
    // The flush is complete when connect resolves: everything before ib, nothing live yet.
    assert.deepEqual(transcript(b), ['*m1', '*m2', '*m3', '|']);
    assert.equal(ibCount(b), 3);
    assert.deepEqual(b.received.find(isIb), {
      tag: 'ib',
      attrs: {},
      content: [{ tag: 'offline', attrs: { count: '3' } }],
    });

    await send(a, msg('live', bJid));
    await b.waitFor(isMsg('live'));
    assert.deepEqual(transcript(b), ['*m1', '*m2', '*m3', '|', 'live']);
    assert.equal(b.received.find(isMsg('live'))!.attrs.offline, undefined);
  });

  it('sends ib count 0 to a device with no backlog', async () => {
    ts = await deliveryServer();
    const b = await ts.connect(B);
    assert.deepEqual(transcript(b), ['|']);
    assert.equal(ibCount(b), 0);
  });

  it('delivers messages accepted during a multi-page flush exactly once, in order, after the backlog', async () => {
    ts = await deliveryServer();
    const a = await ts.connect(A);
    const backlog = PAGE_SIZE + 20;
    for (let i = 0; i < backlog; i++) await send(a, msg(`b${i}`, bJid));

    // Sends land at the worst moments: while the flush reads its second page (so that page holds it),
    // and right after the flush read its last page, before the switch to live delivery, when `offer`
    // still sees the session as flushing and leaves the entry to the flush, which already looked.
    const queue = ts.storage.queue;
    const page = queue.page.bind(queue);
    let calls = 0;
    let late = false;
    queue.page = async (user, device, after, limit) => {
      if (user === B && ++calls === 2) await send(a, msg('mid', bJid));
      const r = await page(user, device, after, limit);
      if (user === B && r.length < limit && !late) {
        late = true;
        await send(a, msg('late', bJid));
      }
      return r;
    };
    const b = await ts.connect(B);
    await b.waitFor(isMsg('late'));
    await settle();
    queue.page = page;

    const expected = [...Array.from({ length: backlog }, (_, i) => `*b${i}`), '*mid', '|', 'late'];
    assert.deepEqual(transcript(b), expected);
    assert.equal(ibCount(b), backlog + 1);
  });

  it('delivers a stream of sends racing a login exactly once and in acceptance order', async () => {
    ts = await deliveryServer();
    const a = await ts.connect(A);
    const backlog = PAGE_SIZE * 2 + 5;
    for (let i = 0; i < backlog; i++) await send(a, msg(`b${i}`, bJid));
    // Slow pages widen the window in which sends race the flush.
    const queue = ts.storage.queue;
    const page = queue.page.bind(queue);
    queue.page = async (...args) => {
      await new Promise((r) => setImmediate(r));
      return page(...args);
    };
    // Sends from before the login starts until a few after its flush is done.
    let connected = false;
    let last = '';
    const sending = (async () => {
      for (let i = 0, after = 0; !connected || after++ < 5; i++) {
        last = `c${i}`;
        await send(a, msg(last, bJid));
        // A real socket yields between stanzas; without this the in-process sends never leave the
        // microtask queue and starve the flush.
        await new Promise((r) => setImmediate(r));
      }
    })();
    const b = await ts.connect(B);
    connected = true;
    await sending;
    await b.waitFor(isMsg(last));
    await settle();
    queue.page = page;

    const t = transcript(b);
    const ids = t.filter((x) => x !== '|').map((x) => x.replace('*', ''));
    assert.equal(new Set(ids).size, ids.length, 'no duplicates');
    // Everything, in the order the server accepted it (the order of the sender's acks).
    assert.deepEqual(
      ids,
      got(a, 'ack').map((n) => n.attrs.id!),
    );
    // Offline-flagged ones, then exactly one ib counting them, then only live ones; some of each.
    const ib = t.indexOf('|');
    assert.equal(t.lastIndexOf('|'), ib);
    assert.ok(t.slice(0, ib).every((x) => x.startsWith('*')));
    assert.ok(t.slice(ib + 1).every((x) => !x.startsWith('*')));
    assert.equal(ibCount(b), ib);
    assert.ok(ib > backlog, 'some sends joined the backlog');
    assert.ok(ib < t.length - 1, 'some sends arrived live');
  });

  it('sends unacked messages again at the next login, and only those', async () => {
    ts = await deliveryServer();
    const a = await ts.connect(A);
    for (const id of ['r1', 'r2', 'r3']) await send(a, msg(id, bJid));
    const b1 = await ts.connect(B);
    assert.deepEqual(transcript(b1), ['*r1', '*r2', '*r3', '|']);
    await b1.write(ackOf(b1.received.find(isMsg('r2'))!));
    b1.close('gone');

    await send(a, msg('r4', bJid));
    const b2 = await ts.connect(B);
    assert.deepEqual(transcript(b2), ['*r1', '*r3', '*r4', '|']);
    assert.equal(ibCount(b2), 3);
  });

  it('a replaced login gets the backlog on the new session', async () => {
    ts = await deliveryServer();
    const a = await ts.connect(A);
    await send(a, msg('x1', bJid));
    const old = await ts.connect(B);
    const fresh = await ts.connect(B);
    assert.equal(old.closeReason, 'conflict');
    assert.deepEqual(transcript(fresh), ['*x1', '|']);
    await send(a, msg('x2', bJid));
    await fresh.waitFor(isMsg('x2'));
    await settle();
    assert.deepEqual(transcript(old), ['*x1', '|']);
  });

  it('keeps queued messages across a server restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-offline-'));
    try {
      const storagePath = join(dir, 'parley.db');
      ts = await deliveryServer({ storagePath });
      const a = await ts.connect(A);
      for (const id of ['s1', 's2']) await send(a, msg(id, bJid));
      await ts.stop();

      ts = await deliveryServer({ storagePath, devices: [] });
      const b = await ts.connect(B);
      assert.deepEqual(transcript(b), ['*s1', '*s2', '|']);
      for (const m of got(b, 'message')) await b.write(ackOf(m));
      assert.equal(await ts.storage.queue.count(B, 0), 0);
      // The idempotency record survived too: a resend after the restart is not stored again.
      const a2 = await ts.connect(A);
      await send(a2, msg('s1', bJid));
      assert.equal(await ts.storage.queue.count(B, 0), 0);
    } finally {
      await ts?.stop();
      ts = undefined;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('live delivery sends a just-stored stanza without reading it back, unless an entry may lie between', async () => {
    ts = await deliveryServer();
    const a = await ts.connect(A);
    const b = await ts.connect(B);
    const queue = ts.storage.queue;
    const page = queue.page.bind(queue);
    let reads = 0;
    queue.page = (...args) => {
      reads++;
      return page(...args);
    };
    // The first entry this process stores for B has no known predecessor: read back once.
    await send(a, msg('first', bJid));
    await settle();
    const afterFirst = reads;
    assert.ok(afterFirst >= 1);
    // From then on each entry names the one before it, which B's session has sent: no reads.
    for (let i = 0; i < 5; i++) await send(a, msg(`direct${i}`, bJid));
    await settle();
    assert.equal(reads, afterFirst, 'no read-back for entries that follow the last one sent');
    // Five sent at once land in one commit; still in order, each once.
    await Promise.all(Array.from({ length: 5 }, (_, i) => send(a, msg(`burst${i}`, bJid))));
    await settle();
    assert.deepEqual(transcript(b).slice(1), [
      'first',
      ...Array.from({ length: 5 }, (_, i) => `direct${i}`),
      ...Array.from({ length: 5 }, (_, i) => `burst${i}`),
    ]);
  });
});
