import type { Database } from 'better-sqlite3';
import type { BatchParticipant } from './group-commit.js';

/** Devices whose counts stay in memory; past this the map starts over (a count is re-read when needed). */
const COUNTS_MAX = 100_000;

/**
 * What the offline queue keeps beside its table, in step with the group commit: the next seq and each
 * device's entry count. Both were SQLite's job before (AUTOINCREMENT, triggers) at three extra B-tree
 * writes per message.
 *
 * Seqs come from a counter whose high-water mark is written once per batch, in the batch, so a seq is
 * never handed out twice even across restarts. Counts: the committed count per device (read with
 * COUNT(*) the first time a device is seen) plus the changes of the batch running now, which a
 * rolled-back run drops.
 */
export class QueueState implements BatchParticipant {
  private seq: number;
  private writtenSeq: number;
  private readonly counts = new Map<string, number>();
  private batch = new Map<string, number>();
  private readonly saveSeq: (seq: number) => void;
  private readonly countRows: (user: string, device: number) => number;

  constructor(db: Database) {
    const read = db.prepare<[], { seq: number }>('SELECT seq FROM queue_seq WHERE id = 1');
    this.seq = read.get()?.seq ?? 0;
    this.writtenSeq = this.seq;
    const save = db.prepare<[number]>('UPDATE queue_seq SET seq = ? WHERE id = 1');
    this.saveSeq = (seq) => save.run(seq);
    const count = db.prepare<[string, number], { n: number }>(
      'SELECT count(*) AS n FROM queue WHERE user_id = ? AND device = ?',
    );
    this.countRows = (user, device) => count.get(user, device)?.n ?? 0;
  }

  /** The next seq (inside a batch). A rolled-back run leaves a gap, which is harmless. */
  nextSeq(): number {
    return ++this.seq;
  }

  /** Entries a device holds now, this batch's changes included (inside a batch). */
  count(user: string, device: number): number {
    const k = deviceKey(user, device);
    const pending = this.batch.get(k) ?? 0;
    let committed = this.counts.get(k);
    if (committed === undefined) {
      // COUNT(*) sees this batch's own changes: take them out to get the committed count.
      committed = this.countRows(user, device) - pending;
      if (this.counts.size >= COUNTS_MAX) this.counts.clear();
      this.counts.set(k, committed);
    }
    return committed + pending;
  }

  /** Records `n` entries added (or removed, negative) for a device in this batch. */
  change(user: string, device: number, n: number): void {
    if (n === 0) return;
    const k = deviceKey(user, device);
    this.batch.set(k, (this.batch.get(k) ?? 0) + n);
  }

  begin(): void {
    this.batch = new Map();
  }

  mark(): () => void {
    const batch = new Map(this.batch);
    return () => {
      this.batch = batch;
    };
  }

  end(): void {
    if (this.seq !== this.writtenSeq) this.saveSeq(this.seq);
  }

  committed(): void {
    this.writtenSeq = this.seq;
    for (const [k, n] of this.batch) {
      const c = this.counts.get(k);
      if (c !== undefined) this.counts.set(k, c + n);
    }
    this.batch = new Map();
  }
}

/** One device as a map key (the queue keys its own per-device maps the same way). */
export function deviceKey(user: string, device: number): string {
  return `${user}\u0000${device}`;
}
