/**
 * One load-generator process: it holds many real client connections (Noise over TCP, a share over
 * WebSocket, each logged in as its own seeded user) and drives traffic on them when the orchestrator
 * (main.ts) asks over IPC. Every connection goes through the SDK's own `connect()` and the transport
 * code a real client uses; only the dialer is ours, to pick a 127.0.0.x source address per connection.
 *
 * Commands (see `serveRpc` at the bottom): init, connect, disconnect, status, subscribe, traffic,
 * snapshot, fill, drainProgress, login.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { connect, LoginError, type OpenConnection } from '../../src/client/connect.js';
import type { ClientSocket, Dialer } from '../../src/client/dial.js';
import { nodeCrypto } from '../../src/noise/crypto-node.js';
import type { KeyPair } from '../../src/noise/index.js';
import { deviceJid, userJid } from '../../src/protocol/jid.js';
import { ConnectionError } from '../../src/transport/connection.js';
import type { Node } from '../../src/wire/index.js';
import {
  bump,
  deviceKey,
  Histogram,
  type HistogramJSON,
  nowUs,
  Rng,
  serveRpc,
  userNumber,
} from './common.js';

export interface WorkerInit {
  workerId: number;
  seed: string;
  host: string;
  port: number;
  wsUrl: string;
  /** The server's static public key, base64: clients pin it and log in with IK, as after registration. */
  serverKey: string;
  /** Source addresses, e.g. 127.0.0.2..127.0.0.9; a connection's address is picked by its user index. */
  sourceAddrs: string[];
  /** Share of connections over WebSocket (0..1), picked by user index so it is stable across runs. */
  wsShare: number;
  forceXX: boolean;
  timeoutMs: number;
}

interface Client {
  idx: number;
  user: string;
  /** `user:0@s.us` */
  jid: string;
  ws: boolean;
  addr: string;
  key: KeyPair;
  conn: OpenConnection | undefined;
  sock: Socket | undefined;
  /** Nodes to send that were produced before `connect()` resolved (backlog acks arrive with `<success>`). */
  early: Node[] | undefined;
  open: boolean;
  connecting: boolean;
  available: boolean;
}

let init: WorkerInit;
let serverKey: Uint8Array;
const clients = new Map<number, Client>();
const closeReasons: Record<string, number> = {};
let rng = new Rng(1);
const jids: string[] = [];

/** How this worker's clients answer what they receive. */
const mode = { receipts: true, keepForReceipt: true, readShare: 0, readDelayUs: 1_000_000 };

/** Interval counters: reset by every `snapshot({reset: true})`. */
class Stats {
  sent = 0;
  acked = 0;
  /** Acks received inside the traffic window [windowStart, windowEnd]. */
  ackedInWindow = 0;
  ackErrors: Record<string, number> = {};
  msgIn = 0;
  offlineIn = 0;
  receiptsSent = 0;
  readSent = 0;
  receiptsIn = 0;
  readIn = 0;
  receiptAcks = 0;
  otherErrors: Record<string, number> = {};
  chatstatesOut = 0;
  chatstatesIn = 0;
  presenceOut = 0;
  presenceIn = 0;
  pings = 0;
  /** Messages the schedule wanted but did not send because too many were outstanding. */
  throttled = 0;
  ackLat = new Histogram();
  e2e = new Histogram();
  receiptLat = new Histogram();
}
let stats = new Stats();
let windowStart = 0;
let windowEnd = Number.POSITIVE_INFINITY;
/** Message id → send time (µs), until its ack (or its delivery receipt when receipts are on). */
const pending = new Map<string, number>();
let seq = 0;
let idPrefix = 'w0.';

const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();
let elu = performance.eventLoopUtilization();

// One payload buffer, reused: sendNode encodes synchronously, so the bytes are copied before it returns.
let payload = new Uint8Array(160);
let payloadView = new DataView(payload.buffer);

function setPayloadSize(size: number): void {
  if (payload.length === size) return;
  payload = new Uint8Array(Math.max(16, size));
  for (let i = 8; i < payload.length; i++) payload[i] = (i * 131 + 7) & 0xff;
  payloadView = new DataView(payload.buffer);
}

