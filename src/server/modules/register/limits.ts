import type { Clock } from '../../core/clock.js';

/**
 * Counts events per key in a sliding window, in this process's memory. A cluster would keep these in
 * Redis (a sorted set per key) so every node sees the same counts.
 */
export class SlidingWindow {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly clock: Clock,
    private readonly maxKeys = 100_000,
  ) {}

  /** Milliseconds until one more event is allowed for this key; 0 when it is allowed now. */
  wait(key: string): number {
    const list = this.recent(key);
    if (list.length < this.limit) return 0;
    return list[list.length - this.limit]! + this.windowMs - this.clock.now();
  }

  /** The time of the key's latest event still in the window. */
  last(key: string): number | undefined {
    return this.recent(key).at(-1);
  }

  hit(key: string, t = this.clock.now()): void {
    const list = this.recent(key);
    list.push(t);
    this.hits.set(key, list);
    if (this.hits.size > this.maxKeys) this.prune();
  }

  /** Takes back an event (the work it allowed failed through no fault of the client). */
  undo(key: string, t: number): void {
    const list = this.hits.get(key);
    const i = list?.lastIndexOf(t) ?? -1;
    if (i >= 0) list!.splice(i, 1);
  }

  private recent(key: string): number[] {
    const list = this.hits.get(key);
    if (!list) return [];
    const cutoff = this.clock.now() - this.windowMs;
    let drop = 0;
    while (drop < list.length && list[drop]! <= cutoff) drop++;
    if (drop > 0) list.splice(0, drop);
    if (list.length === 0) this.hits.delete(key);
    return list;
  }

  /** Bounded memory: forget expired keys, then the oldest ones if a flood of keys remains. */
  private prune(): void {
    for (const key of [...this.hits.keys()]) this.recent(key);
    for (const key of this.hits.keys()) {
      if (this.hits.size <= this.maxKeys) break;
      this.hits.delete(key);
    }
  }
}
