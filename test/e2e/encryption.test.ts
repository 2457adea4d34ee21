import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { ParleyClient } from '../../src/client/client.js';
import type { EncryptionOptions } from '../../src/client/e2e/index.js';
import type { ClientEvents } from '../../src/client/events.js';
import type { Identity } from '../../src/client/store.js';
import { openSqliteClientStore } from '../../src/client/store-sqlite.js';
import { nodeCrypto } from '../../src/noise/crypto-node.js';
import type { KeyPair } from '../../src/noise/index.js';
import type { ServerConfigInput } from '../../src/server/core/config.js';
import { encrypt } from '../../src/server/modules/encrypt/index.js';
import { messaging } from '../../src/server/modules/messaging.js';
import { offline } from '../../src/server/modules/offline.js';
import { receipts } from '../../src/server/modules/receipts.js';
import { createTestServer, type TestServer } from '../../src/server/testing/harness.js';
import { tcpTransport } from '../../src/server/transport/tcp.js';
import { child, decodeNode, type Node } from '../../src/wire/index.js';

/**
 * The SDK's end-to-end encryption against an in-process server over real TCP: several devices per
 * user (a second device is put into the server's storage directly, with its own keys: device linking
 * does not exist yet), a changed device list, broken sessions repaired by retry receipts, a peer that
 * stays broken, identity changes and safety numbers, prekey replenishing.
 */