function jidOf(i: number): string {
  let j = jids[i];
  if (j === undefined) {
    j = userJid(userNumber(i));
    jids[i] = j;
  }
  return j;
}

function clientFor(idx: number): Client {
  let c = clients.get(idx);
  if (!c) {
    const user = userNumber(idx);
    c = {
      idx,
      user,
      jid: deviceJid(user, 0),
      ws: idx % 1000 < Math.round(init.wsShare * 1000),
      addr: init.sourceAddrs[idx % init.sourceAddrs.length]!,
      key: deviceKey(init.seed, idx),
      conn: undefined,
      sock: undefined,
      early: undefined,
      open: false,
      connecting: false,
      available: false,
    };
    clients.set(idx, c);
  }
  return c;
}

// ---- connections ----

function tcpDialer(c: Client, hardClose: boolean): Dialer {
  return (h) =>
    new Promise((resolve, reject) => {
      const s = netConnect({ host: init.host, port: init.port, localAddress: c.addr });
      s.setNoDelay(true);
      let open = false;
      const timer = setTimeout(() => {
        s.destroy();
        reject(new ConnectionError('connect_timeout'));
      }, init.timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        open = true;
        c.sock = s;
        const sock: ClientSocket = {
          write: (b) => void s.write(b),
          // RST instead of FIN for login storms: no TIME_WAIT pinning a source port for a minute.
          close: () => (hardClose ? s.resetAndDestroy() : s.destroy()),
        };
        resolve(sock);
      });
      s.on('data', (d) => h.onData(d));
      s.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (!open) reject(err);
        else bump(closeReasons, `socket ${err.code ?? err.message}`);
      });
      s.on('close', () => {
        if (c.sock === s) c.sock = undefined;
        if (open) h.onClose('socket closed');
      });
    });
}

function wsDialer(c: Client): Dialer {
  return (h) =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(init.wsUrl, {
        perMessageDeflate: false,
        handshakeTimeout: init.timeoutMs,
        localAddress: c.addr,
      });
      ws.binaryType = 'nodebuffer';
      let open = false;
      ws.once('open', () => {
        open = true;
        resolve({ write: (b) => ws.send(b, { binary: true }), close: () => ws.terminate() });
      });
      ws.on('message', (d) => h.onData(d as Buffer));
      ws.on('error', (err: NodeJS.ErrnoException) => {
        if (!open) reject(err);
        else bump(closeReasons, `ws ${err.code ?? err.message}`);
      });
      ws.on('close', () => open && h.onClose('socket closed'));
    });
}

function reasonOf(err: unknown): string {
  if (err instanceof LoginError) return `login ${err.reason}`;
  if (err instanceof ConnectionError) return err.reason;
  const e = err as NodeJS.ErrnoException;
  return e?.code ?? e?.message ?? String(err);
}

async function open(c: Client, hardClose = false): Promise<OpenConnection> {
  c.connecting = true;
  c.early = [];
  try {
    const o = await connect({
      dial: c.ws ? wsDialer(c) : tcpDialer(c, hardClose),
      crypto: nodeCrypto,
      staticKey: c.key,
      serverKey,
      forceXX: init.forceXX,
      login: { user: c.user, device: 0, version: 'parley-load/0.1', passive: false },
      onNode: (n) => onNode(c, n),
      onClose: (reason) => {
        if (c.open) bump(closeReasons, reason);
        c.open = false;
        c.conn = undefined;
        c.available = false;
      },
      timeoutMs: init.timeoutMs,
    });
    c.conn = o;
    c.open = true;
    const early = c.early;
    c.early = undefined;
    if (early.length > 0) {
      batch(c, () => {
        for (const n of early) o.send(n);
      });
    }
    return o;
  } finally {
    c.connecting = false;
    c.early = undefined;
  }
}

function send(c: Client, n: Node): void {
  if (c.conn && c.open) c.conn.send(n);
  else if (c.early) c.early.push(n);
}

/** Several nodes to one connection in one write where the transport allows (TCP cork). */
function batch(c: Client, fn: () => void): void {
  const s = c.sock;
  s?.cork();
  try {
    fn();
  } finally {
    s?.uncork();
  }
}

// ---- what clients do with what they receive ----

