/**
 * Noise and transport benchmark, three groups:
 *
 *  1. Handshakes in one thread: XX and IK with both sides in process (node:crypto), the responder's share
 *     alone (what the server pays: only its calls are timed, on client messages generated beforehand),
 *     and both sides with the @noble provider for reference.
 *  2. Transport in one thread: CipherState encrypt+decrypt and the whole per-frame path (`sendNode` →
 *     frame bytes → `receive` → node, a ClientConnection wired to a ServerConnection), each next to bare
 *     AES-256-GCM (one createCipheriv/createDecipheriv per message) on the same sizes.
 *  3. Real loopback sockets against the real server (stock modules + an echo iq, SQLite in WAL mode on a
 *     temporary file) running in a child process, so that server and clients each get a core: full logins
 *     per second over TCP and WebSocket with concurrent clients, and echo round trips per second over TCP.
 *
 * Every group interleaves its series round by round (the starting series rotates) and reports medians,
 * so machine noise falls on all of them; ratios compare numbers from the same run only.
 *
 *   npm run bench -- --only noise [--seconds N]      or      node --import tsx bench/noise.ts [--seconds N]
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { connect, type OpenConnection } from '../src/client/connect.js';
import { type Dialer, tcpDialer, wsDialer } from '../src/client/dial.js';
import { nobleCrypto } from '../src/noise/crypto-noble.js';
import { nodeCrypto } from '../src/noise/crypto-node.js';
import { type CipherState, HandshakeState, type KeyPair, type NoiseCrypto } from '../src/noise/index.js';
import { ClientConnection } from '../src/transport/client-connection.js';
import { ServerConnection } from '../src/transport/server-connection.js';
import { decodeNode, encodeNode, type Node, nodesEqual, STREAM_HEADER } from '../src/wire/index.js';
import type { BenchReport, Table } from './codec.js';

export const DEFAULT_NOISE_SECONDS = 30;
/** Shares of the budget: in-process handshakes, in-process transport, loopback sockets. */
const SHARE = { handshakes: 0.3, transport: 0.25, sockets: 0.45 };
const WARMUP_ROUNDS = 1;
const TIMED_ROUNDS = 11;
const SOCKET_ROUNDS = 5;
const LOGIN_CONCURRENCY = 16;
/** Distinct registered devices the login clients cycle through (so a device's previous session is gone). */
const LOGIN_DEVICES = 64;
const ECHO_WINDOW = 32;
const SERVER_HANDSHAKE_GOAL = 5000;
const FRAME_RATIO_GOAL = 2;

const XX = 'Noise_XX_25519_AESGCM_SHA256';
const IK = 'Noise_IK_25519_AESGCM_SHA256';
/** The prologue Parley uses: the stream header. */
const PROLOGUE = STREAM_HEADER;
const LOGIN = { user: '15550000001', device: 0, version: 'bench', passive: false };
/** The size of the `<login/>` node a client sends in the handshake. */
const LOGIN_BYTES = encodeNode({
  tag: 'login',
  attrs: { user: LOGIN.user, device: '0', version: LOGIN.version, passive: 'false' },
});
const SERVER_FLAG = '--parley-bench-server';

// ---------------------------------------------------------------------------------------------------
// Timing: synchronous series, interleaved round by round.

interface Series {
  name: string;
  op: () => void;
  opsPerRound: number;
  /** Seconds per op, one entry per timed round. */
  samples: number[];
  /** Process CPU seconds (user + system, all threads) per op, one entry per timed round. */
  cpu: number[];
}

interface Stat {
  perSec: number;
  /** Microseconds per op. */
  us: number;
  /** (slowest − fastest round) / median. */
  spread: number;
  /** Median process CPU µs per op (when measured): below `us` when other processes took the core. */
  cpuUs?: number;
}

function timeOps(op: () => void, n: number): number {
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) op();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

function calibrate(op: () => void, target: number): number {
  let n = 1;
  let s = timeOps(op, n);
  while (s < 0.04) {
    n *= 2;
    s = timeOps(op, n);
  }
  return Math.max(1, Math.round((n * target) / s));
}

function series(name: string, op: () => void): Series {
  return { name, op, opsPerRound: 0, samples: [], cpu: [] };
}

