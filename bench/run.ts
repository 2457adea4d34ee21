/**
 * `npm run bench [-- --only codec[,noise]] [--seconds N]`: runs the benchmark parts, prints their tables
 * and writes each part's results to bench/results/<part>.json. Benchmarks never run in the tests.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, platform, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { BenchReport, Table } from './codec.js';

interface Part {
  name: string;
  /** Present when the part's module is in the tree (parts from other developers may not be yet). */
  available: () => boolean;
  run: (seconds: number | undefined) => Promise<unknown>;
}

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

const PARTS: Part[] = [
  {
    name: 'codec',
    available: () => true,
    run: async (seconds) => {
      const { benchCodec, DEFAULT_CODEC_SECONDS } = await import('./codec.js');
      return benchCodec({ seconds: seconds ?? DEFAULT_CODEC_SECONDS });
    },
  },
  {
    name: 'noise',
    available: () => existsSync(here('./noise.ts')),
    run: async (seconds) => {
      const specifier = './noise.js'; // a variable, so the type checker does not require the file
      const mod = (await import(specifier)) as { benchNoise?: (o: { seconds?: number }) => unknown };
      if (typeof mod.benchNoise !== 'function') throw new Error('bench/noise.ts does not export benchNoise');
      return mod.benchNoise(seconds === undefined ? {} : { seconds });
    },
  },
  {
    name: 'e2e',
    available: () => existsSync(here('./e2e.ts')),
    run: async (seconds) => {
      const specifier = './e2e.js'; // a variable, so the type checker does not require the file
      const mod = (await import(specifier)) as { benchE2E?: (o: { seconds?: number }) => unknown };
      if (typeof mod.benchE2E !== 'function') throw new Error('bench/e2e.ts does not export benchE2E');
      return mod.benchE2E(seconds === undefined ? {} : { seconds });
    },
  },
];

function usage(message?: string): never {
  if (message) console.error(message);
  console.error(
    `usage: npm run bench -- [--only ${PARTS.map((p) => p.name).join(',')}] [--seconds N]\n` +
      '  --only     run only these parts (comma-separated)\n' +
      "  --seconds  approximate time budget of each part's timed rounds",
  );
  process.exit(message ? 2 : 0);
}

function main(): Promise<void> {
  let values: { only?: string; seconds?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        only: { type: 'string' },
        seconds: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    usage(e instanceof Error ? e.message : String(e));
  }
  if (values.help) usage();
  let seconds: number | undefined;
  if (values.seconds !== undefined) {
    seconds = Number(values.seconds);
    if (!Number.isFinite(seconds) || seconds <= 0) usage(`--seconds must be a positive number`);
  }
  let parts = PARTS;
  if (values.only !== undefined) {
    const wanted = values.only.split(',').map((s) => s.trim());
    for (const w of wanted) if (!PARTS.some((p) => p.name === w)) usage(`unknown part "${w}"`);
    parts = PARTS.filter((p) => wanted.includes(p.name));
  }
  return runParts(parts, seconds, values.only !== undefined);
}

async function runParts(parts: Part[], seconds: number | undefined, explicit: boolean): Promise<void> {
  const resultsDir = here('./results/');
  mkdirSync(resultsDir, { recursive: true });
  const env = {
    date: new Date().toISOString(),
    node: process.version,
    v8: process.versions.v8,
    platform: `${platform()} ${arch()}`,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
  };
  console.log(`bench: node ${env.node} on ${env.platform}, ${env.cores}× ${env.cpu}`);
  let failed = false;
  for (const part of parts) {
    if (!part.available()) {
      console.log(`\n== ${part.name}: skipped (bench/${part.name}.ts is not there yet)`);
      if (explicit) failed = true;
      continue;
    }
    console.log(`\n== ${part.name}`);
    let result: unknown;
    try {
      result = await part.run(seconds);
    } catch (e) {
      console.error(`bench ${part.name} failed:`, e);
      failed = true;
      continue;
    }
    for (const table of tablesOf(result)) printTable(table);
    for (const note of notesOf(result)) console.log(`- ${note}`);
    const file = `${resultsDir}${part.name}.json`;
    writeFileSync(file, `${JSON.stringify({ part: part.name, env, seconds, result }, jsonBytes, 2)}\n`);
    console.log(`(results: ${file})`);
  }
  if (failed) process.exitCode = 1;
}

/** Tables in a part's result: a BenchReport's tables, or rows of plain objects (`rows` or the result itself). */
function tablesOf(result: unknown): Table[] {
  if (isReport(result)) return result.tables;
  const rows = Array.isArray(result)
    ? result
    : isObject(result) && Array.isArray(result.rows)
      ? result.rows
      : undefined;
  if (rows === undefined || rows.length === 0 || !rows.every(isObject)) {
    return [{ title: 'result', columns: ['value'], rows: [[JSON.stringify(result, jsonBytes)]] }];
  }
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown): string =>
    typeof v === 'number'
      ? Number.isInteger(v)
        ? v.toLocaleString('en-US')
        : v.toPrecision(4)
      : String(v ?? '');
  return [
    {
      title: isObject(result) && typeof result.title === 'string' ? result.title : '',
      columns,
      rows: rows.map((r) => columns.map((c) => cell(r[c]))),
    },
  ];
}

function notesOf(result: unknown): string[] {
  if (isObject(result) && Array.isArray(result.notes)) return result.notes.map(String);
  return [];
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isReport(x: unknown): x is BenchReport {
  return isObject(x) && Array.isArray(x.tables) && Array.isArray(x.notes);
}

/** JSON.stringify replacer: byte arrays as their length rather than thousands of numbers. */
function jsonBytes(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? `<${value.length} bytes>` : value;
}

/** First column left-aligned, the others right-aligned. */
function printTable(t: Table): void {
  const widths = t.columns.map((c, i) => Math.max(c.length, ...t.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  if (t.title) console.log(`\n${t.title}`);
  console.log(line(t.columns));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of t.rows) console.log(line(r));
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
