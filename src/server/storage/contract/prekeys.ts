import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PrekeyUpload, Storage } from '../types.js';
import { assertBytes, type ContractContext, withStorage } from './helpers.js';

const alice = '15550000001';
const bob = '15550000002';

const key = (seed: number): Uint8Array => Uint8Array.from({ length: 33 }, (_, i) => (i === 0 ? 5 : seed + i));
const sig = (seed: number): Uint8Array => new Uint8Array(64).fill(seed);

async function withDevices(s: Storage, devices: [string, number][]): Promise<void> {
  for (const [user, device] of devices) {
    await s.accounts.ensureAccount(user, 1);
    await s.accounts.putDevice({ user, device, noiseKey: new Uint8Array(32).fill(device), registeredAt: 1 });
  }
}

function full(user: string, device: number, over: Partial<PrekeyUpload> = {}): PrekeyUpload {
  return {
    user,
    device,
    now: 1_000,
    identity: { key: key(device + 1), registrationId: 100 + device },
    signedPrekey: { id: 1, publicKey: key(50), signature: sig(1) },
    prekeys: [1, 2, 3].map((id) => ({ id, publicKey: key(100 + id) })),
    keepSigned: 3,
    maxPrekeys: 10,
    ...over,
  };
}

export function prekeyCases({ open }: ContractContext): void {
  describe('prekeys', () => {
    test('an upload stores identity, signed prekey and one-time prekeys, byte-identical', () =>
      withStorage(open, async (s) => {
        await withDevices(s, [[alice, 0]]);
        assert.deepEqual(await s.prekeys.upload(full(alice, 0)), { status: 'ok', count: 3 });
        const k = await s.prekeys.getKeys(alice, 0);
        assert.ok(k);
        assert.equal(k.registrationId, 100);
        assert.equal(k.updatedAt, 1_000);
        assertBytes(k.identityKey, key(1), 'identityKey');
        const [spk] = await s.prekeys.signedPrekeys(alice, 0);
        assert.equal(spk?.id, 1);
        assertBytes(spk?.publicKey, key(50), 'signed prekey');
        assertBytes(spk?.signature, sig(1), 'signature');
        assert.equal(await s.prekeys.count(alice, 0), 3);
        assert.deepEqual(await s.prekeys.readyDevices(alice), [0]);
        assert.equal(await s.prekeys.getKeys(alice, 1), undefined);
      }));

    test('one-time prekeys are handed out once each, lowest id first, then bundles come without one', () =>
      withStorage(open, async (s) => {
        await withDevices(s, [
          [bob, 0],
          [bob, 1],
        ]);
        await s.prekeys.upload(full(bob, 0));
        await s.prekeys.upload(full(bob, 1, { prekeys: [{ id: 9, publicKey: key(9) }] }));
        const first = await s.prekeys.takeBundles(bob, [0, 1]);
        assert.deepEqual(
          first.map((b) => [b.bundle.device, b.bundle.prekey?.id, b.remaining]),
          [
            [0, 1, 2],
            [1, 9, 0],
          ],
        );
        assertBytes(first[1]?.bundle.prekey?.publicKey, key(9), 'one-time prekey');
        assertBytes(first[1]?.bundle.identityKey, key(2), 'identity');
        assert.equal(first[1]?.bundle.registrationId, 101);
        const second = await s.prekeys.takeBundles(bob, [0, 1]);
        assert.deepEqual(
          second.map((b) => [b.bundle.device, b.bundle.prekey?.id, b.remaining]),
          [
            [0, 2, 1],
            [1, undefined, 0],
          ],
        );
        assert.equal(second[1]?.bundle.signedPrekey.id, 1, 'still a bundle, with the signed prekey');
        await s.prekeys.takeBundles(bob, [0]);
        assert.equal(await s.prekeys.count(bob, 0), 0);
        assert.equal((await s.prekeys.takeBundles(bob, [0]))[0]?.bundle.prekey, undefined);
      }));

    test('concurrent takes never hand out the same one-time prekey', () =>
      withStorage(open, async (s) => {
        await withDevices(s, [[bob, 0]]);
        const ids = Array.from({ length: 10 }, (_, i) => ({ id: i + 1, publicKey: key(i) }));
        await s.prekeys.upload(full(bob, 0, { prekeys: ids }));
        const got = await Promise.all(Array.from({ length: 12 }, () => s.prekeys.takeBundles(bob, [0])));
        const handed = got.map((g) => g[0]?.bundle.prekey?.id).filter((x) => x !== undefined);
        assert.equal(handed.length, 10);
        assert.equal(new Set(handed).size, 10);
      }));

    test('devices without identity or signed prekey are not ready and get no bundle', () =>
      withStorage(open, async (s) => {
        await withDevices(s, [
          [bob, 0],
          [bob, 2],
        ]);
        await s.prekeys.upload(full(bob, 2));
        assert.deepEqual(await s.prekeys.readyDevices(bob), [2]);
        assert.deepEqual(
          (await s.prekeys.takeBundles(bob, [0, 2, 7])).map((b) => b.bundle.device),
          [2],
        );
        // An identity alone is not enough to receive.
        await s.prekeys.upload(full(bob, 0, { signedPrekey: undefined, prekeys: undefined }));
        assert.deepEqual(await s.prekeys.readyDevices(bob), [2]);
      }));

    test('an upload without identity for a device that has none stores nothing', () =>
      withStorage(open, async (s) => {
        await withDevices(s, [[alice, 0]]);
        assert.deepEqual(await s.prekeys.upload(full(alice, 0, { identity: undefined })), {
          status: 'no_identity',
        });
        assert.equal(await s.prekeys.count(alice, 0), 0);
        assert.deepEqual(await s.prekeys.signedPrekeys(alice, 0), []);
      }));

    test('exceeding maxPrekeys stores nothing of the upload', () =>
      withStorage(open, async (s) => {
        await withDevices(s, [[alice, 0]]);
        await s.prekeys.upload(full(alice, 0));
        const more = Array.from({ length: 8 }, (_, i) => ({ id: 20 + i, publicKey: key(i) }));
        const r = await s.prekeys.upload(full(alice, 0, { identity: undefined, prekeys: more }));
        assert.deepEqual(r, { status: 'too_many', count: 3 });
        assert.equal(await s.prekeys.count(alice, 0), 3);
        const fits = more.slice(0, 7);
        assert.deepEqual(await s.prekeys.upload(full(alice, 0, { identity: undefined, prekeys: fits })), {
          status: 'ok',
          count: 10,
        });
      }));

    test('signed prekey rotation keeps the newest few; bundles carry the newest', () =>
      withStorage(open, async (s) => {
        await withDevices(s, [[alice, 0]]);
        await s.prekeys.upload(full(alice, 0, { keepSigned: 2 }));
        for (const [id, now] of [
          [2, 2_000],
          [3, 3_000],
        ] as const) {
          await s.prekeys.upload({
            user: alice,
            device: 0,
            now,
            signedPrekey: { id, publicKey: key(50 + id), signature: sig(id) },
            keepSigned: 2,
            maxPrekeys: 10,
          });
        }
        assert.deepEqual(
          (await s.prekeys.signedPrekeys(alice, 0)).map((k) => [k.id, k.createdAt]),
          [
            [3, 3_000],
            [2, 2_000],
          ],
        );
        const [b] = await s.prekeys.takeBundles(alice, [0]);
        assert.equal(b?.bundle.signedPrekey.id, 3);
        assertBytes(b?.bundle.signedPrekey.publicKey, key(53), 'newest signed prekey');
      }));

    test('a new identity key deletes the old prekeys; the same one keeps them', () =>
      withStorage(open, async (s) => {
        await withDevices(s, [[alice, 0]]);
        await s.prekeys.upload(full(alice, 0));
        await s.prekeys.upload(full(alice, 0, { signedPrekey: undefined, prekeys: undefined, now: 2_000 }));
        assert.equal(await s.prekeys.count(alice, 0), 3, 'same identity: kept');
        const fresh = { key: key(77), registrationId: 4242 };
        await s.prekeys.upload(
          full(alice, 0, { identity: fresh, signedPrekey: undefined, prekeys: undefined }),
        );
        assert.equal(await s.prekeys.count(alice, 0), 0);
        assert.deepEqual(await s.prekeys.signedPrekeys(alice, 0), []);
        assert.equal((await s.prekeys.getKeys(alice, 0))?.registrationId, 4242);
        assert.deepEqual(await s.prekeys.readyDevices(alice), []);
      }));

    test('the low flag is set once per shortage and cleared by an upload of one-time prekeys', () =>
      withStorage(open, async (s) => {
        await withDevices(s, [[alice, 0]]);
        assert.equal(await s.prekeys.markLowNotified(alice, 0), false, 'no keys, no flag');
        await s.prekeys.upload(full(alice, 0));
        assert.equal(await s.prekeys.markLowNotified(alice, 0), true);
        assert.equal(await s.prekeys.markLowNotified(alice, 0), false);
        await s.prekeys.upload(full(alice, 0, { identity: undefined, signedPrekey: undefined }));
        assert.equal(await s.prekeys.markLowNotified(alice, 0), true);
      }));

    test('clearDevice and removeDevice forget every key of that device only', () =>
      withStorage(open, async (s) => {
        await withDevices(s, [
          [alice, 0],
          [alice, 1],
          [bob, 0],
        ]);
        for (const [u, d] of [
          [alice, 0],
          [alice, 1],
          [bob, 0],
        ] as const)
          await s.prekeys.upload(full(u, d));
        await s.prekeys.clearDevice(alice, 0);
        assert.equal(await s.prekeys.getKeys(alice, 0), undefined);
        assert.equal(await s.prekeys.count(alice, 0), 0);
        assert.deepEqual(await s.prekeys.signedPrekeys(alice, 0), []);
        await s.accounts.removeDevice(alice, 1);
        assert.equal(await s.prekeys.getKeys(alice, 1), undefined);
        assert.equal(await s.prekeys.count(alice, 1), 0);
        assert.deepEqual(await s.prekeys.readyDevices(alice), []);
        assert.deepEqual(await s.prekeys.readyDevices(bob), [0]);
        assert.equal(await s.prekeys.count(bob, 0), 3);
      }));
  });
}