/** Calibrates every series to `seconds / (rounds × series)` per round, then runs them interleaved. */
function runInterleaved(all: Series[], seconds: number, log: (l: string) => void, label: string): void {
  const rounds = WARMUP_ROUNDS + TIMED_ROUNDS;
  const target = seconds / (rounds * all.length);
  for (const s of all) s.opsPerRound = calibrate(s.op, target);
  log(`noise: ${label}: ${all.length} series × ${rounds} rounds of ~${Math.round(target * 1000)} ms`);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < all.length; i++) {
      const s = all[(i + r) % all.length]!;
      const cpu = process.cpuUsage();
      const sec = timeOps(s.op, s.opsPerRound);
      const used = process.cpuUsage(cpu);
      if (r >= WARMUP_ROUNDS) {
        s.samples.push(sec / s.opsPerRound);
        s.cpu.push((used.user + used.system) / 1e6 / s.opsPerRound);
      }
    }
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Stats from seconds-per-op samples (and CPU seconds per op). */
function stat(perOp: number[], cpu?: number[]): Stat {
  const med = median(perOp);
  const st: Stat = {
    perSec: 1 / med,
    us: med * 1e6,
    spread: (Math.max(...perOp) - Math.min(...perOp)) / med,
  };
  if (cpu && cpu.length > 0) st.cpuUs = median(cpu) * 1e6;
  return st;
}

const statOf = (s: Series): Stat => stat(s.samples, s.cpu);

const int = (x: number): string => Math.round(x).toLocaleString('en-US');
const fix = (x: number, d = 1): string => x.toFixed(d);
const pct = (x: number): string => `${(x * 100).toFixed(0)} %`;
const met = (ok: boolean): string => (ok ? 'met' : 'NOT met');

// ---------------------------------------------------------------------------------------------------
// 1. Handshakes.

/** One complete handshake, both sides. */
function handshake(c: NoiseCrypto, protocol: string, client: KeyPair, server: KeyPair): void {
  const ik = protocol === IK;
  const ini = new HandshakeState({
    protocol,
    initiator: true,
    crypto: c,
    prologue: PROLOGUE,
    s: client,
    rs: ik ? server.publicKey : undefined,
  });
  const res = new HandshakeState({ protocol, initiator: false, crypto: c, prologue: PROLOGUE, s: server });
  res.readMessage(ini.writeMessage(ik ? LOGIN_BYTES : undefined));
  ini.readMessage(res.writeMessage());
  if (!ik) res.readMessage(ini.writeMessage(LOGIN_BYTES));
  ini.split();
  res.split();
}

/** A client's side of one handshake, recorded: what the responder reads, and the ephemeral it used. */
interface Transcript {
  e: KeyPair;
  m1: Uint8Array;
  m3: Uint8Array | undefined;
}

/**
 * Client messages for `n` handshakes, each from a different client. XX's third message depends on the
 * responder's ephemeral key, so each transcript also records the ephemeral the responder is to use.
 */
function transcripts(protocol: string, server: KeyPair, n: number): Transcript[] {
  const ik = protocol === IK;
  const out: Transcript[] = [];
  for (let i = 0; i < n; i++) {
    const e = nodeCrypto.generateKeyPair();
    const ini = new HandshakeState({
      protocol,
      initiator: true,
      crypto: nodeCrypto,
      prologue: PROLOGUE,
      s: nodeCrypto.generateKeyPair(),
      rs: ik ? server.publicKey : undefined,
    });
    const res = new HandshakeState({
      protocol,
      initiator: false,
      crypto: nodeCrypto,
      prologue: PROLOGUE,
      s: server,
      e,
    });
    const m1 = ini.writeMessage(ik ? LOGIN_BYTES : undefined);
    res.readMessage(m1);
    ini.readMessage(res.writeMessage());
    out.push({ e, m1, m3: ik ? undefined : ini.writeMessage(LOGIN_BYTES) });
  }
  return out;
}

/**
 * The responder's work for one handshake, exactly as ServerConnection does it: a fresh ephemeral key pair
 * (generated and then set aside, since the recorded client messages were made against the recorded one:
 * the generation costs the same, and the recorded key's native form is cached just as a fresh one's is
 * after generation), read, write, (read), split. The client's MAC checks fail if anything differs.
 */
function responder(protocol: string, server: KeyPair, ts: Transcript[]): () => void {
  let i = 0;
  return () => {
    const t = ts[i++ % ts.length]!;
    nodeCrypto.generateKeyPair();
    const res = new HandshakeState({
      protocol,
      initiator: false,
      crypto: nodeCrypto,
      prologue: PROLOGUE,
      s: server,
      e: t.e,
    });
    res.readMessage(t.m1);
    res.writeMessage();
    if (t.m3) res.readMessage(t.m3);
    res.split();
  };
}

