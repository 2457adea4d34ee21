import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ContractContext } from './helpers.js';
import { withStorage } from './helpers.js';

const alice = '15550000001';
const bob = '15550000002';
const carol = '15550000003';

export function presenceCases({ open }: ContractContext): void {
  describe('presence', () => {
    test('lastSeen is undefined until set, then the latest value set', () =>
      withStorage(open, async (s) => {
        assert.equal(await s.presence.getLastSeen(alice), undefined);
        await s.presence.setLastSeen(alice, 1_000);
        await s.presence.setLastSeen(alice, 2_000);
        await s.presence.setLastSeen(bob, 500);
        assert.equal(await s.presence.getLastSeen(alice), 2_000);
        assert.equal(await s.presence.getLastSeen(bob), 500);
      }));

    test('privacy defaults to lastSeen everyone', () =>
      withStorage(open, async (s) => {
        assert.deepEqual(await s.presence.getPrivacy(alice), { lastSeen: 'everyone' });
      }));

    test('setPrivacy applies a partial update, returns and keeps the merged settings per user', () =>
      withStorage(open, async (s) => {
        assert.deepEqual(await s.presence.setPrivacy(alice, { lastSeen: 'contacts' }), {
          lastSeen: 'contacts',
        });
        assert.deepEqual(await s.presence.setPrivacy(alice, {}), { lastSeen: 'contacts' });
        assert.deepEqual(await s.presence.setPrivacy(alice, { lastSeen: undefined }), {
          lastSeen: 'contacts',
        });
        assert.deepEqual(await s.presence.getPrivacy(alice), { lastSeen: 'contacts' });
        assert.deepEqual(await s.presence.setPrivacy(alice, { lastSeen: 'nobody' }), { lastSeen: 'nobody' });
        assert.deepEqual(await s.presence.getPrivacy(bob), { lastSeen: 'everyone' });
        assert.deepEqual(await s.presence.setPrivacy(bob, {}), { lastSeen: 'everyone' });
      }));
  });

  describe('contacts', () => {
    test('an unknown user has no contacts', () =>
      withStorage(open, async (s) => {
        assert.deepEqual(await s.contacts.getContacts(alice), []);
        assert.equal(await s.contacts.hasContact(alice, bob), false);
      }));

    test('setContacts replaces the list; getContacts returns it distinct and sorted', () =>
      withStorage(open, async (s) => {
        await s.contacts.setContacts(alice, [carol, bob, '4915112345678', bob]);
        assert.deepEqual(await s.contacts.getContacts(alice), [bob, carol, '4915112345678'].sort());
        await s.contacts.setContacts(alice, [carol]);
        assert.deepEqual(await s.contacts.getContacts(alice), [carol]);
        assert.equal(await s.contacts.hasContact(alice, bob), false);
        await s.contacts.setContacts(alice, []);
        assert.deepEqual(await s.contacts.getContacts(alice), []);
      }));

    test('hasContact is directional and per user', () =>
      withStorage(open, async (s) => {
        await s.contacts.setContacts(alice, [bob]);
        await s.contacts.setContacts(carol, [alice]);
        assert.equal(await s.contacts.hasContact(alice, bob), true);
        assert.equal(await s.contacts.hasContact(bob, alice), false);
        assert.equal(await s.contacts.hasContact(alice, carol), false);
        assert.equal(await s.contacts.hasContact(carol, alice), true);
        assert.deepEqual(await s.contacts.getContacts(carol), [alice]);
      }));
  });
}
