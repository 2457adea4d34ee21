/**
 * drain: M messages queued for R offline users, then every user reconnects at once; how long until all
 * of them have received everything (and acked it, so the server's queue is empty). The queue is filled
 * either through the server by online senders (`--fill server`, the default: real accepts, one durable
 * transaction each) or written straight into its SQLite file before it starts (`--fill seed`).
 */
import { addCounts, Histogram } from '../common.js';
import { type Ctx, countsText, loopSplit, range, sleep } from '../context.js';
import { cpuBetween } from '../proc.js';
import { round, type ScenarioResult } from '../report.js';
import { seedQueue } from '../seed.js';
import type { ConnectResult } from '../worker.js';

export async function drain(ctx: Ctx): Promise<ScenarioResult> {
  const recipients = ctx.num('recipients', 1000, 20);
  const senders = ctx.num('senders', 100, 4);
  const messages = ctx.num('messages', 100_000, 400);
  const fillMode = ctx.str('fill', 'server');
  if (fillMode !== 'server' && fillMode !== 'seed') throw new Error('--fill is server or seed');
  const receipts = ctx.flag('receipts');
  const size = ctx.num('size', 160);
  const workers = ctx.num('workers', 2, 1);
  const window = ctx.num('window', 1000, 50);
  const rIdx = range(0, recipients);
  const sIdx = range(recipients, recipients + senders);
  const users = recipients + senders;
  if (messages / recipients > 10_000) throw new Error('more than offline.maxQueue (10,000) per recipient');

  const cl = await ctx.start({ users, workers }, (dir) => {
    if (fillMode !== 'seed') return;
    const ms = seedQueue(dir, { senders: sIdx, recipients: rIdx, total: messages, size });
    ctx.log(`seeded ${messages} queued messages in ${round(ms / 1000, 1)} s`);
  });

  let fill: Record<string, unknown> = { mode: fillMode };
  if (fillMode === 'server') {
    const sparts = cl.split(sIdx);
    await cl.all<ConnectResult>('connect', (w) => ({
      indices: sparts[w.id],
      concurrency: 20,
      presence: false,
    }));
    const c0 = cl.serverCpu();
    await cl.serverStats();
    const t0 = performance.now();
    const per = cl.workers.map(
      (_, i) => Math.floor(messages / cl.workers.length) + (i < messages % cl.workers.length ? 1 : 0),
    );
    const res = await cl.all<{ sent: number; acked: number; ms: number; ackLat: never }>('fill', (w) => ({
      recipients: rIdx,
      total: per[w.id],
      offset: w.id * 7919,
      window: Math.ceil(window / cl.workers.length),
      size,
    }));
    const ms = performance.now() - t0;
    const c1 = cl.serverCpu();
    const st = await cl.serverStats();
    const acked = res.reduce((s, r) => s + r.acked, 0);
    const ack = Histogram.from(res.map((r) => r.ackLat)).summary();
    fill = {
      mode: 'server',
      seconds: round(ms / 1000, 2),
      perSec: Math.round(acked / (ms / 1000)),
      cpuUsPerMsg: round((cpuBetween(c0, c1).seconds / acked) * 1e6),
      serverCpuPct: round(cpuBetween(c0, c1).share * 100),
      serverElu: round(st.elu, 2),
      loop: loopSplit(st.elu, cpuBetween(c0, c1)).text,
      ackP50: ack.p50,
      ackP99: ack.p99,
    };
    ctx.log(`filled ${acked} messages through the server in ${fill.seconds} s (${fill.perSec}/s accepted)`);
    await cl.all('disconnect', () => ({}));
    await sleep(500);
  }
  const queued = cl.queued();
  if (queued !== messages) throw new Error(`expected ${messages} queued entries, the server holds ${queued}`);

  await cl.all('drainReset', () => ({ receipts }));
  const rparts = cl.split(rIdx);
  const c0 = cl.serverCpu();
  const g0 = cl.generatorCpu();
  await cl.serverStats();
  const t0 = performance.now();
  const connecting = cl.all<ConnectResult>('connect', (w) => ({
    indices: rparts[w.id],
    concurrency: 50,
    presence: false,
  }));
  let connectedMs = Number.NaN;
  void connecting.then(() => {
    connectedMs = performance.now() - t0;
  });
  let receivedMs = Number.NaN;
  let emptyMs = Number.NaN;
  const deadline = Date.now() + ctx.num('drain-timeout', 600, 60) * 1000;
  let got = 0;
  while (Date.now() < deadline) {
    const prog = await cl.all<{ received: number; ib: number }>('drainProgress', () => ({}));
    got = prog.reduce((s, p) => s + p.received, 0);
    if (got >= messages && Number.isNaN(receivedMs)) receivedMs = performance.now() - t0;
    if (!Number.isNaN(receivedMs) && cl.queued() === 0) {
      emptyMs = performance.now() - t0;
      break;
    }
    await sleep(25);
  }
  const c1 = cl.serverCpu();
  const g1 = cl.generatorCpu();
  const st = await cl.serverStats();
  const conn = await connecting;
  const latency = Histogram.from(conn.map((r) => r.latency)).summary();
  const reasons: Record<string, number> = {};
  for (const r of conn) addCounts(reasons, r.reasons);
  const failedLogins = conn.reduce((s, r) => s + r.failed, 0);
  const cpu = cpuBetween(c0, c1);
  const complete = got >= messages && !Number.isNaN(emptyMs);
  const row = {
    messages,
    recipients,
    fill: fillMode,
    connectAllS: round(connectedMs / 1000, 2),
    loginP99ms: latency.p99,
    receivedAllS: round(receivedMs / 1000, 2),
    queueEmptyS: round(emptyMs / 1000, 2),
    deliveredPerSec: Math.round(messages / (receivedMs / 1000)),
    ackedPerSec: Math.round(messages / (emptyMs / 1000)),
    serverCpuPct: round(cpu.share * 100),
    cpuUsPerMsg: round((cpu.seconds / messages) * 1e6),
    serverElu: round(st.elu, 2),
    loop: loopSplit(st.elu, cpu).text,
    genCpuPct: round(cpuBetween(g0, g1).share * 100),
    received: got,
    failedLogins,
  };
  ctx.log(
    complete
      ? `drained ${messages} to ${recipients} users: all received in ${row.receivedAllS} s (${row.deliveredPerSec}/s), queue empty at ${row.queueEmptyS} s`
      : `drain incomplete: ${got}/${messages} received, queue ${cl.queued()}`,
  );
  const tables = [
    {
      title: 'offline drain: reconnect and receive the backlog',
      columns: [
        'messages',
        'users',
        'fill',
        'all logged in s',
        'all received s',
        'queue empty s',
        'delivered/s',
        'acked/s',
        'server CPU %',
        'µs/msg',
        'loop %: cpu/wait/io',
        'gen CPU %',
      ],
      rows: [
        [
          messages,
          recipients,
          fillMode,
          row.connectAllS,
          row.receivedAllS,
          row.queueEmptyS,
          row.deliveredPerSec,
          row.ackedPerSec,
          row.serverCpuPct,
          row.cpuUsPerMsg,
          row.loop,
          row.genCpuPct,
        ],
      ],
    },
  ];
  if (fill.mode === 'server') {
    tables.unshift({
      title: 'offline fill: messages accepted for offline users (group-committed)',
      columns: [
        'messages',
        'senders',
        's',
        'accepted/s',
        'ack p50/p99 ms',
        'server CPU %',
        'µs/msg',
        'loop %: cpu/wait/io',
      ],
      rows: [
        [
          messages,
          senders,
          fill.seconds as number,
          fill.perSec as number,
          `${fill.ackP50} / ${fill.ackP99}`,
          fill.serverCpuPct as number,
          fill.cpuUsPerMsg as number,
          fill.loop as string,
        ] as never,
      ],
    });
  }
  return {
    scenario: 'drain',
    tables,
    notes: [
      fillMode === 'server'
        ? `Queue filled through the server: ${senders} online senders, ${window} messages in flight, recipients offline (never logged in).`
        : 'Queue written straight into the server database before it started (the rows Delivery.accept writes).',
      `Then all ${recipients} recipients log in at once (50 logins in flight per generator process); each acks every message` +
        (receipts ? ' and sends a delivered receipt.' : ' (no receipts: the senders are gone).'),
      'loop % = server event loop busy: on CPU / waiting for a CPU / blocked in sync I/O (fsync), % of the window.',
      'delivered/s = messages ÷ time until the last one arrived; acked/s = messages ÷ time until the server queue was empty (all acks processed).',
      complete
        ? 'Complete: every message arrived and the queue is empty.'
        : `INCOMPLETE: ${got}/${messages}.`,
      failedLogins > 0 ? `Failed logins: ${countsText(reasons)}` : '',
    ].filter(Boolean),
    data: { row, fill, complete },
  };
}