function benchHandshakes(seconds: number, log: (l: string) => void) {
  const client = nodeCrypto.generateKeyPair();
  const server = nodeCrypto.generateKeyPair();
  const nClient = nobleCrypto.generateKeyPair();
  const nServer = nobleCrypto.generateKeyPair();
  const pool = 256;
  const xxT = transcripts(XX, server, pool);
  const ikT = transcripts(IK, server, pool);
  const s = {
    xx: series('XX both sides', () => handshake(nodeCrypto, XX, client, server)),
    ik: series('IK both sides', () => handshake(nodeCrypto, IK, client, server)),
    xxR: series('XX responder only', responder(XX, server, xxT)),
    ikR: series('IK responder only', responder(IK, server, ikT)),
    xxN: series('XX both sides noble', () => handshake(nobleCrypto, XX, nClient, nServer)),
    ikN: series('IK both sides noble', () => handshake(nobleCrypto, IK, nClient, nServer)),
  };
  runInterleaved(Object.values(s), seconds, log, 'handshakes');
  const st = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, statOf(v)])) as Record<
    keyof typeof s,
    Stat
  >;
  const row = (name: string, x: Stat, note: string): string[] => [
    name,
    int(x.perSec),
    fix(x.us),
    fix(x.cpuUs ?? Number.NaN),
    pct(x.spread),
    note,
  ];
  const table: Table = {
    title: `Handshakes, in process, one thread (median of ${TIMED_ROUNDS} interleaved rounds)`,
    columns: ['handshake', 'per s', 'µs each', 'CPU µs', 'spread', 'note'],
    rows: [
      row('XX, both sides, node:crypto', st.xx, 'initiator + responder in one thread'),
      row('IK, both sides, node:crypto', st.ik, ''),
      row(
        'XX, responder only (server)',
        st.xxR,
        `goal ≥ ${int(SERVER_HANDSHAKE_GOAL)}/s: ${met(st.xxR.perSec >= SERVER_HANDSHAKE_GOAL)}; ` +
          `initiator ≈ ${fix(st.xx.us - st.xxR.us, 0)} µs`,
      ),
      row(
        'IK, responder only (server)',
        st.ikR,
        `goal ≥ ${int(SERVER_HANDSHAKE_GOAL)}/s: ${met(st.ikR.perSec >= SERVER_HANDSHAKE_GOAL)}; ` +
          `initiator ≈ ${fix(st.ik.us - st.ikR.us, 0)} µs`,
      ),
      row('XX, both sides, @noble', st.xxN, `node:crypto ${fix(st.xx.perSec / st.xxN.perSec)}× faster`),
      row('IK, both sides, @noble', st.ikN, `node:crypto ${fix(st.ik.perSec / st.ikN.perSec)}× faster`),
    ],
  };
  return { table, stats: st, samples: Object.values(s), transcriptsPerPool: pool };
}

// ---------------------------------------------------------------------------------------------------
// 2. Transport in one thread.

/** A transport CipherState pair (initiator → responder) from a real XX handshake. */
function cipherPair(): { send: CipherState; recv: CipherState } {
  const c = nodeCrypto;
  const ini = new HandshakeState({ protocol: XX, initiator: true, crypto: c, s: c.generateKeyPair() });
  const res = new HandshakeState({ protocol: XX, initiator: false, crypto: c, s: c.generateKeyPair() });
  res.readMessage(ini.writeMessage());
  ini.readMessage(res.writeMessage());
  res.readMessage(ini.writeMessage());
  return { send: ini.split()[0], recv: res.split()[0] };
}

/** AES-256-GCM straight from node:crypto, one createCipheriv/createDecipheriv per message: the floor. */
function bareAesGcm(payload: Uint8Array): () => void {
  const key = randomBytes(32);
  const iv = Buffer.alloc(12);
  let n = 0;
  return () => {
    iv.writeUInt32BE(n++ >>> 0, 8);
    const c = createCipheriv('aes-256-gcm', key, iv);
    const body = c.update(payload);
    c.final();
    const tag = c.getAuthTag();
    const d = createDecipheriv('aes-256-gcm', key, iv);
    d.setAuthTag(tag);
    d.update(body);
    d.final();
  };
}

/**
 * A ClientConnection and a ServerConnection wired back to back in memory, handshake done (XX with a
 * login). `send` takes one node from the client's `sendNode` through the frame bytes to the server's
 * `receive`, and returns the node the server decoded.
 */