function onNode(c: Client, n: Node): void {
  switch (n.tag) {
    case 'message':
      onMessage(c, n);
      return;
    case 'receipt':
      onReceipt(c, n);
      return;
    case 'ack':
      onAck(n);
      return;
    case 'iq':
      // The server's keepalive ping: answer it, as the SDK does.
      if (n.attrs.type === 'get' && n.attrs.id) {
        stats.pings++;
        send(c, { tag: 'iq', attrs: { id: n.attrs.id, type: 'result' } });
      }
      return;
    case 'ib':
      drain.ib++;
      return;
    case 'presence':
      stats.presenceIn++;
      return;
    case 'chatstate':
      stats.chatstatesIn++;
      return;
    case 'stream:error':
      bump(closeReasons, `stream:error ${n.attrs.reason ?? ''}`);
      return;
  }
}

function onMessage(c: Client, n: Node): void {
  const { id, from } = n.attrs;
  if (!id || !from) return;
  const now = nowUs();
  batch(c, () => {
    send(c, { tag: 'ack', attrs: { class: 'message', id, to: from } });
    if (mode.receipts) {
      send(c, { tag: 'receipt', attrs: { id, to: from } });
      stats.receiptsSent++;
    }
  });
  if (n.attrs.offline === '1') {
    stats.offlineIn++;
    drain.received++;
    if (drain.firstAt === 0) drain.firstAt = now;
    drain.lastAt = now;
    return;
  }
  stats.msgIn++;
  const enc = Array.isArray(n.content) ? n.content[0] : undefined;
  const body = enc?.content instanceof Uint8Array ? enc.content : undefined;
  if (body && body.length >= 8) {
    const sentAt = new DataView(body.buffer, body.byteOffset, 8).getFloat64(0, true);
    stats.e2e.record(now - sentAt);
  }
  if (mode.readShare > 0 && rng.next() < mode.readShare) {
    later.read.push({ at: now + mode.readDelayUs, c, id, to: from });
  }
}

function onReceipt(c: Client, n: Node): void {
  const { id, from, type } = n.attrs;
  if (!id || !from) return;
  send(c, {
    tag: 'ack',
    attrs: type ? { class: 'receipt', id, to: from, type } : { class: 'receipt', id, to: from },
  });
  if (type) {
    stats.readIn++;
    return;
  }
  stats.receiptsIn++;
  const sentAt = pending.get(id);
  if (sentAt !== undefined) {
    stats.receiptLat.record(nowUs() - sentAt);
    pending.delete(id);
  }
}

function onAck(n: Node): void {
  const { class: cls, id, error } = n.attrs;
  if (cls === 'message' && id) {
    const sentAt = pending.get(id);
    if (error) {
      bump(stats.ackErrors, error);
      pending.delete(id);
      return;
    }
    const now = nowUs();
    stats.acked++;
    if (now >= windowStart && now <= windowEnd) stats.ackedInWindow++;
    if (sentAt !== undefined) {
      stats.ackLat.record(now - sentAt);
      if (!mode.keepForReceipt) pending.delete(id);
    }
  } else if (error) bump(stats.otherErrors, `${cls}:${error}`);
  else if (cls === 'receipt') stats.receiptAcks++;
}

// ---- what clients send ----

function sendMessage(c: Client, peer: number): void {
  const id = idPrefix + (seq++).toString(36);
  const t = nowUs();
  payloadView.setFloat64(0, t, true);
  send(c, {
    tag: 'message',
    attrs: { id, to: jidOf(peer), type: 'text' },
    content: [{ tag: 'enc', attrs: { v: '2', type: 'msg' }, content: payload }],
  });
  pending.set(id, t);
  stats.sent++;
}

function sendTyping(c: Client, peer: number): void {
  send(c, { tag: 'chatstate', attrs: { to: jidOf(peer) }, content: [{ tag: 'composing', attrs: {} }] });
  stats.chatstatesOut++;
}

function setAvailable(c: Client, available: boolean): void {
  send(c, { tag: 'presence', attrs: { type: available ? 'available' : 'unavailable' } });
  c.available = available;
  stats.presenceOut++;
}

