/**
 * What the load generator's processes share: user numbering and deterministic device keys, the monotonic
 * clock every latency is measured on, a mergeable latency histogram, a small PRNG and the IPC shapes.
 */
import { createHash } from 'node:crypto';
import { nodeCrypto } from '../../src/noise/crypto-node.js';
import type { KeyPair } from '../../src/noise/index.js';

/** Bench users are `15550000000 + i`: valid E.164-like numbers, one per index. */
export const USER_BASE = 15_550_000_000;

export function userNumber(i: number): string {
  return String(USER_BASE + i);
}

export function userIndex(user: string): number {
  return Number(user) - USER_BASE;
}

/**
 * Device 0's Noise static key of user `i`, derived from the run's seed: the seeder writes the public half
 * into the server's database, each worker derives the pair for the users it drives. Nothing to ship.
 */
export function deviceKey(seed: string, i: number): KeyPair {
  const privateKey = new Uint8Array(createHash('sha256').update(`parley-load:${seed}:${i}`).digest());
  return { privateKey, publicKey: nodeCrypto.publicKey(privateKey) };
}

/**
 * Microseconds on CLOCK_MONOTONIC (uv_hrtime). It is one clock for every process on the machine, so a
 * timestamp written by one worker and read by another gives a true end-to-end latency.
 */
export function nowUs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e6 + ns / 1e3;
}

/** xorshift32: cheap, seedable, good enough to pick peers. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s / 0x1_0000_0000;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/** Latency summary in milliseconds, as tables and JSON show it. */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface HistogramJSON {
  count: number;
  sum: number;
  min: number;
  max: number;
  /** [bucket, count] pairs of the non-empty buckets. */
  buckets: [number, number][];
}

const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
const BUCKETS = 1200; // 1.02^1199 µs ≈ 2×10^10 µs: far beyond any bounded run

/**
 * Log-bucketed histogram of microsecond values (2 % relative precision, exact count/sum/min/max), small
 * enough to ship over IPC and mergeable across workers by adding counts.
 */
export class Histogram {
  private counts = new Uint32Array(BUCKETS);
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = 0;

  record(us: number): void {
    if (!(us >= 0)) us = 0;
    const b = us < 1 ? 0 : Math.min(BUCKETS - 1, 1 + Math.floor(Math.log(us) / LOG_GROWTH));
    this.counts[b]!++;
    this.count++;
    this.sum += us;
    if (us < this.min) this.min = us;
    if (us > this.max) this.max = us;
  }

  merge(h: HistogramJSON | Histogram): void {
    const j = h instanceof Histogram ? h.toJSON() : h;
    for (const [b, c] of j.buckets) this.counts[b]! += c;
    this.count += j.count;
    this.sum += j.sum;
    if (j.count > 0) {
      this.min = Math.min(this.min, j.min);
      this.max = Math.max(this.max, j.max);
    }
  }

  /** The value at quantile q (0..1) in µs: the bucket's geometric middle, clamped to [min, max]. */
  quantile(q: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.counts[b]!;
      if (seen >= rank) {
        const v = b === 0 ? 0.5 : GROWTH ** (b - 0.5);
        return Math.min(this.max, Math.max(this.min, v));
      }
    }
    return this.max;
  }

  /** Milliseconds, rounded to µs. */
  summary(): LatencySummary {
    const ms = (us: number) => (Number.isFinite(us) ? Math.round(us) / 1000 : Number.NaN);
    return {
      count: this.count,
      p50: ms(this.quantile(0.5)),
      p90: ms(this.quantile(0.9)),
      p99: ms(this.quantile(0.99)),
      max: ms(this.count ? this.max : Number.NaN),
      mean: ms(this.count ? this.sum / this.count : Number.NaN),
    };
  }

  toJSON(): HistogramJSON {
    const buckets: [number, number][] = [];
    for (let b = 0; b < BUCKETS; b++) if (this.counts[b]) buckets.push([b, this.counts[b]!]);
    return { count: this.count, sum: this.sum, min: this.count ? this.min : 0, max: this.max, buckets };
  }

  static from(parts: (HistogramJSON | undefined)[]): Histogram {
    const h = new Histogram();
    for (const p of parts) if (p) h.merge(p);
    return h;
  }
}

/** Adds counters keyed by name (error reasons and the like). */
export function addCounts(into: Record<string, number>, from: Record<string, number> | undefined): void {
  if (!from) return;
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

export function bump(into: Record<string, number>, key: string, n = 1): void {
  into[key] = (into[key] ?? 0) + n;
}

// ---- IPC between the orchestrator (main.ts) and its children (worker.ts, server.ts) ----

export interface RpcRequest {
  rpc: number;
  cmd: string;
  args: unknown;
}

export interface RpcResponse {
  rpc: number;
  ok: boolean;
  value?: unknown;
  error?: string;
}

export function isRpcRequest(m: unknown): m is RpcRequest {
  return typeof m === 'object' && m !== null && typeof (m as RpcRequest).rpc === 'number' && 'cmd' in m;
}

/** Serves RPC requests arriving on this child's IPC channel with `handlers[cmd](args)`. */
export function serveRpc(handlers: Record<string, (args: never) => unknown>): void {
  process.on('message', (m: unknown) => {
    if (!isRpcRequest(m)) return;
    const h = handlers[m.cmd];
    const reply = (r: Omit<RpcResponse, 'rpc'>) => process.send?.({ rpc: m.rpc, ...r });
    if (!h) {
      reply({ ok: false, error: `unknown command ${m.cmd}` });
      return;
    }
    Promise.resolve()
      .then(() => h(m.args as never))
      .then(
        (value) => reply({ ok: true, value }),
        (err: unknown) =>
          reply({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
      );
  });
  // The orchestrator went away: never outlive it.
  process.on('disconnect', () => process.exit(0));
}

/** What the server process answers to `stats`. */
export interface ServerStats {
  /** Event-loop utilisation since the previous `stats` call (0..1). */
  elu: number;
  /** Event-loop delay since the previous call, ms. */
  lag: { p50: number; p99: number; max: number; mean: number };
  heapUsedMiB: number;
  externalMiB: number;
  arrayBuffersMiB: number;
  rssMiB: number;
  sessions: number;
}
