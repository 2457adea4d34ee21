import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { acceptReq, assertBytes, bob1, type ContractContext, carol1 } from './helpers.js';

const alice = '15550000001';

export function reopenCases({ open, reopen }: ContractContext): void {
  const skip = reopen ? false : 'this backend cannot reopen its data';
  describe('durability across close and reopen', () => {
    test('every store keeps its data, and seq keeps increasing', { skip }, async () => {
      const key = Uint8Array.from({ length: 32 }, (_, i) => i + 100);
      const req = acceptReq({ recipients: [bob1, carol1], now: 1_000 });
      const first = await open('fresh');
      try {
        await first.accounts.ensureAccount(alice, 10);
        await first.accounts.putDevice({ user: alice, device: 0, noiseKey: key, registeredAt: 20 });
        await first.verification.putCode({
          number: alice,
          codeHash: new Uint8Array(32).fill(1),
          salt: new Uint8Array(16).fill(2),
          method: 'voice',
          createdAt: 30,
          expiresAt: 40,
          attempts: 1,
          deviceKey: 'k',
        });
        assert.equal((await first.queue.accept(req)).status, 'stored');
        await first.presence.setLastSeen(alice, 50);
        await first.presence.setPrivacy(alice, { lastSeen: 'nobody' });
        await first.contacts.setContacts(alice, ['15550000002']);
        await first.prekeys.upload({
          user: alice,
          device: 0,
          now: 60,
          identity: { key: Uint8Array.from({ length: 33 }, (_, i) => (i === 0 ? 5 : i)), registrationId: 7 },
          signedPrekey: { id: 3, publicKey: new Uint8Array(33).fill(5), signature: new Uint8Array(64) },
          prekeys: [{ id: 11, publicKey: new Uint8Array(33).fill(5) }],
          keepSigned: 3,
          maxPrekeys: 100,
        });
      } finally {
        await first.close();
      }

      const again = await open('same');
      try {
        assert.deepEqual(await again.accounts.getAccount(alice), { user: alice, createdAt: 10 });
        assertBytes((await again.accounts.getDevice(alice, 0))?.noiseKey, key, 'noiseKey');
        assert.equal((await again.verification.getCode(alice))?.attempts, 1);
        const [entry] = await again.queue.page(bob1.user, bob1.device, 0, 10);
        assert.ok(entry);
        assertBytes(entry.stanza, req.stanzas[0]!, 'stanza');
        assert.equal(await again.queue.count(carol1.user, carol1.device), 1);
        assert.deepEqual(await again.queue.accept(req), { status: 'duplicate', t: 1_000 });
        assert.equal(await again.presence.getLastSeen(alice), 50);
        assert.deepEqual(await again.presence.getPrivacy(alice), { lastSeen: 'nobody' });
        assert.equal(await again.contacts.hasContact(alice, '15550000002'), true);
        assert.equal((await again.prekeys.getKeys(alice, 0))?.registrationId, 7);
        const [taken] = await again.prekeys.takeBundles(alice, [0]);
        assert.deepEqual([taken?.bundle.signedPrekey.id, taken?.bundle.prekey?.id], [3, 11]);

        await again.queue.remove(bob1.user, bob1.device, entry.key);
        await again.queue.accept(acceptReq({ id: 'after-restart' }));
        const [next] = await again.queue.page(bob1.user, bob1.device, 0, 10);
        assert.ok(next && next.seq > entry.seq, 'seq is not reused after a restart');
      } finally {
        await again.close();
      }
    });
  });
}
