import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Device, VerificationCode } from '../types.js';
import { assertBytes, type ContractContext, withStorage } from './helpers.js';

const alice = '15550000001';
const bob = '15550000002';

function device(user: string, id: number, keyByte: number, at = 1_000): Device {
  return { user, device: id, noiseKey: new Uint8Array(32).fill(keyByte), registeredAt: at };
}

export function accountCases({ open }: ContractContext): void {
  describe('accounts', () => {
    test('getAccount is undefined for an unknown user', () =>
      withStorage(open, async (s) => {
        assert.equal(await s.accounts.getAccount(alice), undefined);
      }));

    test('ensureAccount creates once and then returns the original account', () =>
      withStorage(open, async (s) => {
        assert.deepEqual(await s.accounts.ensureAccount(alice, 1_000), { user: alice, createdAt: 1_000 });
        assert.deepEqual(await s.accounts.ensureAccount(alice, 5_000), { user: alice, createdAt: 1_000 });
        assert.deepEqual(await s.accounts.getAccount(alice), { user: alice, createdAt: 1_000 });
        assert.equal(await s.accounts.getAccount(bob), undefined);
      }));

    test('putDevice stores a device that getDevice returns byte-identical', () =>
      withStorage(open, async (s) => {
        await s.accounts.ensureAccount(alice, 1_000);
        const key = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 255) & 0xff);
        await s.accounts.putDevice({ user: alice, device: 0, noiseKey: key, registeredAt: 1_234 });
        const got = await s.accounts.getDevice(alice, 0);
        assert.ok(got);
        assert.equal(got.user, alice);
        assert.equal(got.device, 0);
        assert.equal(got.registeredAt, 1_234);
        assertBytes(got.noiseKey, key, 'noiseKey');
        assert.equal(await s.accounts.getDevice(alice, 1), undefined);
        assert.equal(await s.accounts.getDevice(bob, 0), undefined);
      }));

    test('putDevice on an existing device replaces its key and registration time', () =>
      withStorage(open, async (s) => {
        await s.accounts.ensureAccount(alice, 1_000);
        await s.accounts.putDevice(device(alice, 0, 1, 1_000));
        await s.accounts.putDevice(device(alice, 0, 2, 2_000));
        const got = await s.accounts.getDevice(alice, 0);
        assert.equal(got?.registeredAt, 2_000);
        assertBytes(got?.noiseKey, new Uint8Array(32).fill(2), 'noiseKey');
        assert.equal((await s.accounts.listDevices(alice)).length, 1);
      }));

    test('putDevice for a user without an account is rejected', () =>
      withStorage(open, async (s) => {
        await assert.rejects(s.accounts.putDevice(device(alice, 0, 1)));
        assert.equal(await s.accounts.getDevice(alice, 0), undefined);
      }));

    test("listDevices returns only that user's devices, ordered by device id", () =>
      withStorage(open, async (s) => {
        await s.accounts.ensureAccount(alice, 1_000);
        await s.accounts.ensureAccount(bob, 1_000);
        for (const id of [3, 0, 12, 1]) await s.accounts.putDevice(device(alice, id, id));
        await s.accounts.putDevice(device(bob, 2, 9));
        const list = await s.accounts.listDevices(alice);
        assert.deepEqual(
          list.map((d) => d.device),
          [0, 1, 3, 12],
        );
        assert.ok(list.every((d) => d.user === alice));
        assertBytes(list[2]?.noiseKey, new Uint8Array(32).fill(3), 'noiseKey of device 3');
        assert.deepEqual(await s.accounts.listDevices('15559999999'), []);
      }));

    test('removeDevice removes exactly that device: true once, then false', () =>
      withStorage(open, async (s) => {
        await s.accounts.ensureAccount(alice, 1_000);
        await s.accounts.putDevice(device(alice, 0, 1));
        await s.accounts.putDevice(device(alice, 1, 2));
        assert.equal(await s.accounts.removeDevice(alice, 1), true);
        assert.equal(await s.accounts.removeDevice(alice, 1), false);
        assert.equal(await s.accounts.getDevice(alice, 1), undefined);
        assert.deepEqual(
          (await s.accounts.listDevices(alice)).map((d) => d.device),
          [0],
        );
        assert.ok(await s.accounts.getAccount(alice), 'the account stays');
      }));
  });
}