function connectedPair(): { send(node: Node): Node } {
  const toServer: Uint8Array[] = [];
  const toClient: Uint8Array[] = [];
  let got: Node | undefined;
  const server = new ServerConnection({
    crypto: nodeCrypto,
    staticKey: nodeCrypto.generateKeyPair(),
    write: (b) => toClient.push(b),
    onLogin: () => {},
    onNode: (n) => {
      got = n;
    },
  });
  const client = new ClientConnection({
    crypto: nodeCrypto,
    staticKey: nodeCrypto.generateKeyPair(),
    login: LOGIN,
    write: (b) => toServer.push(b),
    onNode: () => {},
  });
  client.start();
  while (!(client.established && server.established)) {
    if (toServer.length === 0 && toClient.length === 0) throw new Error('in-memory handshake stalled');
    for (const b of toServer.splice(0)) server.receive(b);
    for (const b of toClient.splice(0)) client.receive(b);
  }
  return {
    send(node) {
      client.sendNode(node);
      server.receive(toServer.pop()!);
      return got!;
    },
  };
}

/** A stanza shaped like an E2E text message whose encoding is `size` bytes (or just over). */
function messageNode(size: number): Node {
  const make = (n: number): Node => ({
    tag: 'message',
    attrs: { id: '3EB0C4F1A2B3D4E5', to: '15550001234@s.us', type: 'text' },
    content: [{ tag: 'enc', attrs: { v: '2', type: 'msg' }, content: randomBytes(n) }],
  });
  return sized(make, size);
}

/** The node from `make(n)` with the smallest n whose encoding is at least `size` bytes. */
function sized(make: (n: number) => Node, size: number): Node {
  for (let n = 0; n <= size; n++) {
    const node = make(n);
    if (encodeNode(node).length >= size) return node;
  }
  throw new Error(`no node of ${size} bytes`);
}

function benchTransport(seconds: number, log: (l: string) => void) {
  const sizes = [100, 4096] as const;
  const all: Series[] = [];
  const per: Record<string, { size: number; nodeBytes: number; series: Record<string, Series> }> = {};
  for (const size of sizes) {
    const payload = randomBytes(size);
    const { send, recv } = cipherPair();
    const pair = connectedPair();
    const node = messageNode(size);
    const nodeBytes = encodeNode(node).length;
    if (!nodesEqual(pair.send(node), node)) throw new Error('the frame path changed the node');
    const s = {
      bare: series(`bare AES-256-GCM ${size}`, bareAesGcm(payload)),
      cipher: series(`CipherState ${size}`, () => {
        recv.decrypt(send.encrypt(payload));
      }),
      frame: series(`frame path ${size}`, () => {
        pair.send(node);
      }),
      codec: series(`codec only ${size}`, () => {
        decodeNode(encodeNode(node));
      }),
    };
    all.push(...Object.values(s));
    per[size] = { size, nodeBytes, series: s };
  }
  runInterleaved(all, seconds, log, 'transport');
  const rows: string[][] = [];
  const ratios: Record<string, { cipher: number; frame: number; codec: number }> = {};
  for (const size of sizes) {
    const { series: s, nodeBytes } = per[size]!;
    const bare = statOf(s.bare!);
    const label = size === 100 ? '100 B' : '4 KiB';
    // Each round times every series back to back, so a ratio within one round shares that round's
    // machine conditions: the median of per-round ratios resists noise better than a ratio of medians.
    const toBare = (x: Series): number => median(x.samples.map((sec, i) => sec / s.bare!.samples[i]!));
    const r = (name: string, x: Stat, ratio: number, bytes: number, note = ''): string[] => [
      name,
      int(x.perSec),
      fix((x.perSec * bytes) / 1e6),
      fix(x.us, 2),
      fix(x.cpuUs ?? Number.NaN, 2),
      `${fix(ratio, 2)}×`,
      pct(x.spread),
      note,
    ];
    const cipher = statOf(s.cipher!);
    const frame = statOf(s.frame!);
    const codec = statOf(s.codec!);
    ratios[label] = { cipher: toBare(s.cipher!), frame: toBare(s.frame!), codec: toBare(s.codec!) };
    const q = ratios[label]!;
    rows.push(r(`bare AES-256-GCM ${label}`, bare, 1, size, 'createCipheriv + createDecipheriv'));
    rows.push(r(`CipherState ${label}`, cipher, q.cipher, size, 'Noise encrypt + decrypt'));
    rows.push(
      r(
        `frame path ${label} node`,
        frame,
        q.frame,
        nodeBytes,
        `${nodeBytes} B node; sendNode → receive` +
          (size === 100 ? `; goal ≤ ${FRAME_RATIO_GOAL}×: ${met(q.frame <= FRAME_RATIO_GOAL)}` : ''),
      ),
    );
    rows.push(r(`  of which codec ${label}`, codec, q.codec, nodeBytes, 'encodeNode + decodeNode alone'));
  }
  const table: Table = {
    title:
      `Transport, in process, one thread (median of ${TIMED_ROUNDS} interleaved rounds; ` +
      '×bare = median over rounds of the cost per message relative to bare AES-256-GCM of the same size ' +
      'in the same round)',
    columns: ['per message', 'per s', 'MB/s', 'µs each', 'CPU µs', '×bare', 'spread', 'note'],
    rows,
  };
  return { table, ratios, samples: all };
}

