/**
 * mixed: a steady realistic mix for a while — messages (typing notification first, delivered receipt
 * always, read receipt for a share a second later), presence subscriptions and presence going away and
 * coming back, keepalive pings — sampling latency and the server's memory over time, so drift (a leak,
 * a growing queue) shows as a slope.
 */
import { nowUs } from '../common.js';
import { type Ctx, connectAll, hist, loopSplit, merge, sleep } from '../context.js';
import { cpuBetween } from '../proc.js';
import { round, type ScenarioResult } from '../report.js';
import type { TrafficArgs, WorkerSnapshot } from '../worker.js';

export async function mixed(ctx: Ctx): Promise<ScenarioResult> {
  const users = ctx.num('users', 2000, 20);
  const duration = ctx.num('duration', 300, 4);
  const sample = ctx.num('sample', 10, 1);
  const rate = ctx.num('rate', 200, 20);
  const readShare = ctx.num('read-share', 0.5);
  const presenceRate = ctx.num('presence-rate', 10, 2);
  const subs = ctx.num('subscriptions', 5, 2);
  const workers = ctx.num('workers', 2, 1);
  const cl = await ctx.start({ users, workers });

  await connectAll(cl, users);
  const subscribed = (await cl.all<number>('subscribe', () => ({ count: subs, peers: users }))).reduce(
    (a, b) => a + b,
    0,
  );
  await sleep(1000);
  await cl.all('snapshot', () => ({ reset: true }));
  ctx.log(`${users} users online, ${subscribed} presence subscriptions; running ${duration} s`);

  const startAtUs = nowUs() + 300_000;
  const args = (): TrafficArgs => ({
    startAtUs,
    seconds: duration,
    rate: rate / cl.workers.length,
    peers: users,
    receipts: true,
    readShare,
    typing: true,
    presenceRate: presenceRate / cl.workers.length,
    size: ctx.num('size', 160),
    maxOutstanding: 1_000_000,
    graceMs: 5000,
  });
  const running = cl.all<WorkerSnapshot>('traffic', args);
  await sleep(300);
  await cl.serverStats();
  let c0 = cl.serverCpu();
  const samples: Record<string, unknown>[] = [];
  const t0 = performance.now();
  for (let k = 1; k * sample <= duration; k++) {
    await sleep(Math.max(0, t0 + k * sample * 1000 - performance.now()));
    const m = merge(await cl.all<WorkerSnapshot>('snapshot', () => ({ reset: true })));
    const c1 = cl.serverCpu();
    const st = await cl.serverStats();
    const e2e = hist(m, 'e2e').summary();
    const ack = hist(m, 'ackLat').summary();
    const cpu = cpuBetween(c0, c1);
    c0 = c1;
    const s = {
      t: k * sample,
      msgsPerSec: Math.round((m.n.acked ?? 0) / sample),
      stanzasOutPerSec: Math.round(
        ((m.n.sent ?? 0) +
          (m.n.receiptsSent ?? 0) +
          (m.n.readSent ?? 0) +
          (m.n.chatstatesOut ?? 0) +
          (m.n.presenceOut ?? 0)) /
          sample,
      ),
      e2eP50: e2e.p50,
      e2eP99: e2e.p99,
      e2eMax: e2e.max,
      ackP99: ack.p99,
      serverCpuPct: round(cpu.share * 100),
      cpuUsPerMsg: m.n.acked ? round((cpu.seconds / m.n.acked) * 1e6) : Number.NaN,
      serverElu: round(st.elu, 2),
      loop: loopSplit(st.elu, cpu).text,
      /** The server's main thread waited ≥ 15 % of the interval for its CPU: other processes' time. */
      contended: cpu.mainWait >= 0.15,
      lagP99: st.lag.p99,
      rssMiB: round(cl.serverRssKiB() / 1024),
      heapMiB: st.heapUsedMiB,
      sessions: st.sessions,
      outstanding: m.outstanding,
      errors: Object.values(m.reasons.ackErrors ?? {}).reduce((a, b) => a + b, 0),
      presenceIn: m.n.presenceIn ?? 0,
      chatstatesIn: m.n.chatstatesIn ?? 0,
      readIn: m.n.readIn ?? 0,
      pings: m.n.pings ?? 0,
    };
    samples.push(s);
    ctx.log(
      `t=${s.t}s ${s.msgsPerSec} msg/s, e2e p50/p99 ${s.e2eP50}/${s.e2eP99} ms, CPU ${s.serverCpuPct}%, RSS ${s.rssMiB} MiB, heap ${s.heapMiB} MiB`,
    );
  }
  const tail = merge(await running);

  const ts = samples.map((s) => (s.t as number) / 60);
  const slope = (key: string) =>
    linearSlope(
      ts,
      samples.map((s) => s[key] as number),
    );
  // Latency drift over the samples the neighbours left alone (contention is not the server's drift).
  const calm = samples.filter((s) => !s.contended);
  const third = Math.max(1, Math.floor(calm.length / 3));
  const median = (xs: Record<string, unknown>[], key: string) => {
    const v = xs.map((s) => s[key] as number).sort((a, b) => a - b);
    return v.length === 0 ? Number.NaN : v[Math.floor((v.length - 1) / 2)]!;
  };
  const drift = {
    rssMiBPerMin: round(slope('rssMiB'), 2),
    heapMiBPerMin: round(slope('heapMiB'), 2),
    calmSamples: calm.length,
    e2eP99FirstThird: round(median(calm.slice(0, third), 'e2eP99'), 2),
    e2eP99LastThird: round(median(calm.slice(-third), 'e2eP99'), 2),
    rssFirst: samples[0]?.rssMiB,
    rssLast: samples.at(-1)?.rssMiB,
    tailOutstanding: tail.outstanding,
  };
  return {
    scenario: 'mixed',
    tables: [
      {
        title: `mixed load over ${duration} s (sampled every ${sample} s)`,
        columns: [
          't s',
          'msg/s',
          'stanzas out/s',
          'e2e p50/p99/max ms',
          'ack p99 ms',
          'server CPU %',
          'µs/msg',
          'loop %: cpu/wait/io',
          'RSS MiB',
          'heap MiB',
          'sessions',
        ],
        rows: samples.map((s) => [
          s.t as number,
          s.msgsPerSec as number,
          s.stanzasOutPerSec as number,
          `${s.e2eP50} / ${s.e2eP99} / ${s.e2eMax}`,
          s.ackP99 as number,
          s.serverCpuPct as number,
          s.cpuUsPerMsg as number,
          s.loop as string,
          s.rssMiB as number,
          s.heapMiB as number,
          s.sessions as number,
        ]),
      },
      {
        title: 'drift',
        columns: [
          'RSS MiB/min',
          'heap MiB/min',
          'e2e p99 first third ms',
          'e2e p99 last third ms',
          'RSS first → last MiB',
        ],
        rows: [
          [
            drift.rssMiBPerMin,
            drift.heapMiBPerMin,
            `${drift.calmSamples}/${samples.length}`,
            drift.e2eP99FirstThird,
            drift.e2eP99LastThird,
            `${drift.rssFirst} → ${drift.rssLast}`,
          ],
        ],
      },
    ],
    notes: [
      `${users} users online, each subscribed to ${subs} others' presence; ${rate} msg/s with <chatstate><composing/> before each, ` +
        `delivered receipts on every message, read receipts on ${Math.round(readShare * 100)} % one second later; ` +
        `${presenceRate} presence toggles/s (unavailable, available 2 s later); server keepalive pings answered.`,
      'Slopes are least-squares fits over the samples; a leak shows as a steady positive heap/RSS slope with flat traffic.',
      "Latency drift: median of the per-sample e2e p99 in the first and last third of the calm samples (those where the server's main thread waited < 15 % for its CPU; the others measure neighbours on a shared machine).",
    ],
    data: { samples, drift, users, rate, duration },
  };
}

function linearSlope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}
