import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parleyEvents } from '../../src/cli/capture/parley-streams.js';
import type { TcpStream } from '../../src/cli/capture/tcp-streams.js';
import { ParleyClient } from '../../src/client/client.js';
import type { StoredMessage } from '../../src/client/store.js';
import { openSqliteClientStore } from '../../src/client/store-sqlite.js';
import { nodeCrypto } from '../../src/noise/crypto-node.js';
import { parseKeyLog } from '../../src/noise/keylog.js';
import { encodeNode, type Node, toXml } from '../../src/wire/index.js';
import { ServerProcess } from './server-process.js';

/**
 * "The server learns nothing": distinctive plaintexts go between two clients through a real server
 * process, then the server's whole data directory (every file, the SQLite database and its WAL
 * included, as raw bytes) and everything on the wire, decrypted with the server's Noise key log, are
 * searched for them in UTF-8, UTF-16LE and UTF-16BE. None may appear. The same search must find a token
 * deliberately sent outside the encryption, or it would prove nothing.
 */

const ALICE = '15550007771';
const BOB = '15550007772';
const home = mkdtempSync(join(tmpdir(), 'parley-nothing-'));

/** Records both directions of every connection it relays to the server, as a capture would. */
class RecordingRelay {
  readonly streams: TcpStream[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: number) {
    this.server = createServer((client) => this.relay(client));
  }

  listen(): Promise<void> {
    return new Promise((resolve) =>
      this.server.listen(0, '127.0.0.1', () => {
        this.port = (this.server.address() as { port: number }).port;
        resolve();
      }),
    );
  }

