/**
 * login: a storm of full logins — TCP connect, stream header, Noise IK handshake with the login in its
 * first message, the server's key check against the database, `<success/>` — at rising offered rates
 * until the server saturates. Each client closes right after `<success/>` (FIN; `--close rst` resets
 * instead, leaving no TIME_WAIT — but then the server builds an ECONNRESET error per login). TIME_WAIT
 * ports are spread over the source addresses: 16 × ~28k ports, far more than a run's logins.
 */
import { cpus } from 'node:os';
import { addCounts, Histogram, nowUs } from '../common.js';
import {
  type Ctx,
  countsText,
  generatorCores,
  limitOf,
  loopSplit,
  range,
  sleep,
  windowMarks,
} from '../context.js';
import { round, type ScenarioResult } from '../report.js';
import type { LoginArgs, LoginResult } from '../worker.js';

export async function login(ctx: Ctx): Promise<ScenarioResult> {
  const users = ctx.num('users', 5000, 20);
  const rates = ctx.list('rates', [250, 500, 750, 1000, 1500, 2000, 3000, 4000, 6000, 8000], [10, 20]);
  const seconds = ctx.num('step-seconds', 6, 1);
  const workers = ctx.num('workers', 2, 1);
  const maxInFlight = ctx.num('max-in-flight', 400, 20);
  const close = ctx.str('close', 'fin');
  if (close !== 'fin' && close !== 'rst') throw new Error('--close is fin or rst');
  // Logins here go over TCP only: the WebSocket share is a transport question the other scenarios cover.
  const cl = await ctx.start({ users, workers, wsShare: 0 });
  const pools = cl.split(range(0, users));
  const genCores = generatorCores(cl, cpus().length);

  if (!ctx.smoke) {
    ctx.log('warm-up: 2 s at 100 logins/s (not reported)');
    const startAtUs = nowUs() + 200_000;
    await cl.all<LoginResult>('login', (w) => ({
      pool: pools[w.id],
      startAtUs,
      seconds: 2,
      rate: 100 / cl.workers.length,
      maxInFlight: Math.ceil(maxInFlight / cl.workers.length),
      close,
    }));
    await sleep(500);
  }

  const rows: Record<string, unknown>[] = [];
  let saturatedAt: number | undefined;
  const discarded: Record<string, unknown>[] = [];
  for (let i = 0; i < rates.length; i++) {
    const rate = rates[i]!;
    const startAtUs = nowUs() + 300_000;
    const marks = windowMarks(cl, startAtUs, seconds);
    const [res, w] = await Promise.all([
      cl.all<LoginResult>(
        'login',
        (wk): LoginArgs => ({
          pool: pools[wk.id]!,
          startAtUs,
          seconds,
          rate: rate / cl.workers.length,
          maxInFlight: Math.ceil(maxInFlight / cl.workers.length),
          close: close as 'fin' | 'rst',
        }),
      ),
      marks,
    ]);
    const sum = (k: 'offered' | 'ok' | 'okInWindow' | 'failed' | 'backlogged') =>
      res.reduce((s, r) => s + r[k], 0);
    const latency = Histogram.from(res.map((r) => r.latency)).summary();
    const reasons: Record<string, number> = {};
    for (const r of res) addCounts(reasons, r.reasons);
    const okInWindow = sum('okInWindow');
    const completed = okInWindow / seconds;
    const saturated =
      completed < 0.9 * rate || sum('backlogged') > 0 || sum('failed') > 0 || !(latency.p99 < 1000);
    const genLag = Math.max(...res.map((r) => r.gen.lagP99));
    const row = {
      offered: rate,
      completed: Math.round(completed),
      failed: sum('failed'),
      backlogged: sum('backlogged'),
      p50: latency.p50,
      p90: latency.p90,
      p99: latency.p99,
      max: latency.max,
      serverCpuPct: round(w.server.share * 100),
      cpuUsPerLogin: okInWindow > 0 ? Math.round((w.server.seconds / okInWindow) * 1e6) : Number.NaN,
      serverElu: round(w.stats.elu, 2),
      mainCpuPct: round(w.server.mainRun * 100),
      runqWaitPct: round(w.server.mainWait * 100),
      loop: loopSplit(w.stats.elu, w.server).text,
      serverLagP99: w.stats.lag.p99,
      genCpuPct: round(w.generator.share * 100),
      genLagP99: round(genLag, 1),
      reasons: countsText(reasons),
      saturated,
      limit: saturated
        ? limitOf({ server: w.server, serverElu: w.stats.elu, genCpu: w.generator.share, genCores })
        : '',
    };
    rows.push(row);
    ctx.log(
      `${rate} logins/s offered: ${row.completed}/s completed, p50/p99 ${latency.p50}/${latency.p99} ms, ` +
        `server CPU ${row.serverCpuPct}% (${row.cpuUsPerLogin} µs/login), generator CPU ${row.genCpuPct}%` +
        (saturated ? ` — saturated: ${row.limit}${row.reasons ? `; ${row.reasons}` : ''}` : ''),
    );
    if (await ctx.retryContended(saturated, w.server)) {
      discarded.push(rows.pop()!);
      i--;
      continue;
    }
    if (saturated) {
      saturatedAt = rate;
      break;
    }
    await sleep(1000);
  }
  const best = rows.filter((r) => !r.saturated).at(-1);
  const top = Math.max(0, ...rows.map((r) => r.completed as number));
  return {
    scenario: 'login',
    tables: [
      {
        title: 'login storm: TCP connect + Noise IK handshake + login → <success/>',
        columns: [
          'offered/s',
          'completed/s',
          'failed',
          'backlogged',
          'p50/p90/p99/max ms',
          'server CPU %',
          'µs/login',
          'loop %: cpu/wait/io',
          'gen CPU %',
          'limit',
        ],
        rows: rows.map((r) => [
          r.offered as number,
          r.completed as number,
          r.failed as number,
          r.backlogged as number,
          `${r.p50} / ${r.p90} / ${r.p99} / ${r.max}`,
          r.serverCpuPct as number,
          r.cpuUsPerLogin as number,
          r.loop as string,
          r.genCpuPct as number,
          (r.limit as string) || '–',
        ]),
      },
    ],
    notes: [
      `${users} seeded users, logged in round-robin (never two logins of one device at once); ${seconds} s per step; at most ${maxInFlight} logins in flight; the client closes (${close === 'fin' ? 'FIN' : 'RST'}) right after <success/>.`,
      'completed/s = <success/> received inside the step window ÷ its length; µs/login = server CPU in the window ÷ those logins (includes session open/close).',
      "loop % = the server's event loop busy (ELU) as on CPU / runnable but waiting for its CPU (other processes on a shared machine) / blocked in the kernel (synchronous I/O: SQLite's fsync), % of the step (main thread, /proc/<pid>/task/<pid>/schedstat).",
      discarded.length > 0
        ? `${discarded.length} saturated step(s) were repeated because the server waited ≥ 15 % for its CPU (kept in the JSON as "discarded").`
        : 'No step had to be repeated for CPU contention.',
      'A step is saturated when completed < 90 % of offered, the in-flight cap held logins back, any login failed, or p99 ≥ 1 s.',
      saturatedAt
        ? `Saturated at ${saturatedAt}/s offered; highest unsaturated step ${best?.offered ?? 'none'}/s; most completed in a step ${top}/s.`
        : `Did not saturate within the rates given; most completed ${top}/s.`,
    ],
    data: {
      rows,
      discarded,
      saturatedAt: saturatedAt ?? null,
      maxCompleted: top,
      users,
      stepSeconds: seconds,
    },
  };
}
