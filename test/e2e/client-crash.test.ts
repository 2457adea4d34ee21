import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ParleyClient } from '../../src/client/client.js';
import { openSqliteClientStore } from '../../src/client/store-sqlite.js';
import { nodeCrypto } from '../../src/noise/crypto-node.js';
import { ServerProcess } from './server-process.js';

const CHILD = fileURLToPath(new URL('./crash-client.ts', import.meta.url));
let srv: ServerProcess;

before(async () => {
  srv = await ServerProcess.create();
  await srv.start();
});
after(() => srv.stop());

test('a client killed with SIGKILL keeps every message it acked, and gets the rest exactly once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-crash-'));
  const bobPath = join(dir, 'bob.db');
  const alice = await srv.registerUser('15550003333');
  // Bob's device is registered the way the CLI does it: its keys are in the directory before Alice writes.
  const bob = await srv.registerUser('15550004444', 'tcp', bobPath);

  const aStore = openSqliteClientStore(join(dir, 'alice.db'));
  await aStore.setIdentity(alice);
  const a = new ParleyClient({ store: aStore, identity: alice, crypto: nodeCrypto });
  await a.start();
  const sent: string[] = [];
  for (let i = 0; i < 300; i++) sent.push((await a.sendText('15550004444', `m${i}`)).id);

  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, bobPath], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const printed: string[] = [];
  let buf = '';
  const exited = new Promise((r) => child.once('exit', r));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child printed only ${printed.length}`)), 20_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      const lines = buf.split('\n');
      buf = lines.pop()!;
      printed.push(...lines);
      if (printed.length >= 40) {
        clearTimeout(timer);
        child.kill('SIGKILL');
        resolve();
      }
    });
  });
  await exited;

  const check = openSqliteClientStore(bobPath);
  const stored = (await check.messages('15550003333', 1000)).map((m) => m.id);
  await check.close();
  for (const id of printed) assert.ok(stored.includes(id), `acked ${id} survived the kill`);

  const identity = bob;
  const store2 = openSqliteClientStore(bobPath);
  const b = new ParleyClient({ store: store2, identity, crypto: nodeCrypto });
  const fresh: string[] = [];
  b.on('message', (m) => fresh.push(m.id));
  const synced = new Promise<void>((r) => b.once('synced', () => r()));
  await b.start();
  await synced;
  const all = (await store2.messages('15550003333', 1000)).map((m) => m.id);
  assert.deepEqual(all, sent, 'every message exactly once, in order');
  assert.equal(new Set([...fresh, ...printed]).size, fresh.length + printed.length, 'nothing shown twice');
  await b.close();
  await a.close();
});
