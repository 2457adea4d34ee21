import type { Database } from 'better-sqlite3';
import type { AcceptRequest, AcceptResult, OfflineQueue, QueueEntry, QueueKind } from '../types.js';
import { bytes } from './bytes.js';

interface EntryRow {
  seq: number;
  user_id: string;
  device: number;
  kind: QueueKind;
  ack_key: string;
  stanza: Buffer;
  created_at: number;
}

const toEntry = (r: EntryRow): QueueEntry => ({
  seq: r.seq,
  user: r.user_id,
  device: r.device,
  kind: r.kind,
  key: r.ack_key,
  stanza: bytes(r.stanza),
  createdAt: r.created_at,
});

export function sqliteQueue(db: Database): OfflineQueue {
  const findAccepted = db.prepare<[string, string], { t: number }>(
    'SELECT t FROM accepted WHERE sender = ? AND id = ?',
  );
  const recordAccepted = db.prepare<[string, string, number]>(
    'INSERT INTO accepted (sender, id, t) VALUES (?, ?, ?)',
  );
  const countOf = db.prepare<[string, number], { n: number }>(
    'SELECT n FROM queue_counts WHERE user_id = ? AND device = ?',
  );
  const insert = db.prepare<[string, number, string, string, Uint8Array, number]>(
    `INSERT INTO queue (user_id, device, kind, ack_key, stanza, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const selectPage = db.prepare<[string, number, number, number], EntryRow>(
    `SELECT seq, user_id, device, kind, ack_key, stanza, created_at FROM queue
     WHERE user_id = ? AND device = ? AND seq > ? ORDER BY seq LIMIT ?`,
  );
  const deleteOne = db.prepare<[string, number, string]>(
    'DELETE FROM queue WHERE user_id = ? AND device = ? AND ack_key = ?',
  );
  const deleteAll = db.prepare<[string, number]>('DELETE FROM queue WHERE user_id = ? AND device = ?');
  const prune = db.prepare<[number]>('DELETE FROM accepted WHERE t < ?');

  const count = (user: string, device: number): number => countOf.get(user, device)?.n ?? 0;

  // Idempotency check, bound check and inserts in one transaction: either every recipient device gets
  // its entry and the (sender, id) record, or nothing changes. A duplicate is answered before the bound
  // check, so a resend is acked again even when the recipient's queue has since filled up.
  const acceptTx = db.transaction((req: AcceptRequest): AcceptResult => {
    const prior = findAccepted.get(req.sender, req.id);
    if (prior) return { status: 'duplicate', t: prior.t };
    for (const r of req.recipients) {
      if (count(r.user, r.device) >= req.maxQueue) return { status: 'full', user: r.user, device: r.device };
    }
    req.recipients.forEach((r, i) => {
      insert.run(r.user, r.device, req.kind, req.key, req.stanzas[i]!, req.now);
    });
    recordAccepted.run(req.sender, req.id, req.now);
    return { status: 'stored', t: req.now };
  });

  return {
    async accept(req) {
      if (req.stanzas.length !== req.recipients.length) {
        throw new RangeError(`${req.recipients.length} recipients but ${req.stanzas.length} stanzas`);
      }
      // IMMEDIATE: the transaction reads before it writes; taking the write lock first means another
      // process committing in between cannot make the upgrade fail with SQLITE_BUSY. With
      // synchronous = FULL the commit is on disk when this returns, so the caller may ack.
      return acceptTx.immediate(req);
    },
    async page(user, device, afterSeq, limit) {
      // SQLite reads a negative LIMIT as "no limit".
      if (limit <= 0) return [];
      return selectPage.all(user, device, afterSeq, limit).map(toEntry);
    },
    async remove(user, device, key) {
      return deleteOne.run(user, device, key).changes > 0;
    },
    async count(user, device) {
      return count(user, device);
    },
    async clear(user, device) {
      deleteAll.run(user, device);
    },
    async pruneAccepted(before) {
      return prune.run(before).changes;
    },
  };
}
