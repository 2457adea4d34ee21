/**
 * chat: N online users send 1:1 messages (opaque ~E2E-sized payload with the send time inside) to
 * random online peers at a set total rate, rising step by step until the server saturates. Recipients
 * ack each message and send a delivered receipt, which the sender acks in turn — the whole durable
 * path. Per step: accepted msg/s, server-ack and end-to-end latency, server CPU per message.
 */
import { cpus } from 'node:os';
import { addCounts, nowUs } from '../common.js';
import {
  type Ctx,
  connectAll,
  countsText,
  generatorCores,
  hist,
  limitOf,
  loopSplit,
  merge,
  sleep,
  windowMarks,
} from '../context.js';
import { round, type ScenarioResult } from '../report.js';
import type { TrafficArgs, WorkerSnapshot } from '../worker.js';

export async function chat(ctx: Ctx): Promise<ScenarioResult> {
  const users = ctx.num('users', 1000, 20);
  const rates = ctx.list(
    'rates',
    [250, 500, 750, 1000, 1500, 2000, 3000, 4000, 6000, 8000, 12000, 16000, 24000, 32000, 48000, 64000],
    [20, 40],
  );
  const seconds = ctx.num('step-seconds', 10, 2);
  const receipts = !ctx.flag('no-receipts');
  const size = ctx.num('size', 160);
  const workers = ctx.num('workers', 2, 1);
  const graceMs = ctx.num('grace-ms', 5000, 3000);
  const maxOutstanding = ctx.num('max-outstanding', 20000, 1000);
  const cl = await ctx.start({ users, workers });

  await connectAll(cl, users);
  ctx.log(`${users} users online over ${workers} generator processes`);

  const step = (rate: number, secs: number) => {
    const startAtUs = nowUs() + 300_000;
    const marks = windowMarks(cl, startAtUs, secs);
    const args = (): TrafficArgs => ({
      startAtUs,
      seconds: secs,
      rate: rate / cl.workers.length,
      peers: users,
      receipts,
      readShare: 0,
      typing: false,
      presenceRate: 0,
      size,
      maxOutstanding: Math.ceil(maxOutstanding / cl.workers.length),
      graceMs,
    });
    return Promise.all([cl.all<WorkerSnapshot>('traffic', args), marks]);
  };

  if (!ctx.smoke && !ctx.flag('no-warmup')) {
    ctx.log('warm-up: 3 s at 200 msg/s (not reported)');
    await step(Math.min(200, rates[0]!), 3);
    await sleep(500);
  }

  const genCores = generatorCores(cl, cpus().length);
  const rows: Record<string, unknown>[] = [];
  let saturatedAt: number | undefined;
  const discarded: Record<string, unknown>[] = [];
  for (let i = 0; i < rates.length; i++) {
    const rate = rates[i]!;
    const [snaps, w] = await step(rate, seconds);
    const m = merge(snaps);
    const acked = m.n.ackedInWindow ?? 0;
    const accepted = acked / seconds;
    const ack = hist(m, 'ackLat').summary();
    const e2e = hist(m, 'e2e').summary();
    const rcpt = hist(m, 'receiptLat').summary();
    const errors: Record<string, number> = {};
    addCounts(errors, m.reasons.ackErrors);
    addCounts(errors, m.reasons.otherErrors);
    const throttled = m.n.throttled ?? 0;
    const lost =
      (m.n.sent ?? 0) -
      (m.n.acked ?? 0) -
      Object.values(m.reasons.ackErrors ?? {}).reduce((a, b) => a + b, 0);
    const missingReceipts = receipts ? (m.n.acked ?? 0) - (m.n.receiptsIn ?? 0) : 0;
    const saturated =
      accepted < 0.9 * rate ||
      throttled > 0 ||
      !(e2e.p99 < 1000) ||
      Object.keys(errors).length > 0 ||
      lost > 0;
    const row = {
      offered: rate,
      accepted: Math.round(accepted),
      sent: m.n.sent ?? 0,
      ackP50: ack.p50,
      ackP90: ack.p90,
      ackP99: ack.p99,
      ackMax: ack.max,
      e2eP50: e2e.p50,
      e2eP90: e2e.p90,
      e2eP99: e2e.p99,
      e2eMax: e2e.max,
      receiptP50: rcpt.p50,
      receiptP99: rcpt.p99,
      serverCpuPct: round(w.server.share * 100),
      cpuUsPerMsg: acked > 0 ? round((w.server.seconds / acked) * 1e6) : Number.NaN,
      serverElu: round(w.stats.elu, 2),
      mainCpuPct: round(w.server.mainRun * 100),
      runqWaitPct: round(w.server.mainWait * 100),
      loop: loopSplit(w.stats.elu, w.server).text,
      serverLagP99: w.stats.lag.p99,
      serverRssMiB: round(w.rssKiB / 1024),
      genCpuPct: round(w.generator.share * 100),
      genLagP99: round(m.genLagP99, 1),
      throttled,
      unacked: lost,
      missingReceipts,
      errors: countsText(errors),
      saturated,
      limit: saturated
        ? limitOf({ server: w.server, serverElu: w.stats.elu, genCpu: w.generator.share, genCores })
        : '',
    };
    rows.push(row);
    ctx.log(
      `${rate} msg/s offered: ${row.accepted} accepted, ack p50/p99 ${ack.p50}/${ack.p99} ms, e2e p50/p99 ` +
        `${e2e.p50}/${e2e.p99} ms, server CPU ${row.serverCpuPct}% (${row.cpuUsPerMsg} µs/msg), ELU ${row.serverElu}` +
        (saturated ? ` — saturated: ${row.limit}` : ''),
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
    await sleep(500);
  }

  const best = rows.filter((r) => !r.saturated).at(-1);
  const notes = [
    `${users} users online (${Math.round(ctx.num('ws-share', 0.1) * 100)} % WebSocket), ${size}-byte <enc> payload, ` +
      `${seconds} s per step, delivery receipts ${receipts ? 'on (recipient acks + receipt, sender acks the receipt)' : 'off'}.`,
    'accepted = server acks received inside the step window ÷ its length; µs/msg = server utime+stime in the window ÷ those acks.',
    'ack = send → <ack>; e2e = send → arrival at the recipient (monotonic clock, timestamp in the payload); receipt = send → delivered receipt back at the sender.',
    discarded.length > 0
      ? `${discarded.length} saturated step(s) were repeated because the server waited ≥ 15 % for its CPU (kept in the JSON as "discarded").`
      : 'No step had to be repeated for CPU contention.',
    'A step is saturated when accepted < 90 % of offered, the generator had to hold back (too many outstanding), e2e p99 ≥ 1 s, or any error.',
    saturatedAt
      ? `Saturated at ${saturatedAt} msg/s offered; highest unsaturated step: ${best?.offered ?? 'none'} msg/s.`
      : 'Did not saturate within the rates given.',
  ];
  return {
    scenario: 'chat',
    tables: [
      {
        title: 'chat: 1:1 messages with server ack and delivery receipt',
        columns: [
          'offered/s',
          'accepted/s',
          'ack p50/p90/p99/max ms',
          'e2e p50/p90/p99/max ms',
          'receipt p50/p99 ms',
          'server CPU %',
          'µs/msg',
          'loop %: cpu/wait/io',
          'gen CPU %',
          'limit',
        ],
        rows: rows.map((r) => [
          r.offered as number,
          r.accepted as number,
          `${r.ackP50} / ${r.ackP90} / ${r.ackP99} / ${r.ackMax}`,
          `${r.e2eP50} / ${r.e2eP90} / ${r.e2eP99} / ${r.e2eMax}`,
          `${r.receiptP50} / ${r.receiptP99}`,
          r.serverCpuPct as number,
          r.cpuUsPerMsg as number,
          r.loop as string,
          r.genCpuPct as number,
          (r.limit as string) || '–',
        ]),
      },
    ],
    notes,
    data: { rows, discarded, saturatedAt: saturatedAt ?? null, users, size, receipts, stepSeconds: seconds },
  };
}
