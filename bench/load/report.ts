/** Tables on the terminal and the JSON result file of a load scenario. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LatencySummary } from './common.js';

export interface Table {
  title: string;
  columns: string[];
  rows: (string | number | undefined)[][];
}

export interface ScenarioResult {
  scenario: string;
  tables: Table[];
  notes: string[];
  /** Machine-readable figures: rows as objects, latencies in ms, rates per second. */
  data: Record<string, unknown>;
}

export function fmt(v: unknown, digits = 3): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return Number.isNaN(v) ? '–' : String(v);
    if (Number.isInteger(v)) return v.toLocaleString('en-US');
    const a = Math.abs(v);
    if (a >= 1000) return Math.round(v).toLocaleString('en-US');
    return Number(v.toPrecision(digits)).toString();
  }
  return String(v);
}

export function printTable(t: Table, out: (s: string) => void = console.log): void {
  const cells = t.rows.map((r) => r.map((c) => fmt(c)));
  const widths = t.columns.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  if (t.title) out(`\n${t.title}`);
  out(line(t.columns));
  out(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of cells) out(line(r));
}

/** The same table as Markdown, for docs/benchmarks.md. */
export function markdownTable(t: Table): string {
  const rows = t.rows.map((r) => r.map((c) => fmt(c)));
  return [
    `| ${t.columns.join(' | ')} |`,
    `| ${t.columns.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

export function writeResult(file: string, result: ScenarioResult, extra: Record<string, unknown>): void {
  mkdirSync(dirname(file), { recursive: true });
  const body = { ...result, ...extra, markdown: result.tables.map(markdownTable) };
  writeFileSync(
    file,
    `${JSON.stringify(body, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`,
  );
}

/** "p50 / p99" style cell. */
export function lat(s: LatencySummary, ...keys: (keyof LatencySummary)[]): string {
  return keys.map((k) => fmt(s[k])).join(' / ');
}

export function round(v: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