/** Things to do later, each list in time order (every entry of one list has the same delay). */
const later = {
  read: [] as { at: number; c: Client; id: string; to: string }[],
  back: [] as { at: number; c: Client }[],
};

function runLater(now: number): void {
  let i = 0;
  for (; i < later.read.length && later.read[i]!.at <= now; i++) {
    const r = later.read[i]!;
    if (!r.c.open) continue;
    send(r.c, { tag: 'receipt', attrs: { id: r.id, to: r.to, type: 'read' } });
    stats.readSent++;
  }
  if (i > 0) later.read.splice(0, i);
  for (i = 0; i < later.back.length && later.back[i]!.at <= now; i++) {
    const b = later.back[i]!;
    if (b.c.open) setAvailable(b.c, true);
  }
  if (i > 0) later.back.splice(0, i);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function sleepUntilUs(at: number): Promise<void> {
  const ms = (at - nowUs()) / 1000;
  if (ms > 0) await sleep(ms);
}

function openClients(): Client[] {
  return [...clients.values()].filter((c) => c.open);
}

// ---- commands ----

export interface ConnectArgs {
  indices: number[];
  concurrency: number;
  /** Send `<presence type="available"/>` once logged in. */
  presence: boolean;
}

export interface ConnectResult {
  opened: number;
  failed: number;
  reasons: Record<string, number>;
  latency: HistogramJSON;
  open: number;
}

async function connectMany(a: ConnectArgs): Promise<ConnectResult> {
  const latency = new Histogram();
  const reasons: Record<string, number> = {};
  let opened = 0;
  let failed = 0;
  let next = 0;
  const one = async () => {
    while (next < a.indices.length) {
      const c = clientFor(a.indices[next++]!);
      if (c.open || c.connecting) continue;
      const t0 = nowUs();
      try {
        await open(c);
        latency.record(nowUs() - t0);
        opened++;
        if (a.presence) setAvailable(c, true);
      } catch (err) {
        failed++;
        bump(reasons, reasonOf(err));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, a.concurrency) }, one));
  return { opened, failed, reasons, latency: latency.toJSON(), open: openClients().length };
}

function disconnect(a: { indices?: number[] }): number {
  let n = 0;
  const list = a.indices ? a.indices.map((i) => clients.get(i)) : [...clients.values()];
  for (const c of list) {
    if (!c?.conn) continue;
    c.open = false;
    c.conn.close();
    c.conn = undefined;
    n++;
  }
  return n;
}

export interface TrafficArgs {
  /** When to start, on the shared monotonic clock (µs). */
  startAtUs: number;
  seconds: number;
  /** This worker's message rate, msg/s, spread over its open clients. */
  rate: number;
  /** Users 0..peers-1 are the possible recipients (every one online in chat/mixed). */
  peers: number;
  receipts: boolean;
  /** Share of received messages answered by a read receipt one second later. */
  readShare: number;
  /** `<chatstate><composing/>` before each message. */
  typing: boolean;
  /** Presence toggles per second on this worker (unavailable, then available 2 s later). */
  presenceRate: number;
  size: number;
  /** Stop offering messages while this many are unacked / without receipt (saturation guard). */
  maxOutstanding: number;
  /** After the window, wait this long at most for outstanding acks and receipts. */
  graceMs: number;
}

