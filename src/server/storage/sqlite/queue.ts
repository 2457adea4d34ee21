import type { Database } from 'better-sqlite3';
import type {
  AcceptRequest,
  AcceptResult,
  OfflineQueue,
  QueueEntry,
  QueueKind,
  StoredEntry,
} from '../types.js';
import { bytes } from './bytes.js';
import type { GroupCommit } from './group-commit.js';
import { deviceKey, QueueState } from './queue-state.js';

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

/**
 * The offline queue. Writes go through the group commit (one fsync per batch, not per message). A page
 * read must not return an entry whose delete (the device acked it) waits for the next commit: those are
 * kept in a set and filtered out, rather than committing early, which would split the batch that live
 * delivery (a page read after every accept) runs in the middle of.
 */
export function sqliteQueue(db: Database, commits: GroupCommit): OfflineQueue {
  const findAccepted = db.prepare<[string, string], { t: number }>(
    'SELECT t FROM accepted WHERE sender = ? AND id = ?',
  );
  const recordAccepted = db.prepare<[string, string, number]>(
    'INSERT INTO accepted (sender, id, t) VALUES (?, ?, ?)',
  );
  const insert = db.prepare<[number, string, number, string, string, Uint8Array, number]>(
    `INSERT INTO queue (seq, user_id, device, kind, ack_key, stanza, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
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

  const state = new QueueState(db);
  commits.join(state);
  const removing = new Set<string>();
  // The newest seq committed per device in this process (devices seen since start; bounded, and a
  // forgotten device only costs one read-back). Kept in commit order by the group commit's `committed`.
  const newest = new Map<string, number>();
  const NEWEST_MAX = 100_000;
  const removal = (user: string, device: number, key: string) => `${deviceKey(user, device)}\u0000${key}`;

  // Idempotency check, bound check and inserts in one transaction: either every recipient device gets
  // its entry and the (sender, id) record, or nothing changes. A duplicate is answered before the bound
  // check, so a resend is acked again even when the recipient's queue has since filled up.
  // Runs inside a group-commit batch (its transaction), never on its own.
  type Ran = Exclude<AcceptResult, { status: 'stored' }> | { status: 'stored'; t: number; seqs: number[] };
  const acceptTx = (req: AcceptRequest): Ran => {
    const prior = findAccepted.get(req.sender, req.id);
    if (prior) return { status: 'duplicate', t: prior.t };
    for (const r of req.recipients) {
      if (state.count(r.user, r.device) >= req.maxQueue)
        return { status: 'full', user: r.user, device: r.device };
    }
    const seqs = req.recipients.map((r, i) => {
      const seq = state.nextSeq();
      insert.run(seq, r.user, r.device, req.kind, req.key, req.stanzas[i]!, req.now);
      state.change(r.user, r.device, 1);
      return seq;
    });
    recordAccepted.run(req.sender, req.id, req.now);
    return { status: 'stored', t: req.now, seqs };
  };

  // After the commit, in commit order: each entry learns the seq committed before it for its device.
  const committed = (req: AcceptRequest, r: Ran): AcceptResult => {
    if (r.status !== 'stored') return r;
    if (newest.size > NEWEST_MAX) newest.clear();
    const entries: StoredEntry[] = req.recipients.map((d, i) => {
      const seq = r.seqs[i]!;
      const k = deviceKey(d.user, d.device);
      const prev = newest.get(k);
      newest.set(k, seq);
      return prev === undefined ? { seq } : { seq, prev };
    });
    return { status: 'stored', t: r.t, entries };
  };

  const queue: OfflineQueue = {
    async accept(req) {
      if (req.stanzas.length !== req.recipients.length) {
        throw new RangeError(`${req.recipients.length} recipients but ${req.stanzas.length} stanzas`);
      }
      // With synchronous = FULL the batch is on disk when this resolves, so the caller may ack.
      return commits.submit(
        (): Ran => acceptTx(req),
        (r) => committed(req, r),
      );
    },
    async page(user, device, afterSeq, limit) {
      // SQLite reads a negative LIMIT as "no limit".
      if (limit <= 0) return [];
      const rows = selectPage.all(user, device, afterSeq, limit);
      if (removing.size === 0) return rows.map(toEntry);
      // A short page means "the end" to the caller: filtering must not make a full page look short.
      const out: QueueEntry[] = [];
      for (const r of rows) if (!removing.has(removal(user, device, r.ack_key))) out.push(toEntry(r));
      if (out.length < rows.length && rows.length === limit) {
        const more = await queue.page(user, device, rows[rows.length - 1]!.seq, limit - out.length);
        out.push(...more);
      }
      return out;
    },
    async remove(user, device, key) {
      const k = removal(user, device, key);
      removing.add(k);
      try {
        return await commits.submitLazy(() => {
          const gone = deleteOne.run(user, device, key).changes;
          state.change(user, device, -gone);
          return gone > 0;
        });
      } finally {
        removing.delete(k);
      }
    },
    async count(user, device) {
      // Through the group commit, so the count includes every write submitted before it.
      return commits.submit(() => state.count(user, device));
    },
    async clear(user, device) {
      await commits.submit(() => state.change(user, device, -deleteAll.run(user, device).changes));
    },
    async pruneAccepted(before) {
      return commits.submit(() => prune.run(before).changes);
    },
  };
  return queue;
}