function code(number: string, over: Partial<VerificationCode> = {}): VerificationCode {
  return {
    number,
    codeHash: Uint8Array.from({ length: 32 }, (_, i) => 255 - i),
    salt: Uint8Array.from({ length: 16 }, (_, i) => i),
    method: 'sms',
    createdAt: 1_000,
    expiresAt: 601_000,
    attempts: 0,
    deviceKey: 'q83vEjRWeJASNFZ4kBI0VniQEjRWeJASNFZ4kBI0VnA=',
    ...over,
  };
}

export function verificationCases({ open }: ContractContext): void {
  describe('verification', () => {
    test('getCode is undefined for an unknown number', () =>
      withStorage(open, async (s) => {
        assert.equal(await s.verification.getCode(alice), undefined);
      }));

    test('putCode stores every field; hash and salt come back byte-identical', () =>
      withStorage(open, async (s) => {
        const c = code(alice, { method: 'voice', attempts: 2 });
        await s.verification.putCode(c);
        const got = await s.verification.getCode(alice);
        assert.ok(got);
        assertBytes(got.codeHash, c.codeHash, 'codeHash');
        assertBytes(got.salt, c.salt, 'salt');
        const { codeHash: _h, salt: _s, ...rest } = got;
        const { codeHash: _h2, salt: _s2, ...expected } = c;
        assert.deepEqual(rest, expected);
      }));

    test('putCode replaces the earlier code for the number, attempts included', () =>
      withStorage(open, async (s) => {
        await s.verification.putCode(code(alice, { attempts: 3 }));
        const fresh = code(alice, { codeHash: new Uint8Array(32).fill(7), createdAt: 9_000, attempts: 0 });
        await s.verification.putCode(fresh);
        const got = await s.verification.getCode(alice);
        assert.equal(got?.attempts, 0);
        assert.equal(got?.createdAt, 9_000);
        assertBytes(got?.codeHash, fresh.codeHash, 'codeHash');
      }));

    test('addAttempt counts wrong guesses per number and persists them', () =>
      withStorage(open, async (s) => {
        await s.verification.putCode(code(alice));
        await s.verification.putCode(code(bob, { attempts: 4 }));
        assert.equal(await s.verification.addAttempt(alice), 1);
        assert.equal(await s.verification.addAttempt(alice), 2);
        assert.equal(await s.verification.addAttempt(bob), 5);
        assert.equal((await s.verification.getCode(alice))?.attempts, 2);
      }));

    test('concurrent addAttempt calls all count', () =>
      withStorage(open, async (s) => {
        await s.verification.putCode(code(alice));
        const counts = await Promise.all(Array.from({ length: 8 }, () => s.verification.addAttempt(alice)));
        assert.deepEqual(
          [...counts].sort((a, b) => a - b),
          [1, 2, 3, 4, 5, 6, 7, 8],
        );
        assert.equal((await s.verification.getCode(alice))?.attempts, 8);
      }));

    test('addAttempt for a number without a code returns 0 and creates nothing', () =>
      withStorage(open, async (s) => {
        assert.equal(await s.verification.addAttempt(alice), 0);
        assert.equal(await s.verification.getCode(alice), undefined);
      }));

    test('deleteCode removes the code; deleting a missing code is a no-op', () =>
      withStorage(open, async (s) => {
        await s.verification.putCode(code(alice));
        await s.verification.putCode(code(bob));
        await s.verification.deleteCode(alice);
        await s.verification.deleteCode(alice);
        assert.equal(await s.verification.getCode(alice), undefined);
        assert.ok(await s.verification.getCode(bob));
      }));
  });
}
