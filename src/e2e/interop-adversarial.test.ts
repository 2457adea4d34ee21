/**
 * Bad input against libsignal 0.72.1 sessions: duplicates, replays, re-delivered setup messages,
 * skipped-key limits, identity changes, bad bundles, unknown prekey ids, forged and truncated
 * ciphertexts. Each rejection must be a typed E2EError and leave the stored session byte-for-byte as it
 * was; the session must keep working afterwards.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  connect,
  LsParty,
  ParleyParty,
  SignalClient,
  text,
  untext,
} from '../../test/fixtures/e2e/libsignal-oracle.js';
import { toHex } from './bytes.js';
import { type E2EErrorCode, isE2EError } from './errors.js';
import type { EncryptedMessage } from './session.js';

const snapshot = async (p: ParleyParty, peer: LsParty): Promise<string> => {
  const r = await p.stores.sessions.loadSession(peer.address);
  return r === undefined ? 'none' : toHex(r.serialize());
};

/** Asserts `fn` rejects with an E2EError of `code` and that Parley's record for `peer` did not change. */
async function rejects(
  p: ParleyParty,
  peer: LsParty,
  fn: () => Promise<unknown>,
  code?: E2EErrorCode,
): Promise<void> {
  const before = await snapshot(p, peer);
  await assert.rejects(fn, (e: unknown) => {
    assert.ok(isE2EError(e), `expected an E2EError, got ${String(e)}`);
    if (code !== undefined) assert.equal(e.code, code, e.message);
    return true;
  });
  assert.equal(await snapshot(p, peer), before, 'stored session changed by a rejected message');
}

async function libsignalRejects(
  l: LsParty,
  fn: () => Promise<unknown>,
  code?: SignalClient.ErrorCode,
): Promise<void> {
  const state = () =>
    [...l.sessions.records.values()]
      .map((r) => (Buffer.isBuffer(r) ? r : r.serialize()).toString('hex'))
      .join();
  const before = state();
  await assert.rejects(fn, (e: unknown) => {
    if (code !== undefined) assert.ok(SignalClient.LibSignalErrorBase.is(e, code), String(e));
    return true;
  });
  assert.equal(state(), before);
}

/** An established session (both sides have sent) between a Parley and a libsignal party. */
async function established(options: ConstructorParameters<typeof ParleyParty>[2] = {}) {
  const p = new ParleyParty('parley', 1, options);
  const l = new LsParty('ls', 1, { serializeSessions: false });
  await connect(p, l);
  await l.decrypt(p.address, await p.encrypt(l.address, text('setup')));
  await p.decrypt(l.address, await l.encrypt(p.address, text('ack')));
  return { p, l };
}

async function many(
  from: { encrypt(a: unknown, b: Uint8Array): Promise<EncryptedMessage> },
  to: unknown,
  n: number,
) {
  const out: EncryptedMessage[] = [];
  for (let i = 0; i < n; i++) out.push(await from.encrypt(to, text(`m${i}`)));
  return out;
}

describe('duplicates and replays', () => {
  it('a SignalMessage delivered twice: duplicate_message on Parley, DuplicatedMessage on libsignal', async () => {
    const { p, l } = await established();
    const m = await l.encrypt(p.address, text('once'));
    assert.equal(untext(await p.decrypt(l.address, m)), 'once');
    await rejects(p, l, () => p.decrypt(l.address, m), 'duplicate_message');
    const n = await p.encrypt(l.address, text('once too'));
    assert.equal(untext(await l.decrypt(p.address, n)), 'once too');
    await libsignalRejects(l, () => l.decrypt(p.address, n), SignalClient.ErrorCode.DuplicatedMessage);
    assert.equal(
      untext(await p.decrypt(l.address, await l.encrypt(p.address, text('still ok')))),
      'still ok',
    );
    assert.equal(
      untext(await l.decrypt(p.address, await p.encrypt(l.address, text('still ok')))),
      'still ok',
    );
  });

  it('a re-delivered PreKeySignalMessage reaches its session by base key, not the deleted prekey', async () => {
    const l = new LsParty('ls');
    const p = new ParleyParty('parley');
    await connect(l, p);
    const first = await l.encrypt(p.address, text('first'));
    const second = await l.encrypt(p.address, text('second'));
    assert.equal(untext(await p.decrypt(l.address, first)), 'first');
    await rejects(p, l, () => p.decrypt(l.address, first), 'duplicate_message');
    assert.equal(
      untext(await p.decrypt(l.address, second)),
      'second',
      'second setup message, prekey already gone',
    );
    assert.equal(untext(await l.decrypt(p.address, await p.encrypt(l.address, text('reply')))), 'reply');
    await rejects(p, l, () => p.decrypt(l.address, first), 'duplicate_message');
    // And the other way: libsignal treats Parley's re-delivered setup message the same.
    const p2 = new ParleyParty('p2');
    const l2 = new LsParty('l2');
    await connect(p2, l2);
    const setup = await p2.encrypt(l2.address, text('setup'));
    assert.equal(untext(await l2.decrypt(p2.address, setup)), 'setup');
    await libsignalRejects(l2, () => l2.decrypt(p2.address, setup), SignalClient.ErrorCode.DuplicatedMessage);
  });
});

