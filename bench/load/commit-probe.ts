/**
 * What one durable write of the offline queue costs on this disk, in isolation: the server's own SQLite
 * storage (`openSqliteStorage`: WAL, synchronous = FULL) accepting a message for one device and removing
 * it again (the recipient's ack) — the two statements a 1:1 message runs twice (message + receipt).
 * Wall time per call (the event loop is blocked that long: better-sqlite3 is synchronous) and CPU time.
 *
 *   node --import tsx bench/load/commit-probe.ts [--dir /tmp] [--n 2000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openSqliteStorage } from '../../src/server/storage/sqlite/open.js';
import { printTable } from './report.js';

export interface ProbeRow {
  op: string;
  n: number;
  wallUs: number;
  cpuUs: number;
}

export async function commitProbe(parent: string, n: number): Promise<ProbeRow[]> {
  const dir = mkdtempSync(join(parent, 'parley-probe-'));
  const storage = await openSqliteStorage({ path: join(dir, 'parley.db') });
  const stanza = new Uint8Array(230).fill(7);
  const rows: ProbeRow[] = [];
  try {
    await storage.accounts.ensureAccount('15550000001', Date.now());
    const time = async (op: string, fn: (i: number) => Promise<unknown>) => {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await fn(i);
      const wall = performance.now() - t0;
      const c = process.cpuUsage(c0);
      rows.push({
        op,
        n,
        wallUs: Math.round((wall * 1000) / n),
        cpuUs: Math.round((c.user + c.system) / n),
      });
    };
    const accept = (i: number) =>
      storage.queue.accept({
        sender: '15550000002:0@s.us',
        id: `m${i}`,
        kind: 'message',
        key: `message:15550000002:0@s.us:m${i}`,
        recipients: [{ user: '15550000001', device: 0 }],
        stanzas: [stanza],
        now: Date.now(),
        maxQueue: 1_000_000,
      });
    await time('queue.accept (1 recipient, 1 transaction)', accept);
    // Live delivery reads the page after the last seq it sent: one new entry.
    await time('queue.page (the 1 entry after the last seq sent)', (i) =>
      storage.queue.page('15550000001', 0, i, 1),
    );
    await time('queue.remove (ack, 1 statement)', (i) =>
      storage.queue.remove('15550000001', 0, `message:15550000002:0@s.us:m${i}`),
    );
  } finally {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { dir: { type: 'string' }, n: { type: 'string' } } });
  const dirs = values.dir ? [values.dir] : [tmpdir(), '/dev/shm'];
  for (const d of dirs) {
    const rows = await commitProbe(d, Number(values.n ?? 2000));
    printTable({
      title: `SQLite queue calls in ${d} (WAL, synchronous=FULL)`,
      columns: ['op', 'n', 'wall µs', 'CPU µs'],
      rows: rows.map((r) => [r.op, r.n, r.wallUs, r.cpuUs]),
    });
  }
}