const ALICE = '15550001111';
const BOB = '15550002222';
const dir = mkdtempSync(join(tmpdir(), 'parley-enc-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let stores = 0;

type Events = { [K in keyof ClientEvents]: ClientEvents[K][0][] };

interface Dev {
  client: ParleyClient;
  path: string;
  ev: Events;
}

class Net {
  private readonly keys = new Map<string, KeyPair>();
  private readonly open: ParleyClient[] = [];
  constructor(readonly ts: TestServer) {}

  static async create(config: ServerConfigInput = {}): Promise<Net> {
    const ts = await createTestServer({
      modules: [offline, messaging, receipts, encrypt],
      transports: [tcpTransport()],
      config: { port: 0, httpPort: 0, ...config },
    });
    return new Net(ts);
  }

  /** A device's Noise key, registered in storage on first use (the same key for a reinstall). */
  private async noiseKey(user: string, device: number): Promise<KeyPair> {
    const k = `${user}:${device}`;
    let key = this.keys.get(k);
    if (!key) {
      key = nodeCrypto.generateKeyPair();
      this.keys.set(k, key);
      await this.ts.storage.accounts.ensureAccount(user, Date.now());
      await this.ts.storage.accounts.putDevice({
        user,
        device,
        noiseKey: key.publicKey,
        registeredAt: Date.now(),
      });
    }
    return key;
  }

  /** A logged-in client of `user:device` with its own store (a new store = a fresh installation). */
  async device(user: string, device = 0, o: { path?: string; e2e?: EncryptionOptions } = {}): Promise<Dev> {
    const key = await this.noiseKey(user, device);
    const identity: Identity = {
      user,
      device,
      noisePrivate: key.privateKey,
      noisePublic: key.publicKey,
      serverKey: this.ts.server.staticKey.publicKey,
      httpUrl: 'http://127.0.0.1:1',
      chatUrl: `tcp://127.0.0.1:${this.ts.server.transportPort('tcp')}`,
    };
    const path = o.path ?? join(dir, `${user}-${device}-${++stores}.db`);
    const store = openSqliteClientStore(path);
    if (!(await store.getIdentity())) await store.setIdentity(identity);
    const client = new ParleyClient({
      store,
      identity,
      crypto: nodeCrypto,
      reconnect: { minMs: 50, maxMs: 200 },
      e2e: { retryBackoffMs: 50, ...o.e2e },
    });
    const ev = {} as Events;
    for (const name of [
      'message',
      'receipt',
      'sent',
      'failed',
      'warning',
      'identity-changed',
      'undecryptable',
    ] as const) {
      const list: unknown[] = [];
      (ev as Record<string, unknown[]>)[name] = list;
      client.on(name, ((x: unknown) => list.push(x)) as never);
    }
    await client.start();
    await client.keysUploaded();
    this.open.push(client);
    return { client, path, ev };
  }

  async close(): Promise<void> {
    for (const c of this.open) await c.close().catch(() => {});
    await this.ts.stop();
  }
}

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const settle = (ms = 300) => new Promise((r) => setTimeout(r, ms));
const texts = (d: Dev) => d.ev.message.map((m) => m.text);

/** Runs SQL on a client's store file from the side, as a disk problem or a bug would. */
function tamper(d: Dev, sql: string, ...params: unknown[]): number {
  const db = new Database(d.path);
  try {
    return db.prepare(sql).run(...params).changes;
  } finally {
    db.close();
  }
}

let net: Net | undefined;
afterEach(async () => {
  await net?.close();
  net = undefined;
});

describe('end-to-end encryption in the SDK', () => {
  test('every device of the recipient and the sender’s other devices decrypt; each gets only its own <enc>', async () => {
    net = await Net.create();
    const a0 = await net.device(ALICE, 0);
    const a1 = await net.device(ALICE, 1);
    const b0 = await net.device(BOB, 0);
    const b1 = await net.device(BOB, 1);

    // What the server relays to each device: a <message> with exactly one <enc>, no plaintext.
    const seen: Node[] = [];
    const store = net.ts.storage.queue;
    const accept = store.accept.bind(store);
    store.accept = async (req) => {
      for (const s of req.stanzas) seen.push(decodeNode(s));
      return accept(req);
    };

    const { id } = await a0.client.sendText(BOB, 'hello, both of your phones');
    await until(() => texts(b0).length === 1 && texts(b1).length === 1, 'both of bob’s devices');
    assert.deepEqual(
      [...texts(b0), ...texts(b1)],
      ['hello, both of your phones', 'hello, both of your phones'],
    );
    // Alice's other device has it too, in the conversation with bob, as her own message.
    await until(async () => (await a1.client.store.messages(BOB, 10)).length === 1, 'alice’s copy');
    const copy = (await a1.client.store.messages(BOB, 10))[0]!;
    assert.deepEqual(
      [copy.id, copy.text, copy.outgoing, copy.sender],
      [id, 'hello, both of your phones', true, ALICE],
    );
    assert.equal(a1.ev.message.length, 0, 'a copy of one’s own message is not an incoming message');

    const msgs = seen.filter((n) => n.tag === 'message' && n.attrs.id === id);
    assert.equal(msgs.length, 3);
    for (const m of msgs) {
      assert.deepEqual(
        (m.content as Node[]).map((n) => n.tag),
        ['enc'],
      );
      assert.ok(!Buffer.from(JSON.stringify(m)).includes('hello'));
    }
    // Three distinct ciphertexts, one per device session.
    const bodies = msgs.map((m) => Buffer.from(child(m, 'enc')!.content as Uint8Array).toString('hex'));
    assert.equal(new Set(bodies).size, 3);

    // Bob answers from his second device: alice's devices and bob's first device get it.
    await b1.client.sendText(ALICE, 'answered from my tablet');
    await until(
      () => texts(a0).includes('answered from my tablet') && texts(a1).includes('answered from my tablet'),
      'alice',
    );
    await until(
      async () =>
        (await b0.client.store.messages(ALICE, 10)).some(
          (m) => m.text === 'answered from my tablet' && m.outgoing,
        ),
      'bob’s own copy on his phone',
    );
    // Delivered receipts flow as before.
    await until(() => a0.ev.receipt.some((r) => r.id === id && r.status === 'delivered'), 'delivered');
    // Later messages use the sessions (no new bundles): 'msg' after the answer.
    const before = seen.length;
    await a0.client.sendText(BOB, 'second');
    await until(() => texts(b1).includes('second'), 'second');
    const second = seen.slice(before).filter((n) => n.tag === 'message');
    assert.ok(second.some((m) => child(m, 'enc')!.attrs.type === 'msg'));
  });

  test('a device the sender did not know about: the server refuses, the sender re-encrypts for it', async () => {
    net = await Net.create();
    const a = await net.device(ALICE);
    const b0 = await net.device(BOB, 0);
    await a.client.sendText(BOB, 'one');
    await until(() => texts(b0).includes('one'), 'one');
    // Bob adds a device; alice's cached device list does not have it.
    const b3 = await net.device(BOB, 3);
    const sent = await a.client.sendText(BOB, 'two');
    assert.ok(sent.t > 0);
    await until(() => texts(b3).includes('two') && texts(b0).includes('two'), 'two on both');
    assert.deepEqual(texts(b3), ['two']);
    assert.equal(a.ev.failed.length, 0);
  });

  test('a broken session is repaired by a retry receipt: new session, the message arrives', async () => {
    net = await Net.create();
    const a = await net.device(ALICE);
    const b = await net.device(BOB);
    await a.client.sendText(BOB, 'before');
    await until(() => texts(b).includes('before'), 'before');
    await b.client.sendText(ALICE, 'reply');
    await until(() => texts(a).includes('reply'), 'reply');
    // Bob's record of the session with alice is destroyed (a bad disk, a restore from backup).
    assert.equal(tamper(b, "UPDATE e2e_sessions SET record = x'7b7d' WHERE user = ?", ALICE), 1);

    const { id } = await a.client.sendText(BOB, 'after the damage');
    await until(() => texts(b).includes('after the damage'), 'the message arrives after the retry');
    assert.deepEqual(
      b.ev.undecryptable.map((u) => [u.id, u.retrying]),
      [[id, true]],
    );
    assert.equal(b.ev.message.filter((m) => m.id === id).length, 1);
    await until(() => a.ev.receipt.some((r) => r.id === id && r.status === 'delivered'), 'delivered');
    // Both directions work on the new session.
    await b.client.sendText(ALICE, 'all good again');
    await until(() => texts(a).includes('all good again'), 'answer');
    await a.client.sendText(BOB, 'and again');
    await until(() => texts(b).includes('and again'), 'again');
    assert.equal(b.ev.undecryptable.length, 1);
  });

  test('a peer that stays broken is asked twice, sent the message twice, then both stop', async () => {
    net = await Net.create();
    const a = await net.device(ALICE);
    const b = await net.device(BOB);
    // Bob has lost every private prekey; the server still hands out his bundle. No setup can work.
    tamper(b, 'DELETE FROM e2e_signed_prekeys');
    tamper(b, 'DELETE FROM e2e_prekeys');

    const resends: Node[] = [];
    const write = a.client.write.bind(a.client);
    a.client.write = (n: Node) => {
      if (n.tag === 'message' && n.attrs.retry) resends.push(n);
      return write(n);
    };
    const asks: Node[] = [];
    const bWrite = b.client.write.bind(b.client);
    b.client.write = (n: Node) => {
      if (n.tag === 'receipt' && n.attrs.type === 'retry') asks.push(n);
      return bWrite(n);
    };

    const { id } = await a.client.sendText(BOB, 'you will never read this');
    await until(() => b.ev.undecryptable.length === 3, 'three failures');
    await settle(500);
    assert.deepEqual(
      b.ev.undecryptable.map((u) => u.retrying),
      [true, true, false],
    );
    assert.deepEqual(
      asks.map((r) => (r.content as Node[])[0]!.attrs.count),
      ['1', '2'],
    );
    assert.deepEqual(
      resends.map((m) => m.attrs.retry),
      ['1', '2'],
    );
    assert.equal(texts(b).length, 0);
    assert.ok(id);
    // Nothing pending anywhere: no loop is left running.
    assert.equal((await a.client.store.pending()).length, 0);
    assert.ok(await b.client.flush(2000));
  });

  test('an identity change: a warning, the contact unverified, messages keep flowing; safety numbers match', async () => {
    net = await Net.create();
    const a = await net.device(ALICE);
    const b = await net.device(BOB);
    await a.client.sendText(BOB, 'hi');
    await until(() => texts(b).includes('hi'), 'hi');
    const aliceSees = await a.client.e2e.safetyNumber(BOB);
    const bobSees = await b.client.e2e.safetyNumber(ALICE);
    assert.match(aliceSees.digits, /^[0-9]{60}$/);
    assert.equal(aliceSees.digits, bobSees.digits, 'the same 60 digits on both sides');
    assert.deepEqual([aliceSees.verified, aliceSees.changed], [false, false]);
    await a.client.e2e.markVerified(BOB);
    assert.deepEqual(await a.client.e2e.identityStatus(BOB), { verified: true, changed: false });

    // Bob reinstalls: a new store on the same device, hence a new identity key.
    await b.client.close();
    const b2 = await net.device(BOB, 0);
    const { id } = await a.client.sendText(BOB, 'are you still you?');
    await until(() => texts(b2).includes('are you still you?'), 'delivered to the new installation');
    assert.deepEqual(a.ev['identity-changed'], [{ user: BOB, device: 0 }]);
    assert.deepEqual(await a.client.e2e.identityStatus(BOB), { verified: false, changed: true });
    const after = await a.client.e2e.safetyNumber(BOB);
    assert.notEqual(after.digits, aliceSees.digits);
    assert.equal(after.digits, (await b2.client.e2e.safetyNumber(ALICE)).digits);
    assert.ok(id);
    // Bob's new installation writes back; alice already trusts the new key.
    await b2.client.sendText(ALICE, 'yes, new phone');
    await until(() => texts(a).includes('yes, new phone'), 'answer');
    assert.equal(a.ev['identity-changed'].length, 1);
    await a.client.e2e.markVerified(BOB);
    assert.deepEqual(await a.client.e2e.identityStatus(BOB), { verified: true, changed: false });
  });

  test('a device told it runs low on one-time prekeys tops them up', async () => {
    net = await Net.create({ encrypt: { lowWater: 5 } });
    const b = await net.device(BOB, 0, { e2e: { prekeyTarget: 8, lowWater: 5 } });
    const a = await net.device(ALICE);
    assert.equal(await net.ts.storage.prekeys.count(BOB, 0), 8);
    for (let i = 0; i < 4; i++)
      await a.client.iq({
        tag: 'iq',
        attrs: { type: 'get', xmlns: 'encrypt' },
        content: [{ tag: 'key', attrs: {}, content: [{ tag: 'user', attrs: { jid: `${BOB}@s.us` } }] }],
      });
    await until(async () => (await net!.ts.storage.prekeys.count(BOB, 0)) === 8, 'topped up again');
    assert.ok((await b.client.store.e2e.preKeyCount()) >= 12, 'the private halves are kept locally');
  });

  test('a message that is not end-to-end encrypted is dropped, never shown', async () => {
    net = await Net.create();
    const a = await net.device(ALICE);
    const b = await net.device(BOB);
    a.client.write({
      tag: 'message',
      attrs: { id: 'PLAIN1', to: `${BOB}@s.us`, type: 'text' },
      content: [{ tag: 'body', attrs: {}, content: new TextEncoder().encode('forged by a server') }],
    });
    await until(
      () => b.ev.warning.some((w) => /PLAIN1.*not end-to-end encrypted/.test(w.message)),
      'warning',
    );
    assert.equal(b.ev.message.length, 0);
    assert.equal((await b.client.store.messages(ALICE, 10)).length, 0);
    assert.equal(await net.ts.storage.queue.count(BOB, 0), 0, 'acked, so it is not sent again');
  });

  test('sending to an unknown number fails with recipient_unknown', async () => {
    net = await Net.create();
    const a = await net.device(ALICE);
    await assert.rejects(a.client.sendText('15559999999', 'anyone?'), /no such user/);
    assert.equal(a.ev.failed[0]?.reason, 'recipient_unknown');
    assert.equal((await a.client.store.pending()).length, 0);
  });
});
