/**
 * Smoke runs of every load scenario (bench/load, `npm run bench:load -- <scenario> --smoke`): tiny sizes,
 * seconds each, real server and generator processes. They check that a run completes and writes sane
 * results — never how fast anything is.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(REPO, 'bench', 'load', 'main.ts');
const out = mkdtempSync(join(tmpdir(), 'parley-load-smoke-'));

type Json = Record<string, unknown>;

function run(
  scenario: string,
  extra: string[] = [],
): Promise<{ code: number | null; log: string; result: Json }> {
  const file = join(out, `load-${scenario}.json`);
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', MAIN, scenario, '--smoke', '--max-seconds', '50', '--out', file, ...extra],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let log = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      log += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      log += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      let result: Json = {};
      try {
        result = JSON.parse(readFileSync(file, 'utf8')) as Json;
      } catch {}
      resolve({ code, log, result });
    });
  });
}

const finite = (v: unknown, what: string) =>
  assert.ok(typeof v === 'number' && Number.isFinite(v), `${what}: ${v}`);
const positive = (v: unknown, what: string) => assert.ok(typeof v === 'number' && v > 0, `${what}: ${v}`);

describe('load scenarios (smoke)', { timeout: 120_000 }, () => {
  after(() => rmSync(out, { recursive: true, force: true }));

  test('idle', { timeout: 55_000 }, async () => {
    const r = await run('idle');
    assert.equal(r.code, 0, r.log);
    const data = r.result.data as Json;
    const rows = data.rows as Json[];
    assert.ok(rows.length >= 1, r.log);
    assert.equal(data.failure, null, r.log);
    for (const row of rows) {
      assert.equal(row.sessions, row.step);
      positive(row.rssMiB, 'rssMiB');
      finite(row.kibPerConn, 'kibPerConn');
      finite(row.loginP99ms, 'loginP99ms');
    }
    assert.ok(((r.result.machine as Json).cpus as number) > 0);
  });

  test('chat', { timeout: 55_000 }, async () => {
    const r = await run('chat');
    assert.equal(r.code, 0, r.log);
    const rows = (r.result.data as Json).rows as Json[];
    assert.ok(rows.length >= 1, r.log);
    const first = rows[0]!;
    positive(first.accepted, 'accepted');
    positive(first.sent, 'sent');
    for (const k of [
      'ackP50',
      'ackP99',
      'e2eP50',
      'e2eP99',
      'e2eMax',
      'receiptP50',
      'cpuUsPerMsg',
      'serverCpuPct',
    ]) {
      finite(first[k], k);
    }
  });

  test('login', { timeout: 55_000 }, async () => {
    const r = await run('login');
    assert.equal(r.code, 0, r.log);
    const rows = (r.result.data as Json).rows as Json[];
    assert.ok(rows.length >= 1, r.log);
    positive(rows[0]!.completed, 'completed');
    for (const k of ['p50', 'p99', 'max', 'cpuUsPerLogin']) finite(rows[0]![k], k);
  });

  test('drain', { timeout: 55_000 }, async () => {
    const r = await run('drain');
    assert.equal(r.code, 0, r.log);
    const data = r.result.data as Json;
    assert.equal(data.complete, true, r.log);
    const row = data.row as Json;
    assert.equal(row.received, row.messages);
    positive(row.deliveredPerSec, 'deliveredPerSec');
    finite(row.queueEmptyS, 'queueEmptyS');
    positive((data.fill as Json).perSec, 'fill perSec');
  });

  test('mixed', { timeout: 55_000 }, async () => {
    const r = await run('mixed');
    assert.equal(r.code, 0, r.log);
    const data = r.result.data as Json;
    const samples = data.samples as Json[];
    assert.ok(samples.length >= 2, r.log);
    assert.ok(
      samples.some((s) => (s.msgsPerSec as number) > 0),
      'some messages in the samples',
    );
    for (const s of samples) positive(s.rssMiB, 'rssMiB');
    assert.ok(samples.some((s) => Number.isFinite(s.e2eP99)));
    finite((data.drift as Json).rssMiBPerMin, 'rss slope');
  });
});