describe('skipped message keys', () => {
  it('a jump past maxForwardJump is too_many_skipped; the keys below it still work', async () => {
    const { p, l } = await established({ limits: { maxForwardJump: 100 } });
    const ms = await many(l, p.address, 102);
    await rejects(p, l, () => p.decrypt(l.address, ms[101]!), 'too_many_skipped');
    assert.equal(untext(await p.decrypt(l.address, ms[100]!)), 'm100');
    for (let i = 99; i >= 0; i--) assert.equal(untext(await p.decrypt(l.address, ms[i]!)), `m${i}`);
    assert.equal(untext(await p.decrypt(l.address, ms[101]!)), 'm101');
  });

  it('libsignal refuses a jump over 25 000 from Parley, and so does Parley from libsignal', async () => {
    const { p, l } = await established();
    const ms = await many(p, l.address, 25_002);
    await libsignalRejects(l, () => l.decrypt(p.address, ms[25_001]!));
    assert.equal(untext(await l.decrypt(p.address, ms[25_000]!)), 'm25000');
    assert.equal(untext(await l.decrypt(p.address, ms[24_999]!)), 'm24999');
    // libsignal keeps 2000 skipped keys per chain too: the oldest are gone, reported as duplicates.
    await libsignalRejects(l, () => l.decrypt(p.address, ms[0]!), SignalClient.ErrorCode.DuplicatedMessage);
    // A fresh pair for the other direction: libsignal now holds 2000 skipped keys, which makes each of
    // its operations on that record slow.
    const { p: p2, l: l2 } = await established();
    const back = await many(l2, p2.address, 25_002);
    await rejects(p2, l2, () => p2.decrypt(l2.address, back[25_001]!), 'too_many_skipped');
    assert.equal(untext(await p2.decrypt(l2.address, back[25_000]!)), 'm25000');
    assert.equal(untext(await p2.decrypt(l2.address, back[24_999]!)), 'm24999');
  });

  it('at most 2000 skipped keys per chain: older ones are evicted and then read as duplicates', async () => {
    const { p, l } = await established();
    const ms = await many(l, p.address, 2102);
    assert.equal(untext(await p.decrypt(l.address, ms[2101]!)), 'm2101');
    for (const i of [0, 50, 100])
      await rejects(p, l, () => p.decrypt(l.address, ms[i]!), 'duplicate_message');
    for (const i of [101, 1000, 2100]) assert.equal(untext(await p.decrypt(l.address, ms[i]!)), `m${i}`);
  });

  it('a per-session cap takes skipped keys from the oldest chain first', async () => {
    const { p, l } = await established({ limits: { maxSkippedPerChain: 50, maxSkippedTotal: 80 } });
    const chainA = await many(l, p.address, 60);
    assert.equal(untext(await p.decrypt(l.address, chainA[59]!)), 'm59'); // stores 9..58
    await l.decrypt(p.address, await p.encrypt(l.address, text('turn')));
    const chainB = await many(l, p.address, 60);
    assert.equal(untext(await p.decrypt(l.address, chainB[59]!)), 'm59'); // stores 9..58; A drops 9..28
    for (const i of [0, 9, 28])
      await rejects(p, l, () => p.decrypt(l.address, chainA[i]!), 'duplicate_message');
    for (const i of [29, 58]) assert.equal(untext(await p.decrypt(l.address, chainA[i]!)), `m${i}`);
    await rejects(p, l, () => p.decrypt(l.address, chainB[8]!), 'duplicate_message');
    for (const i of [9, 58]) assert.equal(untext(await p.decrypt(l.address, chainB[i]!)), `m${i}`);
  });
});
