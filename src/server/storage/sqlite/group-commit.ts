import type { Database } from 'better-sqlite3';

type Result = { ok: true; v: unknown } | { ok: false; e: unknown };
type Batch = ((ops: Op[]) => Result[]) & { immediate(ops: Op[]): Result[] };

/**
 * State kept beside the database for a batch's writes (counters, a sequence): `begin` and `end` run
 * inside every run of a batch's transaction (a batch that is rolled back and run again begins again),
 * `committed` once it is durable. What a rolled-back run changed must be dropped at `begin`.
 */
export interface BatchParticipant {
  begin(): void;
  /** Before one write of a careful run: returns what undoes that write's changes if it throws. */
  mark(): () => void;
  end(): void;
  committed(): void;
}

interface Op {
  run(): unknown;
  /** Runs synchronously right after the commit, in submission order; its result is what resolves. */
  committed?: (v: unknown) => unknown;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

/** A lazy write waits at most this long for a batch to join (ms)… */
const LAZY_MS = 25;
/** …or until this many wait. */
const LAZY_MAX = 2000;

/**
 * Group commit: writes submitted during one turn of the event loop run together in one transaction, so
 * one fsync (synchronous = FULL) makes a whole batch durable instead of one fsync per write. Under load
 * the batch grows by itself: everything the sockets delivered while the loop was busy commits at once.
 *
 * A write that throws (a constraint, a bad row) must fail alone, without undoing its neighbours. The
 * batch runs optimistically without savepoints (a SAVEPOINT and RELEASE per write cost more than the
 * write itself); if any write throws, the whole transaction is rolled back and the batch runs again
 * with a savepoint around each write, so exactly the failing ones are rejected. Writes must therefore
 * touch nothing but the database (they may run twice, the first run undone). A failed commit rejects
 * the whole batch: nothing of it is durable, so no caller may ack it. Promises settle only after the
 * commit returned.
 *
 * Reads that must see earlier writes call `flush()` first (better-sqlite3 is synchronous, so this just
 * commits early).
 */
export class GroupCommit {
  private ops: Op[] = [];
  private scheduled = false;
  /** Writes nobody waits for: they ride along with the next batch, or go on their own after a while. */
  private lazy: Op[] = [];
  private lazyTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly fast: Batch;
  private readonly careful: Batch;
  private readonly participants: BatchParticipant[] = [];

  constructor(db: Database) {
    // A better-sqlite3 transaction function called inside another transaction runs as a SAVEPOINT.
    const savepoint = db.transaction((fn: () => unknown) => fn());
    this.fast = db.transaction((ops: Op[]) => {
      for (const p of this.participants) p.begin();
      const out = ops.map((op): Result => ({ ok: true, v: op.run() }));
      for (const p of this.participants) p.end();
      return out;
    });
    this.careful = db.transaction((ops: Op[]) => {
      for (const p of this.participants) p.begin();
      const out = ops.map((op): Result => {
        const undo = this.participants.map((p) => p.mark());
        try {
          return { ok: true, v: savepoint(op.run) };
        } catch (e) {
          for (const u of undo) u();
          return { ok: false, e };
        }
      });
      for (const p of this.participants) p.end();
      return out;
    });
  }

  /** Adds state that follows the batches (see BatchParticipant). */
  join(p: BatchParticipant): void {
    this.participants.push(p);
  }

  /**
   * Runs `fn` in the next batch transaction; resolves with its result once that batch is committed, or
   * with what `committed` makes of it: that step runs synchronously after the commit, in the order the
   * writes were submitted (bookkeeping that must follow commit order, which promise callbacks need not).
   */
  submit<T>(fn: () => T): Promise<T>;
  submit<T, U>(fn: () => T, committed: (v: T) => U): Promise<U>;
  submit(fn: () => unknown, committed?: (v: unknown) => unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.ops.push({ run: fn, committed, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // setImmediate runs after the poll phase: every socket read of this loop turn has queued its write.
        setImmediate(() => this.flush());
      }
    });
  }

  /**
   * Like `submit`, for a write whose durability nobody waits for (a delete after a device's ack: lost
   * in a crash, the entry is only delivered again, and clients drop what they already have). It joins
   * the next batch, and commits on its own at the latest `LAZY_MS` later or once `LAZY_MAX` wait.
   */
  submitLazy<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.lazy.push({ run: fn, resolve: resolve as (v: unknown) => void, reject });
      if (this.lazy.length >= LAZY_MAX) {
        if (!this.scheduled) {
          this.scheduled = true;
          setImmediate(() => this.flush());
        }
      } else if (!this.lazyTimer) {
        this.lazyTimer = setTimeout(() => this.flush(), LAZY_MS);
      }
    });
  }

  /** Commits everything submitted so far, now. */
  flush(): void {
    this.scheduled = false;
    if (this.lazy.length > 0) {
      clearTimeout(this.lazyTimer);
      this.lazyTimer = undefined;
      this.ops = this.lazy.concat(this.ops);
      this.lazy = [];
    }
    if (this.ops.length === 0) return;
    const ops = this.ops;
    this.ops = [];
    let results: Result[];
    try {
      // IMMEDIATE: the batch reads before it writes (idempotency, bounds); taking the write lock first
      // means another process committing in between cannot make the upgrade fail with SQLITE_BUSY.
      try {
        results = this.fast.immediate(ops);
      } catch {
        // Rolled back whole; find the culprits.
        results = this.careful.immediate(ops);
      }
    } catch (e) {
      for (const op of ops) op.reject(e);
      return;
    }
    for (const p of this.participants) p.committed();
    ops.forEach((op, i) => {
      const r = results[i]!;
      if (!r.ok) op.reject(r.e);
      else if (!op.committed) op.resolve(r.v);
      else {
        try {
          op.resolve(op.committed(r.v));
        } catch (e) {
          op.reject(e);
        }
      }
    });
  }

  /** How many writes wait for the next commit (for tests and metrics). */
  get pending(): number {
    return this.ops.length + this.lazy.length;
  }
}