async function traffic(a: TrafficArgs): Promise<WorkerSnapshot> {
  mode.receipts = a.receipts;
  mode.keepForReceipt = a.receipts;
  mode.readShare = a.readShare;
  setPayloadSize(a.size);
  const local = openClients();
  if (local.length === 0) throw new Error('no open clients');
  const endAt = a.startAtUs + a.seconds * 1e6;
  windowStart = a.startAtUs;
  windowEnd = endAt;
  await sleepUntilUs(a.startAtUs);
  let offered = 0;
  let toggles = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = nowUs();
      const elapsed = (Math.min(now, endAt) - a.startAtUs) / 1e6;
      const due = Math.floor(elapsed * a.rate);
      while (offered < due) {
        if (pending.size >= a.maxOutstanding) {
          stats.throttled += due - offered;
          offered = due;
          break;
        }
        offered++;
        const c = local[rng.int(local.length)]!;
        if (!c.open) continue;
        let peer = rng.int(a.peers);
        if (peer === c.idx) peer = (peer + 1) % a.peers;
        if (a.typing) {
          batch(c, () => {
            sendTyping(c, peer);
            sendMessage(c, peer);
          });
        } else sendMessage(c, peer);
      }
      const togglesDue = Math.floor(elapsed * a.presenceRate);
      while (toggles < togglesDue) {
        toggles++;
        const c = local[rng.int(local.length)]!;
        if (!c.open || !c.available) continue;
        setAvailable(c, false);
        later.back.push({ at: now + 2_000_000, c });
      }
      runLater(now);
      if (now >= endAt) {
        clearInterval(timer);
        resolve();
      }
    }, 2);
  });
  const graceEnd = Date.now() + a.graceMs;
  while ((pending.size > 0 || later.read.length > 0 || later.back.length > 0) && Date.now() < graceEnd) {
    runLater(nowUs());
    await sleep(10);
  }
  runLater(Number.POSITIVE_INFINITY);
  const snap = snapshot({ reset: true });
  pending.clear();
  windowStart = 0;
  windowEnd = Number.POSITIVE_INFINITY;
  return snap;
}

export interface WorkerSnapshot {
  stats: Record<string, unknown>;
  outstanding: number;
  open: number;
  closeReasons: Record<string, number>;
  /** This process's own event loop: a generator that lags inflates every latency it measures. */
  gen: { elu: number; lagP99: number; lagMax: number };
}

function snapshot(a: { reset: boolean }): WorkerSnapshot {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(stats)) out[k] = v instanceof Histogram ? v.toJSON() : v;
  const now = performance.eventLoopUtilization();
  const d = performance.eventLoopUtilization(now, elu);
  const snap: WorkerSnapshot = {
    stats: out,
    outstanding: pending.size,
    open: openClients().length,
    closeReasons: { ...closeReasons },
    gen: { elu: d.utilization, lagP99: lag.percentile(99) / 1e6, lagMax: lag.max / 1e6 },
  };
  if (a.reset) {
    stats = new Stats();
    elu = now;
    lag.reset();
  }
  return snap;
}

function subscribe(a: { count: number; peers: number }): number {
  let n = 0;
  for (const c of openClients()) {
    for (let k = 0; k < a.count; k++) {
      const peer = rng.int(a.peers);
      if (peer === c.idx) continue;
      send(c, { tag: 'presence', attrs: { type: 'subscribe', to: jidOf(peer) } });
      n++;
    }
  }
  return n;
}

// ---- offline drain ----

const drain = { received: 0, ib: 0, firstAt: 0, lastAt: 0 };

export interface FillArgs {
  /** Global indices of recipients (offline). */
  recipients: number[];
  /** Messages this worker sends, from its open clients in turn. */
  total: number;
  /** Offset into `recipients` so workers spread evenly. */
  offset: number;
  /** Unacked messages allowed in flight. */
  window: number;
  size: number;
}

async function fill(
  a: FillArgs,
): Promise<{ sent: number; acked: number; ms: number; ackLat: HistogramJSON }> {
  mode.receipts = false;
  mode.keepForReceipt = false;
  setPayloadSize(a.size);
  const senders = openClients();
  if (senders.length === 0) throw new Error('no open senders');
  stats = new Stats();
  const t0 = performance.now();
  let k = 0;
  await new Promise<void>((resolve, reject) => {
    const deadline = Date.now() + 600_000;
    const tick = () => {
      while (k < a.total && pending.size < a.window) {
        const c = senders[k % senders.length]!;
        sendMessage(c, a.recipients[(a.offset + k) % a.recipients.length]!);
        k++;
      }
      if (k >= a.total && pending.size === 0) return resolve();
      if (Date.now() > deadline) return reject(new Error(`fill stuck: ${stats.acked}/${a.total} acked`));
      setTimeout(tick, 1);
    };
    tick();
  });
  const errors = Object.values(stats.ackErrors).reduce((x, y) => x + y, 0);
  if (errors > 0) throw new Error(`fill: ${JSON.stringify(stats.ackErrors)}`);
  return { sent: stats.sent, acked: stats.acked, ms: performance.now() - t0, ackLat: stats.ackLat.toJSON() };
}

