/** What every scenario gets: its options (with normal and smoke defaults), a log, and cluster set-up. */

import { readFileSync } from 'node:fs';
import { Cluster, type ClusterOptions, sleep } from './cluster.js';
import { addCounts, Histogram, type HistogramJSON, nowUs } from './common.js';
import { type CpuDelta, type CpuMark, cpuBetween } from './proc.js';
import type { ConnectResult, WorkerSnapshot } from './worker.js';

export type RawOptions = Record<string, string | boolean | undefined>;

export class Ctx {
  cluster: Cluster | undefined;
  private retriesLeft: number;

  constructor(
    readonly scenario: string,
    readonly raw: RawOptions,
    readonly smoke: boolean,
    readonly log: (line: string) => void,
  ) {
    this.retriesLeft = this.num('retries', 3, 0);
  }

  /** A numeric option: the flag's value, else the smoke or the normal default. */
  num(name: string, normal: number, smoke: number = normal): number {
    const v = this.raw[name];
    if (v === undefined || v === false) return this.smoke ? smoke : normal;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got ${v}`);
    return n;
  }

  list(name: string, normal: number[], smoke: number[] = normal): number[] {
    const v = this.raw[name];
    if (typeof v !== 'string') return this.smoke ? smoke : normal;
    const out = v.split(',').map((s) => Number(s.trim()));
    if (out.some((n) => !Number.isFinite(n) || n <= 0))
      throw new Error(`--${name}: positive numbers, comma-separated`);
    return out;
  }

  str(name: string, normal: string): string {
    const v = this.raw[name];
    return typeof v === 'string' ? v : normal;
  }

  flag(name: string): boolean {
    return this.raw[name] === true;
  }

  /**
   * This VM may be shared: before starting, wait (up to --quiet-wait seconds) until the machine's CPU
   * pressure (10 s average share of time some task waited for a CPU) is below 10 %.
   */
  async waitQuiet(seconds?: number): Promise<void> {
    const limit = seconds ?? this.num('quiet-wait', 120, 0);
    const p = pressure10();
    if (limit <= 0 || p === undefined || p < 10) return;
    this.log(`CPU pressure ${p}% (other processes): waiting up to ${limit} s for it to fall below 10 %`);
    const end = Date.now() + limit * 1000;
    let now = p;
    while (Date.now() < end && now >= 10) {
      await sleep(2000);
      now = pressure10() ?? 0;
    }
    this.log(`CPU pressure now ${now}%${now >= 10 ? ' (starting anyway)' : ''}`);
  }

  /**
   * A saturated step during which the server's main thread spent ≥ 15 % of the time waiting for its CPU
   * (other processes on a shared machine) measures the neighbours, not the server: run it again once the
   * machine is quieter, at most --retries times per run. True when the caller should repeat the step.
   */
  async retryContended(saturated: boolean, server: CpuDelta): Promise<boolean> {
    if (!saturated || !(server.mainWait >= 0.15) || this.retriesLeft <= 0) return false;
    this.retriesLeft--;
    this.log(
      `step contended: the server waited ${Math.round(server.mainWait * 100)} % of it for its CPU; repeating it ` +
        `(${this.retriesLeft} repeat(s) left)`,
    );
    await this.waitQuiet(60);
    return true;
  }

  /** Seeds, starts the server and the workers; registered so a time-out or failure can tear it down. */
  async start(
    o: Partial<ClusterOptions> & { users: number; workers: number },
    before?: (dir: string) => void,
  ) {
    const pin = this.str('pin', this.smoke ? 'none' : 'auto');
    if (pin !== 'auto' && pin !== 'none') throw new Error('--pin is auto or none');
    const fill: ClusterOptions = {
      seed: this.str('seed', 'parley'),
      wsShare: this.num('ws-share', 0.1),
      addrs: this.num('addrs', 16, 4),
      pin,
      dataParent: typeof this.raw.data === 'string' ? this.raw.data : undefined,
      keep: this.flag('keep'),
      server: {},
      serverProf: typeof this.raw['server-prof'] === 'string' ? this.raw['server-prof'] : undefined,
      forceXX: this.flag('xx'),
      timeoutMs: this.num('timeout-ms', 20_000),
      log: this.log,
      ...o,
    };
    await this.waitQuiet();
    this.cluster = new Cluster(fill);
    await this.cluster.start(before);
    return this.cluster;
  }
}

/** Worker snapshots added up: counters summed, histograms merged, counts-by-reason merged. */
export interface Merged {
  n: Record<string, number>;
  h: Record<string, Histogram>;
  reasons: Record<string, Record<string, number>>;
  outstanding: number;
  open: number;
  closeReasons: Record<string, number>;
  genLagP99: number;
  genLagMax: number;
  genElu: number;
}

export function merge(snaps: WorkerSnapshot[]): Merged {
  const m: Merged = {
    n: {},
    h: {},
    reasons: {},
    outstanding: 0,
    open: 0,
    closeReasons: {},
    genLagP99: 0,
    genLagMax: 0,
    genElu: 0,
  };
  for (const s of snaps) {
    for (const [k, v] of Object.entries(s.stats)) {
      if (typeof v === 'number') m.n[k] = (m.n[k] ?? 0) + v;
      else if (v && typeof v === 'object' && 'buckets' in v) {
        const h = m.h[k] ?? new Histogram();
        h.merge(v as HistogramJSON);
        m.h[k] = h;
      } else if (v && typeof v === 'object') {
        const r = m.reasons[k] ?? {};
        addCounts(r, v as Record<string, number>);
        m.reasons[k] = r;
      }
    }
    m.outstanding += s.outstanding;
    m.open += s.open;
    addCounts(m.closeReasons, s.closeReasons);
    m.genLagP99 = Math.max(m.genLagP99, s.gen.lagP99);
    m.genLagMax = Math.max(m.genLagMax, s.gen.lagMax);
    m.genElu = Math.max(m.genElu, s.gen.elu);
  }
  return m;
}

export function hist(m: Merged, k: string): Histogram {
  return m.h[k] ?? new Histogram();
}

export function countsText(c: Record<string, number> | undefined): string {
  const e = Object.entries(c ?? {});
  return e.length === 0 ? '' : e.map(([k, v]) => `${k}×${v}`).join(', ');
}

/**
 * Marks server and generator CPU at `startAtUs` and `startAtUs + seconds` (the traffic window the
 * workers use), and resets/reads the server's event-loop figures at the same instants.
 */
export function windowMarks(cl: Cluster, startAtUs: number, seconds: number) {
  const at = (us: number) => sleep(Math.max(0, (us - nowUs()) / 1000));
  return (async () => {
    await at(startAtUs);
    const s0 = cl.serverCpu();
    const g0 = cl.generatorCpu();
    await cl.serverStats(); // starts the ELU / delay window
    await at(startAtUs + seconds * 1e6);
    const s1 = cl.serverCpu();
    const g1 = cl.generatorCpu();
    const stats = await cl.serverStats();
    return {
      server: cpuBetween(s0, s1),
      generator: cpuBetween(g0 as CpuMark, g1 as CpuMark),
      stats,
      rssKiB: cl.serverRssKiB(),
    };
  })();
}

/** Cores the generator may use: the pinned list's size, else all. */
export function generatorCores(cl: Cluster, cpus: number): number {
  const l = cl.pins.load;
  if (!l) return cpus;
  return l.split(',').reduce((s, part) => {
    const [a, b] = part.split('-').map(Number);
    return s + (b === undefined ? 1 : b - a! + 1);
  }, 0);
}

/**
 * What held a saturated step back, from the figures themselves: the server's event loop busy — on a CPU
 * (its own work), waiting runnable for a CPU (something else ran there), or neither (blocked in the
 * kernel: synchronous I/O such as SQLite's fsync) — or the generator's CPU.
 */
export function limitOf(p: {
  server: CpuDelta;
  serverElu: number;
  genCpu: number;
  genCores: number;
}): string {
  const pct = (x: number) => `${Math.round(x * 100)}%`;
  const { mainRun, mainWait } = p.server;
  if (p.serverElu >= 0.85) {
    if (!Number.isFinite(mainRun))
      return `server loop ${pct(p.serverElu)} busy, process CPU ${pct(p.server.share)}`;
    const blocked = Math.max(0, p.serverElu - mainRun - mainWait);
    const parts = [`on CPU ${pct(mainRun)}`];
    if (mainWait >= 0.05) parts.push(`waiting for a CPU ${pct(mainWait)}`);
    if (blocked >= 0.05) parts.push(`blocked in sync I/O ${pct(blocked)}`);
    const causes: string[] = [];
    if (mainRun >= 0.5) causes.push('server CPU');
    if (blocked >= 0.2) causes.push('sync I/O (fsync)');
    if (mainWait >= 0.2) causes.push('CPU contention from other processes');
    if (causes.length === 0) causes.push('server loop');
    return `${causes.join(' + ')}: loop ${pct(p.serverElu)} busy (${parts.join(', ')})`;
  }
  if (p.genCpu >= 0.85 * p.genCores) return `generator CPU (${pct(p.genCpu / p.genCores)} of its cores)`;
  return `neither saturated (server loop ${pct(p.serverElu)}, generator ${pct(p.genCpu / p.genCores)})`;
}

/**
 * The server's event loop over a window, split: busy on a CPU / runnable but waiting for a CPU / blocked
 * in the kernel (neither: synchronous I/O, fsync), in % of wall time, as "busy: cpu/wait/io".
 */
export function loopSplit(elu: number, d: CpuDelta): { text: string; cpu: number; wait: number; io: number } {
  const cpu = Math.round(d.mainRun * 100);
  const wait = Math.round(d.mainWait * 100);
  const busy = Math.round(elu * 100);
  const io = Number.isFinite(d.mainRun) ? Math.max(0, busy - cpu - wait) : Number.NaN;
  return { text: `${busy}: ${cpu}/${wait}/${io}`, cpu, wait, io };
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

export { sleep };

function pressure10(): number | undefined {
  try {
    return Number(/some avg10=([\d.]+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'))?.[1]);
  } catch {
    return undefined;
  }
}

/** Logs users 0..users-1 in over the workers, each showing available; throws with the reasons if any failed. */
export async function connectAll(cl: Cluster, users: number): Promise<void> {
  const parts = cl.split(range(0, users));
  const conn = await cl.all<ConnectResult>('connect', (w) => ({
    indices: parts[w.id],
    concurrency: 50,
    presence: true,
  }));
  const failed = conn.reduce((s, r) => s + r.failed, 0);
  if (failed > 0) {
    const reasons: Record<string, number> = {};
    for (const r of conn) addCounts(reasons, r.reasons);
    throw new Error(`${failed} of ${users} logins failed: ${countsText(reasons)}`);
  }
}