// ---------------------------------------------------------------------------------------------------
// 3. Loopback sockets: the server runs in a child process (this file, started with SERVER_FLAG).

interface Usage {
  /** process.cpuUsage() of the server process, µs. */
  user: number;
  system: number;
  /** Event loop busy and idle time, ms. */
  active: number;
  idle: number;
}

interface ServerHandle {
  tcpPort: number;
  httpPort: number;
  usage(): Promise<Usage>;
  stop(): Promise<void>;
}

type Request =
  | { id: number; cmd: 'start'; devices: { user: string; publicKey: Uint8Array }[] }
  | { id: number; cmd: 'usage' }
  | { id: number; cmd: 'stop' };

async function startServerProcess(devices: { user: string; publicKey: Uint8Array }[]): Promise<ServerHandle> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [SERVER_FLAG], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  const waiting = new Map<number, (m: Record<string, unknown>) => void>();
  let nextId = 1;
  let exited: Error | undefined;
  child.on('message', (m: Record<string, unknown>) => {
    const w = waiting.get(m.id as number);
    waiting.delete(m.id as number);
    w?.(m);
  });
  child.on('exit', (code, signal) => {
    exited = new Error(`bench server exited (${code ?? signal})`);
    for (const w of waiting.values()) w({ error: exited.message });
    waiting.clear();
  });
  const ask = (req: Record<string, unknown>): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      if (exited) return reject(exited);
      const id = nextId++;
      waiting.set(id, (m) => (typeof m.error === 'string' ? reject(new Error(m.error)) : resolve(m)));
      child.send({ ...req, id });
    });
  const started = await ask({ cmd: 'start', devices });
  return {
    tcpPort: started.tcpPort as number,
    httpPort: started.httpPort as number,
    usage: async () => (await ask({ cmd: 'usage' })) as unknown as Usage,
    stop: async () => {
      await ask({ cmd: 'stop' }).catch(() => {});
      if (child.exitCode === null) child.kill();
    },
  };
}

