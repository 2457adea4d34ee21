import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { acceptReq } from '../contract/helpers.js';
import { type OpenStorage, runStorageContract } from '../contract.js';
import { openStorage } from '../index.js';
import type { AcceptRequest } from '../types.js';
import { MIGRATIONS, migrate, SCHEMA_VERSION, schemaVersion } from './migrations.js';
import { openSqliteDatabase, openSqliteStorage } from './open.js';

const dir = mkdtempSync(join(tmpdir(), 'parley-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const newPath = () => join(dir, `db-${++files}.sqlite`);

let latest = '';
const openFile: OpenStorage = async (where) => {
  if (where === 'fresh') latest = newPath();
  return openSqliteStorage({ path: latest });
};
runStorageContract('sqlite file', openFile);

runStorageContract(
  'sqlite :memory:',
  async (where) => {
    if (where === 'same') throw new Error(':memory: cannot be reopened');
    return openSqliteStorage({ path: ':memory:' });
  },
  { reopen: false },
);

/** One message from 15550000001 to device 0 of 15550000002. */
const oneFor2 = (id: string, maxQueue: number): AcceptRequest =>
  acceptReq({ id, key: `message:${id}`, recipients: [{ user: '15550000002', device: 0 }], maxQueue });

describe('sqlite specifics', () => {
  test('a new file is migrated and opened in WAL mode with synchronous FULL and foreign keys', () => {
    const db = openSqliteDatabase({ path: newPath() });
    try {
      assert.equal(schemaVersion(db), SCHEMA_VERSION);
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(db.pragma('synchronous', { simple: true }), 2, 'FULL');
      assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
      assert.ok(Number(db.pragma('busy_timeout', { simple: true })) > 0);
    } finally {
      db.close();
    }
  });

  test('opening an up-to-date database again changes nothing', async () => {
    const path = newPath();
    await (await openSqliteStorage({ path })).close();
    const db = openSqliteDatabase({ path });
    assert.equal(schemaVersion(db), SCHEMA_VERSION);
    db.close();
  });

  test('a database with a newer schema version is refused and left untouched', async () => {
    const path = newPath();
    const raw = new Database(path);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    await assert.rejects(openSqliteStorage({ path }), /newer than this release supports/);
    const check = new Database(path, { readonly: true });
    assert.equal(schemaVersion(check), SCHEMA_VERSION + 1);
    assert.notEqual(check.pragma('journal_mode', { simple: true }), 'wal');
    check.close();
  });

  test('pending migrations run in one transaction: a failure keeps the old schema', () => {
    const db = new Database(':memory:');
    const ok = { version: 1, name: 'ok', sql: 'CREATE TABLE a (x INTEGER) STRICT;' };
    const bad = { version: 2, name: 'bad', sql: 'CREATE TABLE b (x INTEGER) STRICT; SELECT nonsense();' };
    assert.throws(() => migrate(db, [ok, bad]));
    assert.equal(schemaVersion(db), 0);
    assert.equal(
      db.prepare<[], { n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE name = 'a'").get()?.n,
      0,
    );
    db.close();
  });

  test('migrations resume from the stored version and must be numbered in order', () => {
    const db = new Database(':memory:');
    const m1 = { version: 1, name: 'one', sql: 'CREATE TABLE a (x INTEGER) STRICT;' };
    const m2 = { version: 2, name: 'two', sql: 'CREATE TABLE b (x INTEGER) STRICT;' };
    assert.equal(migrate(db, [m1]), 1);
    assert.equal(migrate(db, [m1, m2]), 2, 'm1 is not run again (it would fail: table a exists)');
    assert.equal(schemaVersion(db), 2);
    assert.throws(() => migrate(db, [m1]), /newer/);
    assert.throws(() => migrate(new Database(':memory:'), [m2]), /numbered 2, expected 1/);
    assert.deepEqual(
      MIGRATIONS.map((m) => m.version),
      Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1),
    );
    db.close();
  });

  test('openStorage opens the sqlite backend from config and rejects unknown kinds', async () => {
    const s = await openStorage({ kind: 'sqlite', path: ':memory:' });
    assert.deepEqual(await s.presence.getPrivacy('1'), { lastSeen: 'everyone' });
    await s.close();
    await s.close();
    await assert.rejects(openStorage({ kind: 'mongo' } as never), /unknown storage kind "mongo"/);
  });

  test('migration 3 keeps queued entries and their seqs, and never hands out a seq again', async () => {
    const path = newPath();
    const old = new Database(path);
    migrate(old, MIGRATIONS.slice(0, 2));
    const put = old.prepare(
      `INSERT INTO queue (user_id, device, kind, ack_key, stanza, created_at) VALUES (?, 0, 'message', ?, ?, 1)`,
    );
    for (let i = 1; i <= 5; i++) put.run('15550000002', `message:k${i}`, Buffer.from([i]));
    // The newest two were delivered: AUTOINCREMENT remembers 5 even though the highest seq left is 3.
    old.prepare('DELETE FROM queue WHERE seq > 3').run();
    old.close();

    const s = await openSqliteStorage({ path });
    try {
      const kept = await s.queue.page('15550000002', 0, 0, 10);
      assert.deepEqual(
        kept.map((e) => [e.seq, e.key, e.stanza[0]]),
        [
          [1, 'message:k1', 1],
          [2, 'message:k2', 2],
          [3, 'message:k3', 3],
        ],
      );
      assert.equal(await s.queue.count('15550000002', 0), 3);
      const r = await s.queue.accept(oneFor2('new', 4));
      assert.equal(r.status, 'stored');
      const after = await s.queue.page('15550000002', 0, 3, 10);
      assert.equal(after.length, 1);
      assert.ok(after[0]!.seq > 5, `seq ${after[0]!.seq} is above every seq handed out before`);
      // The bound counts the migrated entries: 4 now, so the next is refused.
      const full = await s.queue.accept(oneFor2('one-more', 4));
      assert.equal(full.status, 'full');
    } finally {
      await s.close();
    }
  });

  test('seqs keep rising across a restart, even after the newest entries were deleted', async () => {
    const path = newPath();
    const req = (id: string) => oneFor2(id, 100);
    let s = await openSqliteStorage({ path });
    await s.queue.accept(req('a'));
    await s.queue.accept(req('b'));
    const [, b] = await s.queue.page('15550000002', 0, 0, 10);
    await s.queue.remove('15550000002', 0, 'message:b');
    await s.close();
    s = await openSqliteStorage({ path });
    try {
      await s.queue.accept(req('c'));
      const c = (await s.queue.page('15550000002', 0, 0, 10)).find((e) => e.key === 'message:c')!;
      assert.ok(c.seq > b!.seq, `${c.seq} > ${b!.seq}`);
      assert.equal(await s.queue.count('15550000002', 0), 2);
    } finally {
      await s.close();
    }
  });

  test('every accept that resolved survives SIGKILL of the process', { timeout: 60_000 }, async () => {
    const path = newPath();
    const root = fileURLToPath(new URL('../../../../', import.meta.url));
    const script = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, path], { cwd: root });
    const acked: number[] = [];
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_c, sig) => resolve(sig)),
    );
    let buffered = '';
    child.stdout.on('data', (d) => {
      buffered += d;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const l of lines) acked.push(Number(l));
      if (acked.length >= 150) child.kill('SIGKILL');
    });
    assert.equal(await exited, 'SIGKILL', `child ended on its own: ${stderr}`);
    assert.ok(acked.length >= 150);

    const s = await openSqliteStorage({ path });
    try {
      const entries = await s.queue.page('15550000002', 1, 0, 1_000_000);
      // Everything printed is there; anything beyond was committed but not yet printed. No gaps.
      assert.ok(entries.length >= acked.length, `${entries.length} stored, ${acked.length} acked`);
      for (const i of acked) assert.ok(i < entries.length, `acked c${i} is missing`);
      entries.forEach((e, i) => {
        assert.equal(e.key, `message:crash.0:c${i}`);
        assert.deepEqual(Array.from(e.stanza), [0xf8, i & 0xff, (i >> 8) & 0xff]);
      });
      assert.equal(await s.queue.count('15550000002', 1), entries.length);
    } finally {
      await s.close();
    }
  });
});
