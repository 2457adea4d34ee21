/**
 * idle: authenticated idle connections held, in cumulative steps up to the per-process open-file cap,
 * and the server's RSS per connection at each step's plateau. Stops at the first step with a failure
 * and says what failed; extrapolates to 1M connections.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { addCounts, Histogram } from '../common.js';
import { type Ctx, countsText, range, sleep } from '../context.js';
import { heapGroups, heapTable } from '../heap.js';
import { cpuBetween, fileLimits } from '../proc.js';
import { round, type ScenarioResult } from '../report.js';
import type { ConnectResult } from '../worker.js';

export async function idle(ctx: Ctx): Promise<ScenarioResult> {
  const steps = ctx.list('steps', [1000, 2000, 5000, 10000, 15000, 19000], [20, 40]);
  const max = Math.max(...steps);
  const perWorker = ctx.num('per-worker', 5000);
  const workers = Math.max(ctx.num('workers', 1), Math.ceil(max / perWorker));
  const plateau = ctx.num('plateau', 8, 1);
  const concurrency = ctx.num('concurrency', 50, 8);
  const cl = await ctx.start({ users: max, workers });

  await sleep(1000);
  const base = await cl.serverStats();
  const baseRss = cl.serverRssKiB();
  const baseFds = cl.serverFds();
  ctx.log(
    `server RSS before load ${round(baseRss / 1024)} MiB, heap ${base.heapUsedMiB} MiB, ${baseFds} fds`,
  );

  const rows: Record<string, unknown>[] = [];
  let failure: string | undefined;
  let prev = 0;
  for (const step of steps) {
    if (step <= prev) continue;
    const t0 = performance.now();
    const parts = cl.split(range(prev, step));
    const res = await cl.all<ConnectResult>('connect', (w) => ({
      indices: parts[w.id],
      concurrency,
      presence: true,
    }));
    const connectS = (performance.now() - t0) / 1000;
    const latency = Histogram.from(res.map((r) => r.latency)).summary();
    const reasons: Record<string, number> = {};
    for (const r of res) addCounts(reasons, r.reasons);
    const failed = res.reduce((s, r) => s + r.failed, 0);

    const c0 = cl.serverCpu();
    await cl.serverStats();
    await sleep(plateau * 1000);
    const c1 = cl.serverCpu();
    const st = await cl.serverStats();
    const status = await cl.all<{ open: number; closeReasons: Record<string, number> }>('status', () => ({}));
    const open = status.reduce((s, x) => s + x.open, 0);
    const closed: Record<string, number> = {};
    for (const s of status) addCounts(closed, s.closeReasons);
    const rss = cl.serverRssKiB();
    const fds = cl.serverFds();
    const kib = st.sessions > 0 ? (rss - baseRss) / st.sessions : Number.NaN;
    const row = {
      step,
      sessions: st.sessions,
      clientOpen: open,
      failed,
      connectSeconds: round(connectS, 1),
      loginsPerSec: Math.round((step - prev) / connectS),
      loginP50ms: latency.p50,
      loginP99ms: latency.p99,
      rssMiB: round(rss / 1024),
      deltaMiB: round((rss - baseRss) / 1024),
      kibPerConn: round(kib, 2),
      heapMiB: st.heapUsedMiB,
      arrayBuffersMiB: st.arrayBuffersMiB,
      serverFds: fds,
      plateauCpuPct: round(cpuBetween(c0, c1).share * 100),
      lagP99ms: st.lag.p99,
    };
    rows.push(row);
    ctx.log(
      `step ${step}: ${st.sessions} sessions, RSS ${row.rssMiB} MiB (${row.kibPerConn} KiB/conn), ` +
        `${failed} failed ${countsText(reasons)}`,
    );
    const alive = cl.serverAlive();
    if (failed > 0 || open < step || st.sessions < step || !alive) {
      const what = [
        failed > 0 ? `${failed} logins failed (${countsText(reasons)})` : '',
        open < step ? `${step - open} client connections closed (${countsText(closed)})` : '',
        st.sessions < step ? `server holds ${st.sessions} of ${step} sessions` : '',
        alive ? '' : 'server process died',
      ]
        .filter(Boolean)
        .join('; ');
      failure = `step ${step}: ${what}`;
      break;
    }
    prev = step;
  }

  const top = rows.at(-1);
  const tables = [];
  const snapDir = ctx.raw['heap-snapshot'];
  let heap: unknown;
  if (typeof snapDir === 'string' && top) {
    mkdirSync(snapDir, { recursive: true });
    const file = await cl.heapSnapshot(join(snapDir, `server-${top.sessions}.heapsnapshot`));
    const groups = heapGroups(file);
    tables.push(heapTable(groups, top.sessions as number));
    heap = { file, top: groups.slice(0, 40) };
  }
  const kib = Number(top?.kibPerConn ?? Number.NaN);
  const cap = fileLimits().hard;
  const perProcess = Math.max(1, (Number.isFinite(cap) ? cap : 20000) - 100);
  const processes = Math.ceil(1_000_000 / perProcess);
  const millionGiB = (kib * 1_000_000) / 2 ** 20 + (processes * baseRss) / 2 ** 20;
  const notes = [
    `Server RSS before load: ${round(baseRss / 1024)} MiB; KiB/conn = (RSS − that) / server sessions, after a ${plateau} s plateau.`,
    `Each connection: IK handshake + login, then <presence type="available"/>; ${Math.round(ctx.num('ws-share', 0.1) * 100)} % over WebSocket; ${workers} generator processes.`,
    failure ? `First failure: ${failure}.` : `No step failed (largest step ${top?.step}).`,
    `Open-file cap per process: ${Number.isFinite(cap) ? cap : 'unlimited'} (hard) → ≈ ${perProcess.toLocaleString('en-US')} connections per server process; ` +
      `1M connections = ${processes} processes × (${round(baseRss / 1024)} MiB base) + 1M × ${kib} KiB ≈ ${round(millionGiB, 1)} GiB.`,
  ];
  return {
    scenario: 'idle',
    tables: [
      {
        title: 'idle connections (server process)',
        columns: [
          'step',
          'sessions',
          'failed',
          'connect s',
          'logins/s',
          'login p50/p99 ms',
          'RSS MiB',
          'Δ MiB',
          'KiB/conn',
          'heap MiB',
          'fds',
          'idle CPU %',
        ],
        rows: rows.map((r) => [
          r.step as number,
          r.sessions as number,
          r.failed as number,
          r.connectSeconds as number,
          r.loginsPerSec as number,
          `${r.loginP50ms} / ${r.loginP99ms}`,
          r.rssMiB as number,
          r.deltaMiB as number,
          r.kibPerConn as number,
          r.heapMiB as number,
          r.serverFds as number,
          r.plateauCpuPct as number,
        ]),
      },
      ...tables,
    ],
    notes,
    data: {
      heap,
      rows,
      baseRssMiB: round(baseRss / 1024),
      baseHeapMiB: base.heapUsedMiB,
      failure: failure ?? null,
      extrapolation: { kibPerConn: kib, perProcess, processes, millionGiB: round(millionGiB, 2) },
    },
  };
}
