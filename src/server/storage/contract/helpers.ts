import assert from 'node:assert/strict';
import type { AcceptRequest, Recipient, Storage } from '../types.js';

/**
 * 'fresh': a new, empty database, isolated from every other test's.
 * 'same': the database the most recent 'fresh' call created, opened again after it was closed, to
 * check that data survives a restart (SQLite: the same file; PostgreSQL: the same schema).
 */
export type StorageLocation = 'fresh' | 'same';
export type OpenStorage = (location: StorageLocation) => Promise<Storage>;

export interface ContractOptions {
  /** False when a backend cannot reopen its data (SQLite ':memory:'): the restart cases are skipped. */
  reopen?: boolean;
}

export interface ContractContext {
  open: OpenStorage;
  reopen: boolean;
}

/** Runs `fn` against a fresh database and always closes it, so a failing test does not leak handles. */
export async function withStorage(open: OpenStorage, fn: (s: Storage) => Promise<void>): Promise<void> {
  const s = await open('fresh');
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}

/** Byte-for-byte equality that also requires a real Uint8Array (a Buffer subclass passes, a string not). */
export function assertBytes(actual: unknown, expected: Uint8Array, what = 'bytes'): void {
  assert.ok(actual instanceof Uint8Array, `${what} should be a Uint8Array`);
  assert.deepEqual(Array.from(actual), Array.from(expected), `${what} differ`);
}

export function stanza(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

export const bob1: Recipient = { user: '15550000002', device: 1 };
export const bob2: Recipient = { user: '15550000002', device: 2 };
export const carol1: Recipient = { user: '15550000003', device: 1 };

/** An accept request from alice's phone to bob's phone, with whatever the test overrides. */
export function acceptReq(over: Partial<AcceptRequest> = {}): AcceptRequest {
  const sender = over.sender ?? '15550000001.0';
  const id = over.id ?? 'm1';
  const recipients = over.recipients ?? [bob1];
  return {
    sender,
    id,
    kind: 'message',
    key: `message:${sender}:${id}`,
    recipients,
    stanzas: recipients.map((_, i) => stanza(0xf8, i, ...Buffer.from(id))),
    now: 1_000,
    maxQueue: 100,
    ...over,
  };
}

export function assertIncreasing(seqs: number[]): void {
  for (let i = 1; i < seqs.length; i++) {
    assert.ok(seqs[i]! > seqs[i - 1]!, `seq ${seqs[i]} after ${seqs[i - 1]} does not increase`);
  }
}