/** The child: a real server with the stock modules plus an echo iq, SQLite (WAL, synchronous=FULL) on disk. */
async function serveForBench(): Promise<void> {
  const { ParleyServer } = await import('../src/server/core/server.js');
  const { parseConfig } = await import('../src/server/core/config.js');
  const { silentLogger } = await import('../src/server/core/logger.js');
  const { defineModule } = await import('../src/server/core/module.js');
  const { defaultModules } = await import('../src/server/modules/index.js');
  const { openSqliteStorage } = await import('../src/server/storage/sqlite/open.js');
  const { tcpTransport } = await import('../src/server/transport/tcp.js');
  const { webSocketTransport } = await import('../src/server/transport/websocket.js');
  const echo = defineModule({
    name: 'bench-echo',
    setup(ctx) {
      ctx.router.iq('bench:echo', ({ node }) => (Array.isArray(node.content) ? node.content : []));
    },
  });
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
  let server: InstanceType<typeof ParleyServer> | undefined;
  const reply = (m: Record<string, unknown>) => process.send!(m);
  process.on('disconnect', () => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  });
  process.on('message', (req: Request) => {
    void (async () => {
      try {
        if (req.cmd === 'start') {
          const storage = await openSqliteStorage({ path: join(dir, 'parley.db') });
          const now = Date.now();
          for (const d of req.devices) {
            await storage.accounts.ensureAccount(d.user, now);
            await storage.accounts.putDevice({
              user: d.user,
              device: 0,
              noiseKey: d.publicKey,
              registeredAt: now,
            });
          }
          server = new ParleyServer({
            config: parseConfig({
              host: '127.0.0.1',
              port: 0,
              httpPort: 0,
              logLevel: 'silent',
              dataDir: dir,
            }),
            storage,
            log: silentLogger(),
            staticKey: nodeCrypto.generateKeyPair(),
            modules: [...defaultModules(), echo],
            transports: [tcpTransport(), webSocketTransport()],
          });
          await server.start();
          reply({ id: req.id, tcpPort: server.transportPort('tcp'), httpPort: server.httpPort() });
        } else if (req.cmd === 'usage') {
          const cpu = process.cpuUsage();
          const elu = performance.eventLoopUtilization();
          reply({ id: req.id, user: cpu.user, system: cpu.system, active: elu.active, idle: elu.idle });
        } else {
          await server?.stop();
          rmSync(dir, { recursive: true, force: true });
          process.send!({ id: req.id }, () => process.exit(0));
        }
      } catch (err) {
        reply({ id: req.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      }
    })();
  });
}

interface SocketRound {
  ops: number;
  seconds: number;
  /** Server CPU (user + system) per op, µs. */
  cpuUs: number;
  /** Server event loop utilisation during the round. */
  busy: number;
  failures: number;
}

async function measured(
  srv: ServerHandle,
  run: () => Promise<{ ops: number; seconds: number; failures: number }>,
): Promise<SocketRound> {
  const u0 = await srv.usage();
  const r = await run();
  await new Promise((res) => setTimeout(res, 30)); // let the server finish closing what just ended
  const u1 = await srv.usage();
  const cpu = u1.user + u1.system - u0.user - u0.system;
  const active = u1.active - u0.active;
  const total = active + u1.idle - u0.idle;
  return { ...r, cpuUs: cpu / Math.max(1, r.ops), busy: total > 0 ? active / total : 0 };
}

/** `concurrency` clients each logging in (connect, XX, `<login/>`, `<success/>`) and closing, in a loop. */
async function loginRound(
  dial: Dialer,
  devices: { user: string; key: KeyPair }[],
  seconds: number,
): Promise<{ ops: number; seconds: number; failures: number }> {
  let ops = 0;
  let failures = 0;
  let lastError: unknown;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  const slot = async (k: number): Promise<void> => {
    for (let j = 0; performance.now() < deadline; j++) {
      const d = devices[(k + j * LOGIN_CONCURRENCY) % devices.length]!;
      try {
        const open = await connect({
          dial,
          crypto: nodeCrypto,
          staticKey: d.key,
          login: { user: d.user, device: 0, version: 'bench', passive: false },
          onNode: () => {},
          onClose: () => {},
          timeoutMs: 10_000,
        });
        open.close();
        ops++;
      } catch (err) {
        failures++;
        lastError = err;
      }
    }
  };
  await Promise.all(Array.from({ length: LOGIN_CONCURRENCY }, (_, k) => slot(k)));
  if (failures > 0 && ops === 0) throw new Error(`every login failed: ${String(lastError)}`);
  return { ops, seconds: (performance.now() - start) / 1000, failures };
}

/** An echo iq whose encoding is `size` bytes (with a 6-digit id). */
function echoNode(size: number): Node {
  return sized(
    (n) => ({
      tag: 'iq',
      attrs: { id: '100000', type: 'get', xmlns: 'bench:echo' },
      content: [{ tag: 'blob', attrs: {}, content: randomBytes(n) }],
    }),
    size,
  );
}

/** A logged-in client whose result iqs go to `onResult`. */
async function echoClient(dial: Dialer, d: { user: string; key: KeyPair }) {
  const h = { onResult: (_n: Node) => {} };
  const open: OpenConnection = await connect({
    dial,
    crypto: nodeCrypto,
    staticKey: d.key,
    login: { user: d.user, device: 0, version: 'bench', passive: false },
    onNode: (n) => {
      if (n.tag === 'iq' && n.attrs.type === 'result') h.onResult(n);
    },
    onClose: () => {},
  });
  return { open, h };
}

/** Echo iqs with ECHO_WINDOW in flight until the deadline; each is one frame each way. */
function echoRound(
  c: Awaited<ReturnType<typeof echoClient>>,
  node: Node,
  seconds: number,
): Promise<{ ops: number; seconds: number; failures: number }> {
  return new Promise((resolve) => {
    let ops = 0;
    let inFlight = 0;
    let id = 100_000;
    const start = performance.now();
    const deadline = start + seconds * 1000;
    const send = () => {
      node.attrs.id = String((id++ % 900_000) + 100_000);
      inFlight++;
      c.open.send(node);
    };
    c.h.onResult = () => {
      ops++;
      inFlight--;
      if (performance.now() < deadline) send();
      else if (inFlight === 0) resolve({ ops, seconds: (performance.now() - start) / 1000, failures: 0 });
    };
    for (let i = 0; i < ECHO_WINDOW; i++) send();
  });
}

async function benchSockets(seconds: number, log: (l: string) => void) {
  const devices = Array.from({ length: LOGIN_DEVICES }, (_, i) => ({
    user: String(15551000000 + i),
    key: nodeCrypto.generateKeyPair(),
  }));
  const setupStart = performance.now();
  const srv = await startServerProcess(devices.map((d) => ({ user: d.user, publicKey: d.key.publicKey })));
  try {
    const dials: Record<'tcp' | 'ws', Dialer> = {
      tcp: tcpDialer('127.0.0.1', srv.tcpPort, 5000),
      ws: wsDialer(`ws://127.0.0.1:${srv.httpPort}/ws`, 5000),
    };
    // The echo client uses a device the login rounds never touch (they cycle through the others).
    const echoDevice = devices.pop()!;
    const echo = await echoClient(dials.tcp, echoDevice);
    const nodes = { 100: echoNode(100), 4096: echoNode(4096) };
    const runs: { key: string; run: (s: number) => Promise<SocketRound>; rounds: SocketRound[] }[] = [
      { key: 'login tcp', run: (s) => measured(srv, () => loginRound(dials.tcp, devices, s)), rounds: [] },
      { key: 'login ws', run: (s) => measured(srv, () => loginRound(dials.ws, devices, s)), rounds: [] },
      { key: 'echo 100', run: (s) => measured(srv, () => echoRound(echo, nodes[100], s)), rounds: [] },
      { key: 'echo 4096', run: (s) => measured(srv, () => echoRound(echo, nodes[4096], s)), rounds: [] },
    ];
    const setup = (performance.now() - setupStart) / 1000;
    const rounds = WARMUP_ROUNDS + SOCKET_ROUNDS;
    const each = Math.max(0.2, (seconds - setup) / (rounds * runs.length));
    log(
      `noise: sockets: server process up in ${fix(setup)} s; ${runs.length} series × ${rounds} rounds of ~${Math.round(each * 1000)} ms`,
    );
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < runs.length; i++) {
        const x = runs[(i + r) % runs.length]!;
        const res = await x.run(each);
        if (r >= WARMUP_ROUNDS) x.rounds.push(res);
      }
    }
    echo.open.close();
    const summary = (key: string) => {
      const rs = runs.find((x) => x.key === key)!.rounds;
      const perOp = rs.map((r) => r.seconds / r.ops);
      return {
        ...stat(perOp),
        cpuUs: median(rs.map((r) => r.cpuUs)),
        busy: median(rs.map((r) => r.busy)),
        failures: rs.reduce((n, r) => n + r.failures, 0),
        rounds: rs,
      };
    };
    const res = {
      loginTcp: summary('login tcp'),
      loginWs: summary('login ws'),
      echo100: summary('echo 100'),
      echo4k: summary('echo 4096'),
    };
    const row = (name: string, x: ReturnType<typeof summary>, bytes: number, note: string): string[] => [
      name,
      int(x.perSec),
      bytes ? fix((x.perSec * bytes) / 1e6) : '',
      fix(x.cpuUs, 0),
      int(1e6 / x.cpuUs),
      pct(x.busy),
      pct(x.spread),
      note,
    ];
    const table: Table = {
      title:
        `Loopback sockets, server in a child process (median of ${SOCKET_ROUNDS} interleaved rounds; ` +
        'server CPU = its user+system time per operation; per core = 10^6 / that)',
      columns: ['operation', 'per s', 'MB/s', 'server CPU µs', 'per core/s', 'server busy', 'spread', 'note'],
      rows: [
        row(
          `login, TCP, ${LOGIN_CONCURRENCY} clients`,
          res.loginTcp,
          0,
          'connect + XX + <login/> → <success/>, then close',
        ),
        row(`login, WebSocket, ${LOGIN_CONCURRENCY} clients`, res.loginWs, 0, 'the same over ws:// /ws'),
        row(
          `echo iq ${encodeNode(nodes[100]).length} B, TCP`,
          res.echo100,
          encodeNode(nodes[100]).length,
          `1 client, ${ECHO_WINDOW} in flight; 1 frame each way per round trip`,
        ),
        row(
          `echo iq ${encodeNode(nodes[4096]).length} B, TCP`,
          res.echo4k,
          encodeNode(nodes[4096]).length,
          'the same; MB/s counts one direction',
        ),
      ],
    };
    return { table, results: res, setupSeconds: setup };
  } finally {
    await srv.stop();
  }
}

