import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AcceptResult, Storage } from '../types.js';
import { acceptReq, assertBytes, bob1, bob2, type ContractContext, carol1, withStorage } from './helpers.js';

async function fill(s: Storage, r: typeof bob1, n: number, maxQueue: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const res = await s.queue.accept(
      acceptReq({ sender: 'filler.0', id: `f${i}`, recipients: [r], maxQueue }),
    );
    assert.equal(res.status, 'stored');
  }
}

/** The result without `entries`, which a backend may leave out (checked on its own below). */
function plain(r: AcceptResult): AcceptResult {
  if (r.status !== 'stored') return r;
  return { status: r.status, t: r.t };
}

export function queueAcceptCases({ open }: ContractContext): void {
  describe('queue.accept', () => {
    test('stores one entry per recipient device and returns stored with t = now', () =>
      withStorage(open, async (s) => {
        const req = acceptReq({ recipients: [bob1, bob2, carol1], now: 4_242 });
        assert.deepEqual(plain(await s.queue.accept(req)), { status: 'stored', t: 4_242 });
        for (const [i, r] of req.recipients.entries()) {
          const [entry, ...rest] = await s.queue.page(r.user, r.device, 0, 10);
          assert.equal(rest.length, 0);
          assert.ok(entry);
          assert.equal(entry.user, r.user);
          assert.equal(entry.device, r.device);
          assert.equal(entry.kind, 'message');
          assert.equal(entry.key, req.key);
          assert.equal(entry.createdAt, 4_242);
          assert.ok(Number.isSafeInteger(entry.seq) && entry.seq > 0, 'seq is a positive integer');
          assertBytes(entry.stanza, req.stanzas[i]!, `stanza for recipient ${i}`);
          assert.equal(await s.queue.count(r.user, r.device), 1);
        }
      }));

    test('keeps the kind of receipts and notifications', () =>
      withStorage(open, async (s) => {
        await s.queue.accept(acceptReq({ id: 'r1', kind: 'receipt', key: 'receipt:x:r1' }));
        await s.queue.accept(acceptReq({ id: 'n1', kind: 'notification', key: 'notification:x:n1' }));
        const page = await s.queue.page(bob1.user, bob1.device, 0, 10);
        assert.deepEqual(
          page.map((e) => [e.kind, e.key]),
          [
            ['receipt', 'receipt:x:r1'],
            ['notification', 'notification:x:n1'],
          ],
        );
      }));

    test('a second accept of the same (sender, id) is a duplicate with the original t and stores nothing', () =>
      withStorage(open, async (s) => {
        const first = acceptReq({ recipients: [bob1, carol1], now: 1_000 });
        await s.queue.accept(first);
        const again = acceptReq({ recipients: [bob1, bob2, carol1], now: 2_000 });
        assert.deepEqual(await s.queue.accept(again), { status: 'duplicate', t: 1_000 });
        assert.equal(await s.queue.count(bob1.user, bob1.device), 1);
        assert.equal(await s.queue.count(bob2.user, bob2.device), 0);
        assert.equal(await s.queue.count(carol1.user, carol1.device), 1);
        const [entry] = await s.queue.page(bob1.user, bob1.device, 0, 10);
        assert.equal(entry?.createdAt, 1_000);
        assertBytes(entry?.stanza, first.stanzas[0]!, 'the first stanza');
      }));

    test('the idempotency scope is the sender: the same id from another sender is stored', () =>
      withStorage(open, async (s) => {
        await s.queue.accept(acceptReq({ sender: 'a.0', id: 'same' }));
        const res = await s.queue.accept(acceptReq({ sender: 'b.0', id: 'same', now: 3_000 }));
        assert.deepEqual(plain(res), { status: 'stored', t: 3_000 });
        assert.equal(await s.queue.count(bob1.user, bob1.device), 2);
      }));

    test('a resend after every copy was acked and removed is still a duplicate', () =>
      withStorage(open, async (s) => {
        const req = acceptReq({ recipients: [bob1, carol1], now: 1_000 });
        await s.queue.accept(req);
        assert.equal(await s.queue.remove(bob1.user, bob1.device, req.key), true);
        assert.equal(await s.queue.remove(carol1.user, carol1.device, req.key), true);
        assert.deepEqual(await s.queue.accept({ ...req, now: 9_000 }), { status: 'duplicate', t: 1_000 });
        assert.equal(await s.queue.count(bob1.user, bob1.device), 0);
        assert.equal(await s.queue.count(carol1.user, carol1.device), 0);
      }));

    test('full when a recipient device holds maxQueue entries; nothing is stored for anyone', () =>
      withStorage(open, async (s) => {
        await fill(s, carol1, 3, 3);
        const req = acceptReq({ recipients: [bob1, carol1, bob2], maxQueue: 3 });
        assert.deepEqual(await s.queue.accept(req), { status: 'full', ...carol1 });
        assert.equal(await s.queue.count(bob1.user, bob1.device), 0);
        assert.equal(await s.queue.count(bob2.user, bob2.device), 0);
        assert.equal(await s.queue.count(carol1.user, carol1.device), 3);
      }));

    test('a full accept records no idempotency: after an ack frees room, the resend is stored', () =>
      withStorage(open, async (s) => {
        await fill(s, bob1, 2, 2);
        const req = acceptReq({ maxQueue: 2, now: 5_000 });
        assert.equal((await s.queue.accept(req)).status, 'full');
        assert.equal(await s.queue.remove(bob1.user, bob1.device, 'message:filler.0:f0'), true);
        assert.deepEqual(plain(await s.queue.accept({ ...req, now: 6_000 })), { status: 'stored', t: 6_000 });
        assert.equal(await s.queue.count(bob1.user, bob1.device), 2);
      }));

    test('the bound is exact: maxQueue entries fit, one more does not', () =>
      withStorage(open, async (s) => {
        await fill(s, bob1, 4, 5);
        assert.equal((await s.queue.accept(acceptReq({ id: 'fifth', maxQueue: 5 }))).status, 'stored');
        assert.equal((await s.queue.accept(acceptReq({ id: 'sixth', maxQueue: 5 }))).status, 'full');
        assert.equal(await s.queue.count(bob1.user, bob1.device), 5);
      }));

    test('a duplicate is recognised before the bound: a resend to a full queue is acked again', () =>
      withStorage(open, async (s) => {
        const req = acceptReq({ maxQueue: 1, now: 1_000 });
        await s.queue.accept(req);
        assert.deepEqual(await s.queue.accept(req), { status: 'duplicate', t: 1_000 });
      }));

    test('rejects when stanzas and recipients are not index-aligned, storing nothing', () =>
      withStorage(open, async (s) => {
        const req = acceptReq({ recipients: [bob1, bob2] });
        await assert.rejects(s.queue.accept({ ...req, stanzas: req.stanzas.slice(0, 1) }));
        assert.equal(await s.queue.count(bob1.user, bob1.device), 0);
        assert.equal((await s.queue.accept(req)).status, 'stored', 'and the id was not recorded');
      }));

    test('a key already queued for a recipient device rejects the whole accept, storing nothing', () =>
      withStorage(open, async (s) => {
        // Keys identify entries for acks, so they are unique per device; the caller builds them from
        // the (sender, id) scope, so a collision is a caller bug and must not silently drop a stanza.
        await s.queue.accept(acceptReq({ sender: 'a.0', id: 'x', key: 'k', recipients: [carol1] }));
        const clash = acceptReq({ sender: 'b.0', id: 'y', key: 'k', recipients: [bob1, carol1] });
        await assert.rejects(s.queue.accept(clash));
        assert.equal(await s.queue.count(bob1.user, bob1.device), 0);
        assert.equal(await s.queue.count(carol1.user, carol1.device), 1);
        assert.equal((await s.queue.accept({ ...clash, key: 'k2' })).status, 'stored', 'id not recorded');
      }));

    test('concurrent resends of one id store it exactly once', () =>
      withStorage(open, async (s) => {
        const req = acceptReq({ recipients: [bob1, carol1] });
        const results = await Promise.all(Array.from({ length: 6 }, () => s.queue.accept(req)));
        assert.equal(results.filter((r) => r.status === 'stored').length, 1);
        assert.ok(results.every((r) => r.status !== 'full' && r.t === req.now));
        assert.equal(await s.queue.count(bob1.user, bob1.device), 1);
        assert.equal(await s.queue.count(carol1.user, carol1.device), 1);
      }));

    test('concurrent accepts never overrun the bound', () =>
      withStorage(open, async (s) => {
        const reqs = Array.from({ length: 12 }, (_, i) => acceptReq({ id: `c${i}`, maxQueue: 5 }));
        const results = await Promise.all(reqs.map((r) => s.queue.accept(r)));
        assert.equal(results.filter((r) => r.status === 'stored').length, 5);
        assert.equal(results.filter((r) => r.status === 'full').length, 7);
        assert.equal(await s.queue.count(bob1.user, bob1.device), 5);
      }));

    test('an accept with no recipients is recorded and stores nothing', () =>
      withStorage(open, async (s) => {
        const req = acceptReq({ recipients: [], now: 7_000 });
        assert.deepEqual(plain(await s.queue.accept(req)), { status: 'stored', t: 7_000 });
        assert.deepEqual(await s.queue.accept(req), { status: 'duplicate', t: 7_000 });
      }));

    test('entries, where a backend gives them, name each new seq and the one committed before it', () =>
      withStorage(open, async (s) => {
        // Concurrent accepts, as a loaded server sends them: several land in one commit.
        const reqs = Array.from({ length: 6 }, (_, i) =>
          acceptReq({ id: `e${i}`, key: `message:e${i}`, recipients: i % 2 ? [bob1, bob2] : [bob1] }),
        );
        const results = await Promise.all(reqs.map((r) => s.queue.accept(r)));
        const given = results.map((r) => (r.status === 'stored' ? r.entries : undefined));
        if (given.every((e) => e === undefined)) return; // the backend does not tell: nothing to check
        for (const dev of [bob1, bob2]) {
          const page = await s.queue.page(dev.user, dev.device, 0, 100);
          const claimed: { seq: number; prev?: number; key: string }[] = [];
          reqs.forEach((r, i) => {
            const at = r.recipients.findIndex((x) => x.user === dev.user && x.device === dev.device);
            const e = given[i]?.[at];
            if (at >= 0 && e) claimed.push({ ...e, key: r.key });
          });
          for (const c of claimed) {
            const idx = page.findIndex((x) => x.seq === c.seq);
            assert.ok(idx >= 0, `seq ${c.seq} is in the queue`);
            assert.equal(page[idx]!.key, c.key, 'the seq is the entry of that accept');
            if (c.prev !== undefined)
              assert.equal(c.prev, page[idx - 1]?.seq, 'prev is the entry just before');
          }
        }
      }));
  });
}