  private relay(client: Socket): void {
    const upstream = netConnect({ host: '127.0.0.1', port: this.target });
    this.sockets.add(client).add(upstream);
    const t = process.hrtime.bigint();
    const stream = (src: number, dst: number): TcpStream => ({
      src: '127.0.0.1',
      srcPort: src,
      dst: '127.0.0.1',
      dstPort: dst,
      fromStart: true,
      firstT: t,
      chunks: [],
      bytes: 0,
    });
    const c2s = stream(client.remotePort!, this.port);
    const s2c = stream(this.port, client.remotePort!);
    this.streams.push(c2s, s2c);
    const pipe = (from: Socket, to: Socket, s: TcpStream) => {
      from.on('data', (d: Buffer) => {
        s.chunks.push({ t: process.hrtime.bigint(), data: Uint8Array.from(d) });
        s.bytes += d.length;
        to.write(d);
      });
      from.on('close', () => to.destroy());
      from.on('error', () => to.destroy());
    };
    pipe(client, upstream, c2s);
    pipe(upstream, client, s2c);
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

const token = () => randomBytes(18).toString('base64url');

/** The encodings a token could be stored in. */
function forms(t: string): Buffer[] {
  const le = Buffer.from(t, 'utf16le');
  const be = Buffer.from(le);
  be.swap16();
  return [Buffer.from(t, 'utf8'), le, be];
}

/** The tokens found in `hay` (in any of their encodings). */
function found(hay: Buffer, tokens: string[]): string[] {
  return tokens.filter((t) => forms(t).some((f) => hay.includes(f)));
}

/** Every file under `dir`, as raw bytes, with its path. */
function files(dir: string): { path: string; bytes: Buffer }[] {
  const out: { path: string; bytes: Buffer }[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else out.push({ path: p, bytes: readFileSync(p) });
  }
  return out;
}

/** Which tokens each file of the data directory contains. */
function scanDataDir(dir: string, tokens: string[]): Map<string, string[]> {
  const hits = new Map<string, string[]>();
  for (const f of files(dir)) {
    const h = found(f.bytes, tokens);
    if (h.length > 0) hits.set(f.path, h);
  }
  return hits;
}

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let srv: ServerProcess;
let relay: RecordingRelay;
const keylog = join(home, 'server-keys.log');

before(async () => {
  srv = await ServerProcess.create();
  srv.env = { PARLEY_KEYLOG: keylog };
  await srv.start();
  relay = new RecordingRelay(srv.port);
  await relay.listen();
});

after(async () => {
  await relay?.close();
  await srv?.stop();
  rmSync(home, { recursive: true, force: true });
  rmSync(srv.dataDir, { recursive: true, force: true });
});

test('the server learns nothing: no plaintext in its data directory, its log, or the decrypted wire', async () => {
  // Every chat connection goes through the recording relay.
  const profile = async (number: string) => {
    const identity = { ...(await srv.registerDevice(number)), chatUrl: `tcp://127.0.0.1:${relay.port}` };
    const path = join(home, `${number}.db`);
    const store = openSqliteClientStore(path);
    await store.setIdentity(identity);
    await store.close();
    return path;
  };
  const client = async (path: string) => {
    const store = openSqliteClientStore(path);
    const c = new ParleyClient({ store, identity: (await store.getIdentity())!, crypto: nodeCrypto });
    const got: StoredMessage[] = [];
    c.on('message', (m) => got.push(m));
    await c.start();
    return { c, got };
  };
  const alicePath = await profile(ALICE);
  const bobPath = await profile(BOB);
  const secrets = Array.from({ length: 18 }, token);
  const a = await client(alicePath);
  let b = await client(bobPath);

  // Both online: a conversation both ways, read receipts included.
  for (const s of secrets.slice(0, 5)) await a.c.sendText(BOB, `alice says ${s}`);
  await until(() => b.got.length === 5, 'bob receives');
  for (const s of secrets.slice(5, 10)) await b.c.sendText(ALICE, s);
  await until(() => a.got.length === 5, 'alice receives');
  await b.c.markRead(
    ALICE,
    b.got.map((m) => m.id),
  );
  await a.c.markRead(
    BOB,
    a.got.map((m) => m.id),
  );
  await b.c.flush();
  await b.c.close();

  // Bob offline: these wait in the server's queue, in its database.
  for (const s of secrets.slice(10)) await a.c.sendText(BOB, `while you were away: ${s} ✓`);

  // The control: a message sent around the encryption, with a token in an attribute and one in a body.
  const leakAttr = token();
  const leakBody = token();
  a.c.write({
    tag: 'message',
    attrs: { id: 'LEAK0000', to: `${BOB}@s.us`, type: 'text', note: leakAttr },
    content: [{ tag: 'body', attrs: {}, content: new TextEncoder().encode(leakBody) }],
  });
  const leaks = [leakAttr, leakBody];
  await until(
    () => [...scanDataDir(srv.dataDir, leaks).values()].flat().length >= 2,
    'the control tokens reach the server’s database',
  );

  // Scan 1, while the offline messages are stored: the secrets nowhere, the control tokens found.
  const whileQueued = scanDataDir(srv.dataDir, [...secrets, ...leaks]);
  const secretHits = [...whileQueued.entries()].filter(([, h]) => h.some((t) => secrets.includes(t)));
  assert.deepEqual(secretHits, [], 'no secret in any file of the data directory');
  assert.deepEqual(new Set([...whileQueued.values()].flat()), new Set(leaks), 'the scan does find a leak');
  assert.ok(
    [...whileQueued.keys()].some((p) => /parley\.db(-wal)?$/.test(p)),
    'the leak is found in the SQLite files',
  );

  // Bob comes back and gets everything: the secrets did travel through this server.
  b = await client(bobPath);
  await until(() => b.got.length === secrets.length - 10, 'the offline messages arrive');
  assert.deepEqual(
    b.got.map((m) => m.text),
    secrets.slice(10).map((s) => `while you were away: ${s} ✓`),
  );
  assert.equal(
    (await b.c.store.messages(ALICE, 100)).filter((m) => m.text.includes(leakBody)).length,
    0,
    'an unencrypted message is never shown',
  );
  await a.c.flush();
  await b.c.flush();
  await a.c.close();
  await b.c.close();
  await relay.close();
  await srv.stop();

  // Scan 2, after a clean shutdown (WAL checkpointed into the database), and the server's output.
  assert.deepEqual([...scanDataDir(srv.dataDir, secrets).entries()], [], 'no secret after shutdown');
  assert.deepEqual(found(Buffer.from(srv.log), secrets), [], 'no secret in the server log');

  // The wire, decrypted with the server's key log: every connection opens, the secrets are not in it.
  const keys = parseKeyLog(readFileSync(keylog, 'utf8'));
  const events = parleyEvents(relay.streams, keys);
  const undecrypted = events.filter((e) => e.note && /no key log entry|failed authentication/.test(e.note));
  assert.deepEqual(undecrypted, [], 'every connection was decrypted');
  const nodes = events.flatMap((e) => (e.node ? [{ dir: e.dir, node: e.node }] : []));
  const sent = nodes.filter((n) => n.dir === 'c→s' && n.node.tag === 'message');
  const delivered = nodes.filter((n) => n.dir === 's→c' && n.node.tag === 'message');
  assert.ok(sent.length >= secrets.length, `${sent.length} messages sent on the wire`);
  assert.ok(delivered.length >= secrets.length, `${delivered.length} messages delivered on the wire`);
  const encrypted = (n: Node) => (n.content as Node[] | undefined)?.[0]?.tag;
  assert.ok(
    sent.filter((n) => n.node.attrs.id !== 'LEAK0000').every((n) => encrypted(n.node) === 'participants'),
  );
  assert.ok(
    delivered.filter((n) => n.node.attrs.id !== 'LEAK0000').every((n) => encrypted(n.node) === 'enc'),
  );
  const wire = Buffer.concat(
    nodes.flatMap((n) => [Buffer.from(encodeNode(n.node)), Buffer.from(toXml(n.node))]),
  );
  assert.deepEqual(found(wire, secrets), [], 'no secret in the decrypted wire');
  assert.deepEqual(found(wire, leaks), leaks, 'the decrypted wire shows the control tokens');
  const raw = Buffer.concat(relay.streams.flatMap((s) => s.chunks.map((c) => Buffer.from(c.data))));
  assert.deepEqual(found(raw, [...secrets, ...leaks]), [], 'nothing readable on the raw wire either');
});
