import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { acceptReq } from '../contract/helpers.js';
import { GroupCommit } from './group-commit.js';
import { openSqliteStorage } from './open.js';

function table() {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (k TEXT PRIMARY KEY)');
  const insert = db.prepare<[string]>('INSERT INTO t (k) VALUES (?)');
  const keys = () =>
    db
      .prepare<[], { k: string }>('SELECT k FROM t ORDER BY k')
      .all()
      .map((r) => r.k);
  return { db, insert, keys };
}

describe('sqlite group commit', () => {
  test('writes of one loop turn share one transaction, and settle only after it committed', async () => {
    const { db, insert, keys } = table();
    const gc = new GroupCommit(db);
    const events: string[] = [];
    const write = (k: string) =>
      gc
        .submit(() => {
          assert.ok(db.inTransaction);
          events.push(`run ${k}`);
          return insert.run(k).changes;
        })
        .then((n) => {
          assert.equal(db.inTransaction, false, 'settled after the commit');
          events.push(`done ${k}`);
          return n;
        });
    const all = Promise.all(['a', 'b', 'c'].map(write));
    assert.equal(gc.pending, 3);
    assert.deepEqual(keys(), [], 'nothing runs before the loop turn ends');
    assert.deepEqual(await all, [1, 1, 1]);
    assert.deepEqual(events, ['run a', 'run b', 'run c', 'done a', 'done b', 'done c']);
    assert.deepEqual(keys(), ['a', 'b', 'c']);
    db.close();
  });

  test('a write that throws is rolled back and rejected alone; the rest of its batch commits', async () => {
    const { db, insert, keys } = table();
    const gc = new GroupCommit(db);
    const ok1 = gc.submit(() => insert.run('x'));
    const bad = gc.submit(() => {
      insert.run('y'); // undone with its savepoint
      insert.run('x'); // a duplicate key
    });
    const ok2 = gc.submit(() => insert.run('z'));
    await assert.rejects(bad, /UNIQUE/);
    await ok1;
    await ok2;
    assert.deepEqual(keys(), ['x', 'z']);
    db.close();
  });

  test('a failed commit rejects every write of the batch', async () => {
    const { db, insert } = table();
    const gc = new GroupCommit(db);
    const writes = [gc.submit(() => insert.run('p')), gc.submit(() => insert.run('q'))];
    db.close();
    for (const w of writes) await assert.rejects(w, /not open/);
  });

  test('flush commits at once, so a read sees every write submitted before it', async () => {
    const { db, insert, keys } = table();
    const gc = new GroupCommit(db);
    const w = gc.submit(() => insert.run('now'));
    gc.flush();
    assert.deepEqual(keys(), ['now']);
    await w;
    db.close();
  });

  test('the queue: an acked entry is gone for the next page read, before its delete committed', async () => {
    const s = await openSqliteStorage({ path: ':memory:' });
    const accept = (id: string) =>
      s.queue.accept(
        acceptReq({ id, key: `message:${id}`, recipients: [{ user: '15550000002', device: 0 }] }),
      );
    await Promise.all([accept('m1'), accept('m2'), accept('m3')]);
    const removed = s.queue.remove('15550000002', 0, 'message:m2');
    const page = await s.queue.page('15550000002', 0, 0, 10);
    assert.deepEqual(
      page.map((e) => e.key),
      ['message:m1', 'message:m3'],
    );
    await accept('m4');
    await accept('m5');
    // A full page stays full when an entry is filtered out: short would mean "nothing after this".
    const again = s.queue.remove('15550000002', 0, 'message:m3');
    const full = await s.queue.page('15550000002', 0, 0, 3);
    assert.deepEqual(
      full.map((e) => e.key),
      ['message:m1', 'message:m4', 'message:m5'],
    );
    assert.equal(await removed, true);
    assert.equal(await again, true);
    assert.equal(await s.queue.count('15550000002', 0), 3);
    await s.close();
  });
});
