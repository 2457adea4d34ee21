import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ParleyClient } from '../../src/client/client.js';
import type { ClientEvents } from '../../src/client/events.js';
import type { Identity } from '../../src/client/store.js';
import { openSqliteClientStore } from '../../src/client/store-sqlite.js';
import { nodeCrypto } from '../../src/noise/crypto-node.js';
import { ServerProcess } from './server-process.js';

const dirs = mkdtempSync(join(tmpdir(), 'parley-e2e-clients-'));

/**
 * A client of the user's device with its store: one store per device, as a real installation has (its
 * end-to-end keys live there); `path` gives a device a store of its own (a reinstall, a restart).
 */
function makeClient(identity: Identity, path = join(dirs, `${identity.user}.db`)) {
  const store = openSqliteClientStore(path);
  const client = new ParleyClient({
    store,
    identity,
    crypto: nodeCrypto,
    reconnect: { minMs: 50, maxMs: 400 },
  });
  return { client, path, store };
}

async function init(
  c: { client: ParleyClient; store: ReturnType<typeof openSqliteClientStore> },
  identity: Identity,
) {
  if (!(await c.store.getIdentity())) await c.store.setIdentity(identity);
  return c.client;
}

function collect<K extends keyof ClientEvents & string>(c: ParleyClient, ev: K): ClientEvents[K][0][] {
  const out: ClientEvents[K][0][] = [];
  c.on(ev, ((x: ClientEvents[K][0]) => out.push(x)) as never);
  return out;
}

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('two users through a real server process', () => {
  let srv: ServerProcess;
  let alice: Identity;
  let bob: Identity;
  const open: ParleyClient[] = [];
  const track = (c: ParleyClient) => {
    open.push(c);
    return c;
  };

  before(async () => {
    srv = await ServerProcess.create();
    await srv.start();
    alice = await srv.registerUser('15550001111', 'tcp');
    bob = await srv.registerUser('15550002222', 'ws');
  });
  after(async () => {
    for (const c of open) await c.close().catch(() => {});
    await srv.stop();
  });

  test('chat with acks, delivered and read receipts (TCP to WebSocket)', async () => {
    const a = track(await init(makeClient(alice), alice));
    const b = track(await init(makeClient(bob), bob));
    await a.start();
    await b.start();
    const got = collect(b, 'message');
    const receipts = collect(a, 'receipt');
    const { id, t } = await a.sendText('15550002222', 'hello bob ✓');
    assert.ok(t > 0);
    await until(() => got.some((m) => m.id === id), 'bob receives');
    assert.equal(got.find((m) => m.id === id)!.text, 'hello bob ✓');
    await until(() => receipts.some((r) => r.id === id && r.status === 'delivered'), 'delivered receipt');
    await b.markRead('15550001111', [id]);
    await until(() => receipts.some((r) => r.id === id && r.status === 'read'), 'read receipt');
    assert.equal((await a.store.messages('15550002222', 10)).find((m) => m.id === id)?.status, 'read');
    await a.close();
    await b.close();
  });

  test('offline backlog arrives in order, flagged, then the offline count', async () => {
    const a = track(await init(makeClient(alice), alice));
    await a.start();
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push((await a.sendText('15550002222', `backlog ${i}`)).id);
    const b = track(await init(makeClient(bob), bob));
    const got = collect(b, 'message');
    const synced = collect(b, 'synced');
    await b.start();
    await until(() => synced.length > 0, 'ib offline');
    assert.deepEqual(
      got.map((m) => m.id),
      ids,
    );
    assert.ok(got.every((m) => m.offline));
    assert.ok(synced[0]!.count >= 8);
    await a.close();
    await b.close();
  });

  test('server SIGKILL mid-stream: every acked message arrives, exactly once, in order', async () => {
    const aPath = join(dirs, 'alice-kill.db');
    const a = track(await init(makeClient(alice, aPath), alice));
    await a.start();
    const acked: string[] = [];
    const all: Promise<{ id: string }>[] = [];
    a.on('sent', ({ id }) => acked.push(id));
    for (let i = 0; i < 40; i++) all.push(a.sendText('15550002222', `kill ${i}`));
    await until(() => acked.length >= 5, 'some acks before the kill');
    await srv.kill();
    const ackedBeforeKill = [...acked];
    await srv.start();
    const ids = (await Promise.all(all)).map((r) => r.id);
    const b = track(await init(makeClient(bob), bob));
    const got = collect(b, 'message');
    await b.start();
    await until(() => ids.every((id) => got.some((m) => m.id === id)), 'all 40 delivered after restart');
    await new Promise((r) => setTimeout(r, 200));
    const kills = got.filter((m) => m.text.startsWith('kill ')).map((m) => m.id);
    assert.equal(new Set(kills).size, kills.length, 'no duplicates');
    assert.deepEqual(kills, ids, 'in send order');
    for (const id of ackedBeforeKill) assert.ok(kills.includes(id));
    await a.close();
    await b.close();
  });

  test('a restarted client resends what was never acked, and nothing twice', async () => {
    const aPath = join(dirs, 'alice-restart.db');
    await srv.stop();
    const a1 = track(await init(makeClient(alice, aPath), alice));
    void a1.start();
    const pending = a1.sendText('15550002222', 'written while the server was down');
    pending.catch(() => {});
    await until(async () => (await a1.store.pending()).length === 1, 'stored as pending');
    await a1.close();
    await srv.start();
    const a2 = track(makeClient(alice, aPath).client);
    await a2.start();
    assert.ok(await a2.flush(5000), 'resent and acked after restart');
    const b = track(await init(makeClient(bob), bob));
    const got = collect(b, 'message');
    await b.start();
    await until(() => got.some((m) => m.text === 'written while the server was down'), 'delivered');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(got.filter((m) => m.text === 'written while the server was down').length, 1);
    await a2.close();
    await b.close();
  });

  test('presence, last seen and typing', async () => {
    const a = track(await init(makeClient(alice), alice));
    const b = track(await init(makeClient(bob), bob));
    await b.start();
    const presence = collect(b, 'presence');
    const typing = collect(b, 'chatstate');
    b.subscribe('15550001111');
    await a.start();
    a.setPresence(true);
    await until(() => presence.some((p) => p.user === '15550001111' && p.available), 'alice online');
    a.typing('15550002222', 'composing');
    await until(() => typing.some((t) => t.user === '15550001111' && t.state === 'composing'), 'typing');
    await a.close();
    await until(
      () => presence.some((p) => p.user === '15550001111' && !p.available && typeof p.lastSeen === 'number'),
      'alice offline with last seen',
    );
    await b.close();
  });

  test('the same device logged in twice: the older connection is told `conflict` and stays closed', async () => {
    // The user opened the same profile in two terminals; without the reason they would take turns forever.
    const first = track(await init(makeClient(alice), alice));
    await first.start();
    const offline = collect(first, 'offline');
    const second = track(makeClient(alice).client);
    await second.start();
    await until(() => offline.length > 0, 'the first connection replaced');
    assert.deepEqual(offline[0], { reason: 'conflict', retryInMs: undefined });
    await new Promise((r) => setTimeout(r, 600)); // longer than the reconnect backoff's maximum
    assert.equal(first.state, 'closed');
    assert.equal(second.state, 'online');
    assert.equal(offline.length, 1);
    await second.close();
    await first.close();
  });
});