// ---------------------------------------------------------------------------------------------------

export async function benchNoise(
  opts: { seconds?: number; log?: (l: string) => void } = {},
): Promise<BenchReport> {
  const seconds = opts.seconds ?? DEFAULT_NOISE_SECONDS;
  const log = opts.log ?? ((l: string) => console.error(l));
  const hs = benchHandshakes(seconds * SHARE.handshakes, log);
  const tr = benchTransport(seconds * SHARE.transport, log);
  const so = await benchSockets(seconds * SHARE.sockets, log);

  const notes: string[] = [];
  const xxR = hs.stats.xxR.perSec;
  const ikR = hs.stats.ikR.perSec;
  notes.push(
    `server-side handshakes (responder only, one core): XX ${int(xxR)}/s, IK ${int(ikR)}/s ` +
      `(goal ≥ ${int(SERVER_HANDSHAKE_GOAL)}/s: XX ${met(xxR >= SERVER_HANDSHAKE_GOAL)}, IK ${met(ikR >= SERVER_HANDSHAKE_GOAL)}); ` +
      `by process CPU time ${int(1e6 / hs.stats.xxR.cpuUs!)}/s and ${int(1e6 / hs.stats.ikR.cpuUs!)}/s`,
  );
  const small = tr.ratios['100 B']!;
  notes.push(
    `100 B frame: the full transport path costs ${fix(small.frame, 2)}× bare AES-256-GCM ` +
      `(goal ≤ ${FRAME_RATIO_GOAL}×: ${met(small.frame <= FRAME_RATIO_GOAL)}); ` +
      `CipherState alone ${fix(small.cipher, 2)}×`,
  );
  notes.push(
    `logins over loopback: TCP ${int(so.results.loginTcp.perSec)}/s, WebSocket ${int(so.results.loginWs.perSec)}/s ` +
      `with ${LOGIN_CONCURRENCY} concurrent clients on the other core; the server spends ` +
      `${fix(so.results.loginTcp.cpuUs, 0)} µs (TCP) / ${fix(so.results.loginWs.cpuUs, 0)} µs (WS) of CPU per login`,
  );
  notes.push(
    `echo over loopback TCP: ${int(so.results.echo100.perSec)} round trips/s of 100 B ` +
      `(${int(2 * so.results.echo100.perSec)} frames/s counting both directions), ` +
      `${int(so.results.echo4k.perSec)}/s of 4 KiB`,
  );
  const failures = so.results.loginTcp.failures + so.results.loginWs.failures;
  if (failures > 0) notes.push(`${failures} logins failed during the timed rounds (not counted)`);
  const spreads = [...hs.samples, ...tr.samples].map((s) => stat(s.samples).spread);
  if (Math.max(...spreads) > 0.2) {
    notes.push(
      'some series spread over 20 % between rounds: the machine was noisy, compare medians with care',
    );
  }
  return {
    name: 'noise',
    tables: [hs.table, tr.table, so.table],
    notes,
    data: {
      seconds,
      handshakes: hs.stats,
      transport: tr.ratios,
      sockets: so.results,
      socketSetupSeconds: so.setupSeconds,
      samples: [...hs.samples, ...tr.samples].map((s) => ({
        name: s.name,
        opsPerRound: s.opsPerRound,
        secondsPerOp: s.samples,
        cpuSecondsPerOp: s.cpu,
      })),
      config: { LOGIN_CONCURRENCY, LOGIN_DEVICES, ECHO_WINDOW, WARMUP_ROUNDS, TIMED_ROUNDS, SOCKET_ROUNDS },
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv.includes(SERVER_FLAG)) {
    await serveForBench();
  } else {
    const i = process.argv.indexOf('--seconds');
    const seconds = i > 0 ? Number(process.argv[i + 1]) : undefined;
    const report = await benchNoise(seconds === undefined ? {} : { seconds });
    for (const t of report.tables) {
      console.log(`\n${t.title}\n${t.columns.join(' | ')}`);
      for (const r of t.rows) console.log(r.join(' | '));
    }
    for (const n of report.notes) console.log(`- ${n}`);
  }
}