function drainReset(a: { receipts: boolean }): void {
  mode.receipts = a.receipts;
  mode.keepForReceipt = false;
  mode.readShare = 0;
  drain.received = 0;
  drain.ib = 0;
  drain.firstAt = 0;
  drain.lastAt = 0;
}

// ---- login storm ----

export interface LoginArgs {
  /** Users this worker may log in (each at most once at a time). */
  pool: number[];
  startAtUs: number;
  seconds: number;
  /** Logins per second offered by this worker. */
  rate: number;
  /** Logins in progress allowed; beyond it the schedule falls behind (counted as backlogged). */
  maxInFlight: number;
  /** How a client leaves after `<success/>`: FIN (a normal close) or RST (no TIME_WAIT left behind). */
  close: 'fin' | 'rst';
}

export interface LoginResult {
  offered: number;
  ok: number;
  okInWindow: number;
  failed: number;
  backlogged: number;
  reasons: Record<string, number>;
  latency: HistogramJSON;
  gen: WorkerSnapshot['gen'];
}

async function loginStorm(a: LoginArgs): Promise<LoginResult> {
  const latency = new Histogram();
  const reasons: Record<string, number> = {};
  const r = { offered: 0, ok: 0, okInWindow: 0, failed: 0, backlogged: 0 };
  const endAt = a.startAtUs + a.seconds * 1e6;
  let inFlight = 0;
  let cursor = 0;
  snapshot({ reset: true });
  const startOne = () => {
    let c: Client | undefined;
    for (let tries = 0; tries < a.pool.length; tries++) {
      const cand = clientFor(a.pool[cursor++ % a.pool.length]!);
      if (!cand.connecting && !cand.open) {
        c = cand;
        break;
      }
    }
    if (!c) {
      r.backlogged++;
      return;
    }
    const t0 = nowUs();
    inFlight++;
    open(c, a.close === 'rst').then(
      (o) => {
        inFlight--;
        const now = nowUs();
        latency.record(now - t0);
        r.ok++;
        if (now <= endAt) r.okInWindow++;
        c.open = false;
        c.conn = undefined;
        o.close();
      },
      (err: unknown) => {
        inFlight--;
        r.failed++;
        bump(reasons, reasonOf(err));
      },
    );
  };
  await sleepUntilUs(a.startAtUs);
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = nowUs();
      const due = Math.floor(((Math.min(now, endAt) - a.startAtUs) / 1e6) * a.rate);
      while (r.offered < due) {
        r.offered++;
        if (inFlight >= a.maxInFlight) r.backlogged++;
        else startOne();
      }
      if (now >= endAt) {
        clearInterval(timer);
        resolve();
      }
    }, 2);
  });
  const deadline = Date.now() + init.timeoutMs + 2000;
  while (inFlight > 0 && Date.now() < deadline) await sleep(10);
  return { ...r, reasons, latency: latency.toJSON(), gen: snapshot({ reset: true }).gen };
}

// ---- wiring ----

serveRpc({
  init: (a: WorkerInit) => {
    init = a;
    serverKey = new Uint8Array(Buffer.from(a.serverKey, 'base64'));
    rng = new Rng(0x5eed + a.workerId * 7919);
    idPrefix = `w${a.workerId.toString(36)}.`;
    return { pid: process.pid };
  },
  connect: (a: ConnectArgs) => connectMany(a),
  disconnect: (a: { indices?: number[] }) => disconnect(a),
  status: () => ({ open: openClients().length, closeReasons: { ...closeReasons } }),
  subscribe: (a: { count: number; peers: number }) => subscribe(a),
  traffic: (a: TrafficArgs) => traffic(a),
  snapshot: (a: { reset: boolean }) => snapshot(a),
  fill: (a: FillArgs) => fill(a),
  drainReset: (a: { receipts: boolean }) => drainReset(a),
  drainProgress: () => ({ ...drain }),
  login: (a: LoginArgs) => loginStorm(a),
  exit: () => {
    disconnect({});
    setTimeout(() => process.exit(0), 50);
    return true;
  },
});
process.send?.({ ready: true, pid: process.pid });
