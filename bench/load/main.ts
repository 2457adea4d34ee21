/**
 * Parley load generator: `npm run bench:load -- <scenario> [options]`.
 *
 * Scenarios: idle, chat, login, drain, mixed (docs/benchmarks.md). Each seeds its users into a fresh
 * data directory, starts the server as its own process, forks generator processes that open real
 * client connections, runs bounded in count and time, prints its tables and writes
 * bench/results/load-<scenario>.json (or --out).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO } from './cluster.js';
import { Ctx, type RawOptions } from './context.js';
import { machine, pressure } from './proc.js';
import { newestProfile, summarizeProfile } from './profile.js';
import { printTable, type ScenarioResult, writeResult } from './report.js';
import { chat } from './scenarios/chat.js';
import { drain } from './scenarios/drain.js';
import { idle } from './scenarios/idle.js';
import { login } from './scenarios/login.js';
import { mixed } from './scenarios/mixed.js';

const SCENARIOS: Record<string, (ctx: Ctx) => Promise<ScenarioResult>> = { idle, chat, login, drain, mixed };

const USAGE = `usage: npm run bench:load -- <idle|chat|login|drain|mixed> [options]

common:
  --smoke               tiny sizes (seconds, tens of connections), no CPU pinning: for CI
  --users N             seeded users (scenario default)
  --workers N           generator processes
  --ws-share F          share of connections over WebSocket (default 0.1)
  --addrs N             127.0.0.x source addresses to spread connections over (default 16)
  --pin auto|none       auto: server on the last CPU, generator on the others (default; none with --smoke)
  --data DIR            parent of the run's data directory (default: OS temp dir)
  --keep                keep the data directory
  --out FILE            result JSON (default bench/results/load-<scenario>.json)
  --server-prof DIR     write a V8 CPU profile of the server there and print its hot spots
  --xx                  Noise XX instead of IK (no pinned server key)
  --max-seconds N       hard bound on the whole run (default 900; smoke 60)
  --seed S              key derivation seed (default "parley")
  --retries N           chat/login: repeat a saturated step whose server waited ≥ 15 % for its CPU (default 3)
  --quiet-wait S        first wait up to S s for the machine's CPU pressure to fall below 10 % (default 120; smoke 0)
idle:   --steps 1000,2000,5000,10000,15000,19000  --plateau S  --per-worker N  --concurrency N
        --heap-snapshot DIR   after the last step, snapshot the server heap and list it by constructor
chat:   --rates 250,500,...  --step-seconds S  --size B  --no-receipts  --max-outstanding N  --no-warmup
login:  --rates 250,500,...  --step-seconds S  --max-in-flight N  --close fin|rst
drain:  --messages N  --recipients N  --senders N  --fill server|seed  --receipts  --window N
mixed:  --duration S  --sample S  --rate MSG/S  --read-share F  --presence-rate N/S  --subscriptions N`;

const STRING_OPTIONS = [
  'users',
  'workers',
  'ws-share',
  'addrs',
  'pin',
  'data',
  'out',
  'server-prof',
  'max-seconds',
  'seed',
  'timeout-ms',
  'steps',
  'plateau',
  'per-worker',
  'concurrency',
  'rates',
  'step-seconds',
  'size',
  'max-outstanding',
  'grace-ms',
  'max-in-flight',
  'messages',
  'recipients',
  'senders',
  'fill',
  'window',
  'drain-timeout',
  'duration',
  'sample',
  'rate',
  'read-share',
  'presence-rate',
  'subscriptions',
  'close',
  'heap-snapshot',
  'quiet-wait',
  'retries',
];

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        ...Object.fromEntries(STRING_OPTIONS.map((o) => [o, { type: 'string' as const }])),
        help: { type: 'boolean', short: 'h' },
        smoke: { type: 'boolean' },
        keep: { type: 'boolean' },
        xx: { type: 'boolean' },
        receipts: { type: 'boolean' },
        'no-receipts': { type: 'boolean' },
        'no-warmup': { type: 'boolean' },
      },
    });
  } catch (e) {
    console.error((e as Error).message);
    console.error(USAGE);
    process.exit(2);
  }
  const scenario = parsed.positionals[0];
  if (parsed.values.help || !scenario) {
    console.error(USAGE);
    process.exit(scenario || parsed.values.help ? 0 : 2);
  }
  const run = SCENARIOS[scenario];
  if (!run) {
    console.error(`unknown scenario "${scenario}"\n${USAGE}`);
    process.exit(2);
  }
  const raw = parsed.values as RawOptions;
  const smoke = raw.smoke === true;
  const log = (line: string) => console.log(`[${scenario}] ${line}`);
  const ctx = new Ctx(scenario, raw, smoke, log);
  const out = typeof raw.out === 'string' ? raw.out : join(REPO, 'bench', 'results', `load-${scenario}.json`);
  const maxSeconds = ctx.num('max-seconds', 900, 60);

  const bound = setTimeout(() => {
    console.error(`[${scenario}] time limit of ${maxSeconds} s reached: stopping`);
    void (ctx.cluster?.close() ?? Promise.resolve()).finally(() => process.exit(3));
  }, maxSeconds * 1000);
  bound.unref();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      void (ctx.cluster?.close() ?? Promise.resolve()).finally(() => process.exit(130));
    });
  }

  const started = new Date();
  const pressureBefore = pressure();
  const t0 = performance.now();
  let result: ScenarioResult;
  try {
    result = await run(ctx);
  } catch (err) {
    console.error(`[${scenario}] failed:`, err instanceof Error ? err.message : err);
    if (ctx.cluster) {
      const tail = ctx.cluster.serverOutput().trim();
      if (tail) console.error(`[${scenario}] server output (tail):\n${tail.slice(-3000)}`);
      await ctx.cluster.close();
    }
    clearTimeout(bound);
    process.exitCode = 1;
    return;
  }
  const cl = ctx.cluster;
  const serverLog = cl?.serverOutput().trim() ?? '';
  const pins = cl?.pins;
  await cl?.close();
  clearTimeout(bound);

  const profDir = typeof raw['server-prof'] === 'string' ? raw['server-prof'] : undefined;
  if (profDir) {
    const file = newestProfile(profDir);
    if (file) {
      const p = summarizeProfile(file);
      result.tables.push(...p.tables);
      result.data.profile = { file, busyMs: p.busyMs };
    }
  }

  console.log('');
  for (const t of result.tables) printTable(t);
  console.log('');
  for (const n of result.notes) console.log(`- ${n}`);
  if (serverLog) {
    const lines = serverLog.split('\n');
    console.log(
      `- server wrote ${lines.length} log line(s) at level warn; last: ${lines.at(-1)!.slice(0, 300)}`,
    );
  }
  const seconds = Math.round((performance.now() - t0) / 100) / 10;
  writeResult(out, result, {
    date: started.toISOString(),
    seconds,
    machine: machine(),
    source: source(),
    pinning: pins ?? null,
    pressure: { before: pressureBefore ?? null, after: pressure() ?? null },
    options: raw,
    serverLogLines: serverLog ? serverLog.split('\n').length : 0,
  });
  const pa = pressure();
  if (pa && pressureBefore) {
    console.log(
      `- machine pressure (60 s avg, % of time something waited): CPU ${pressureBefore.cpu60} → ${pa.cpu60}, I/O ${pressureBefore.io60} → ${pa.io60}`,
    );
  }
  console.log(`(${seconds} s; results: ${out})`);
  if (result.data.complete === false) process.exitCode = 1;
}

/** Which code was measured: the commit, and the source files changed on top of it (others edit src/ too). */
function source(): { commit: string; changed: string[] } | null {
  try {
    const git = (...a: string[]) => execFileSync('git', a, { cwd: REPO, encoding: 'utf8' }).trim();
    const changed = git('status', '--porcelain', '--', 'src')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.slice(3));
    return { commit: git('rev-parse', '--short', 'HEAD'), changed };
  } catch {
    return null;
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
