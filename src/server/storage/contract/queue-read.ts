import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Storage } from '../types.js';
import {
  acceptReq,
  assertBytes,
  assertIncreasing,
  bob1,
  bob2,
  type ContractContext,
  carol1,
  withStorage,
} from './helpers.js';

const keysOf = async (s: Storage, r: typeof bob1, after = 0, limit = 100) =>
  (await s.queue.page(r.user, r.device, after, limit)).map((e) => e.key);

export function queueReadCases({ open }: ContractContext): void {
  describe('queue.page, remove, count, clear, pruneAccepted', () => {
    test('page returns entries after afterSeq in ascending seq, limited, for that device only', () =>
      withStorage(open, async (s) => {
        for (let i = 0; i < 5; i++)
          await s.queue.accept(acceptReq({ id: `m${i}`, recipients: [bob1, carol1] }));
        await s.queue.accept(acceptReq({ id: 'other', recipients: [bob2] }));
        const all = await s.queue.page(bob1.user, bob1.device, 0, 100);
        assert.deepEqual(
          all.map((e) => e.key),
          [0, 1, 2, 3, 4].map((i) => `message:15550000001.0:m${i}`),
        );
        const seqs = all.map((e) => e.seq);
        const first2 = await s.queue.page(bob1.user, bob1.device, 0, 2);
        assert.deepEqual(
          first2.map((e) => e.seq),
          seqs.slice(0, 2),
        );
        const next = await s.queue.page(bob1.user, bob1.device, seqs[1]!, 2);
        assert.deepEqual(
          next.map((e) => e.seq),
          seqs.slice(2, 4),
        );
        assert.deepEqual(await s.queue.page(bob1.user, bob1.device, seqs[4]!, 10), []);
        assert.deepEqual(await s.queue.page(bob1.user, bob1.device, 0, 0), []);
        assert.deepEqual(await s.queue.page(bob1.user, 9, 0, 10), []);
        assert.deepEqual(await keysOf(s, bob2), ['message:15550000001.0:other']);
      }));

    test('seq is strictly increasing per device in acceptance order, across senders', () =>
      withStorage(open, async (s) => {
        const order = ['a.0', 'b.0', 'a.0', 'c.1', 'b.0'].map((sender, i) => ({ sender, id: `x${i}` }));
        for (const o of order) await s.queue.accept(acceptReq({ ...o, recipients: [bob1, bob2] }));
        for (const r of [bob1, bob2]) {
          const page = await s.queue.page(r.user, r.device, 0, 100);
          assert.deepEqual(
            page.map((e) => e.key),
            order.map((o) => `message:${o.sender}:${o.id}`),
          );
          assertIncreasing(page.map((e) => e.seq));
        }
      }));

    test('seq is never reused, even after the newest entries were removed', () =>
      withStorage(open, async (s) => {
        await s.queue.accept(acceptReq({ id: 'old' }));
        const [old] = await s.queue.page(bob1.user, bob1.device, 0, 10);
        await s.queue.remove(bob1.user, bob1.device, old!.key);
        await s.queue.clear(bob1.user, bob1.device);
        await s.queue.accept(acceptReq({ id: 'new' }));
        const page = await s.queue.page(bob1.user, bob1.device, old!.seq, 10);
        assert.deepEqual(
          page.map((e) => e.key),
          ['message:15550000001.0:new'],
        );
      }));

    test('concurrent accepts to one device all get distinct, ordered seqs', () =>
      withStorage(open, async (s) => {
        const reqs = Array.from({ length: 20 }, (_, i) => acceptReq({ sender: `s${i % 3}.0`, id: `p${i}` }));
        const results = await Promise.all(reqs.map((r) => s.queue.accept(r)));
        assert.ok(results.every((r) => r.status === 'stored'));
        const page = await s.queue.page(bob1.user, bob1.device, 0, 100);
        assert.equal(page.length, 20);
        assert.equal(new Set(page.map((e) => e.key)).size, 20);
        assertIncreasing(page.map((e) => e.seq));
      }));

    test('stanza bytes come back byte-identical', () =>
      withStorage(open, async (s) => {
        const every = Uint8Array.from({ length: 256 }, (_, i) => i);
        const large = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) & 0xff);
        const zeros = new Uint8Array(17);
        // A view into a larger buffer: only the viewed bytes may be stored.
        const view = new Uint8Array([9, 9, 1, 2, 3, 9]).subarray(2, 5);
        const stanzas = [every, large, zeros, view];
        const recipients = stanzas.map((_, i) => ({ user: '15550000009', device: i }));
        await s.queue.accept(acceptReq({ recipients, stanzas }));
        for (const [i, r] of recipients.entries()) {
          const [entry] = await s.queue.page(r.user, r.device, 0, 1);
          assertBytes(entry?.stanza, stanzas[i]!, `stanza ${i}`);
        }
      }));

    test('remove deletes by (device, key): true once, then false; other devices keep their copy', () =>
      withStorage(open, async (s) => {
        const req = acceptReq({ recipients: [bob1, bob2] });
        await s.queue.accept(req);
        await s.queue.accept(acceptReq({ id: 'm2' }));
        assert.equal(await s.queue.remove(bob1.user, bob1.device, req.key), true);
        assert.equal(await s.queue.remove(bob1.user, bob1.device, req.key), false);
        assert.equal(await s.queue.remove(bob1.user, bob1.device, 'no-such-key'), false);
        assert.deepEqual(await keysOf(s, bob1), ['message:15550000001.0:m2']);
        assert.deepEqual(await keysOf(s, bob2), [req.key]);
        assert.equal(await s.queue.count(bob1.user, bob1.device), 1);
        assert.equal(await s.queue.count(bob2.user, bob2.device), 1);
      }));

    test('count is 0 for a device that never had entries and follows accepts and removes', () =>
      withStorage(open, async (s) => {
        assert.equal(await s.queue.count(bob1.user, bob1.device), 0);
        for (let i = 0; i < 3; i++) await s.queue.accept(acceptReq({ id: `m${i}` }));
        assert.equal(await s.queue.count(bob1.user, bob1.device), 3);
        await s.queue.remove(bob1.user, bob1.device, 'message:15550000001.0:m1');
        assert.equal(await s.queue.count(bob1.user, bob1.device), 2);
        assert.equal(await s.queue.count(bob2.user, bob2.device), 0);
      }));

    test('clear drops every entry of that device only; the bound counts from zero again', () =>
      withStorage(open, async (s) => {
        for (let i = 0; i < 3; i++) {
          await s.queue.accept(acceptReq({ id: `m${i}`, recipients: [bob1, bob2], maxQueue: 3 }));
        }
        await s.queue.clear(bob1.user, bob1.device);
        await s.queue.clear(carol1.user, carol1.device);
        assert.equal(await s.queue.count(bob1.user, bob1.device), 0);
        assert.deepEqual(await s.queue.page(bob1.user, bob1.device, 0, 10), []);
        assert.equal(await s.queue.count(bob2.user, bob2.device), 3);
        const res = await s.queue.accept(acceptReq({ id: 'after', maxQueue: 3 }));
        assert.equal(res.status, 'stored');
      }));

    test('pruneAccepted forgets only records older than `before`, and returns how many', () =>
      withStorage(open, async (s) => {
        for (const t of [100, 200, 300]) await s.queue.accept(acceptReq({ id: `t${t}`, now: t }));
        assert.equal(await s.queue.pruneAccepted(200), 1);
        assert.equal(await s.queue.pruneAccepted(200), 0);
        assert.equal(await s.queue.count(bob1.user, bob1.device), 3, 'queued entries are untouched');
        assert.deepEqual(await s.queue.accept(acceptReq({ id: 't200', now: 900 })), {
          status: 'duplicate',
          t: 200,
        });
        assert.deepEqual(await s.queue.accept(acceptReq({ id: 't300', now: 900 })), {
          status: 'duplicate',
          t: 300,
        });
        // The record is gone, so the id is new again (its key is free once the old copy was acked).
        await s.queue.remove(bob1.user, bob1.device, 'message:15550000001.0:t100');
        const again = await s.queue.accept(acceptReq({ id: 't100', now: 900 }));
        assert.equal(again.status, 'stored');
        assert.equal(again.t, 900);
      }));
  });
}
