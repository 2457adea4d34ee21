/**
 * E2E benchmark: Parley's Signal implementation (src/e2e) against the official libsignal 0.72.1 (Rust
 * via N-API, the interop oracle; a devDependency) in the same process. Both run through their public
 * async session APIs with in-memory stores, so both pay their store round trips. Parley runs twice: with
 * the default pure @noble provider (what browsers get) and with nodeCrypto (OpenSSL for the curve
 * operations, what a Node client uses). Rounds interleave the implementations so machine noise falls on
 * all of them.
 *
 *   established  encrypt + decrypt of a 100-byte message on an established session, same direction
 *                (symmetric ratchet only: HMAC, HKDF, AES-CBC, the MAC)
 *   ratchet turn encrypt + decrypt where every message answers the previous one (a DH ratchet step per
 *                message: one key generation and two X25519 on the receiving side)
 *   setup        processPreKeyBundle (XEdDSA verify, X3DH, first ratchet step) + encrypt of the first
 *                message + the peer's decrypt of that PreKeySignalMessage; bundle creation is not timed
 */
import { nodeCrypto } from '../src/e2e/crypto-node.js';
import type { ProtocolAddress } from '../src/e2e/index.js';
import { LsParty, ParleyParty, type Party } from '../test/fixtures/e2e/libsignal-oracle.js';
import type { BenchReport, Table } from './codec.js';

export interface E2EBenchOptions {
  /** Approximate wall-clock budget of the timed rounds, in seconds. */
  seconds?: number;
  log?: (line: string) => void;
}

export const DEFAULT_E2E_SECONDS = 20;
const WARMUP_ROUNDS = 1;
const TIMED_ROUNDS = 5;
const GOAL = 3;

interface Impl {
  name: string;
  make(name: string, device: number): Party;
}

const IMPLS: Impl[] = [
  { name: 'libsignal 0.72.1', make: (n, d) => new LsParty(n, d, { serializeSessions: false }) },
  { name: 'parley (noble)', make: (n, d) => new ParleyParty(n, d) },
  { name: 'parley (node crypto)', make: (n, d) => new ParleyParty(n, d, { crypto: nodeCrypto }) },
];

const PAYLOAD = new Uint8Array(100).fill(0x61);

interface Workload {
  name: string;
  /** Builds the per-implementation state; returns the timed operation and an optional untimed prepare. */
  init(impl: Impl): Promise<{ prepare?: () => Promise<void>; op: () => Promise<void> }>;
}

async function pair(impl: Impl): Promise<[Party, Party]> {
  const a = impl.make('alice', 1);
  const b = impl.make('bob', 1);
  await a.processBundle(b.address, await b.bundle());
  await b.decrypt(a.address, await a.encrypt(b.address, PAYLOAD));
  await a.decrypt(b.address, await b.encrypt(a.address, PAYLOAD));
  return [a, b];
}

const WORKLOADS: Workload[] = [
  {
    name: 'established (100 B enc+dec)',
    async init(impl) {
      const [a, b] = await pair(impl);
      return { op: async () => void (await b.decrypt(a.address, await a.encrypt(b.address, PAYLOAD))) };
    },
  },
  {
    name: 'ratchet turn (100 B enc+dec)',
    async init(impl) {
      const [a, b] = await pair(impl);
      let flip = false;
      return {
        async op() {
          flip = !flip;
          const [from, to] = flip ? [a, b] : [b, a];
          await to.decrypt(from.address, await from.encrypt(to.address, PAYLOAD));
        },
      };
    },
  },
  {
    name: 'session setup',
    async init(impl) {
      const alice = impl.make('alice', 1);
      const bob = impl.make('bob', 1);
      let device = 0;
      let bundle: Awaited<ReturnType<Party['bundle']>> | undefined;
      return {
        async prepare() {
          bundle = await bob.bundle();
          device++;
        },
        async op() {
          // A fresh device address each time, so no record accumulates archived sessions.
          const bobDevice: ProtocolAddress = { name: 'bob', deviceId: device };
          const aliceDevice: ProtocolAddress = { name: 'alice', deviceId: device };
          await alice.processBundle(bobDevice, bundle!);
          await bob.decrypt(aliceDevice, await alice.encrypt(bobDevice, PAYLOAD));
        },
      };
    },
  },
];

/** Runs `op` until `budgetMs` of timed work has accumulated; returns operations per second. */
async function measure(
  w: { prepare?: () => Promise<void>; op: () => Promise<void> },
  budgetMs: number,
): Promise<number> {
  let timed = 0;
  let ops = 0;
  while (timed < budgetMs || ops < 3) {
    if (w.prepare) await w.prepare();
    const t0 = performance.now();
    await w.op();
    timed += performance.now() - t0;
    ops++;
  }
  return (ops * 1000) / timed;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export async function benchE2E(options: E2EBenchOptions = {}): Promise<BenchReport> {
  const seconds = options.seconds ?? DEFAULT_E2E_SECONDS;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const rounds = WARMUP_ROUNDS + TIMED_ROUNDS;
  const slotMs = (seconds * 1000) / (TIMED_ROUNDS * IMPLS.length * WORKLOADS.length);
  log(
    `e2e: ${rounds} rounds (${WARMUP_ROUNDS} warm-up) of ~${slotMs.toFixed(0)} ms per implementation and workload`,
  );

  const samples = new Map<string, number[]>(); // `${workload}|${impl}` → ops/s per timed round
  for (const w of WORKLOADS) {
    const states = [];
    for (const impl of IMPLS) states.push(await w.init(impl));
    for (let r = 0; r < rounds; r++) {
      for (const [i, impl] of IMPLS.entries()) {
        const rate = await measure(states[i]!, slotMs);
        if (r >= WARMUP_ROUNDS) {
          const k = `${w.name}|${impl.name}`;
          samples.set(k, [...(samples.get(k) ?? []), rate]);
        }
      }
    }
    log(`e2e: ${w.name} done`);
  }

  const [ls, ...parleys] = IMPLS;
  const columns = ['workload', `${ls!.name} ops/s`];
  for (const p of parleys) columns.push(`${p.name} ops/s`, `${p.name} ×slower`);
  const rows: string[][] = [];
  const data: Record<string, unknown> = {};
  const notes: string[] = [];
  const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
  for (const w of WORKLOADS) {
    const base = median(samples.get(`${w.name}|${ls!.name}`)!);
    const row = [w.name, fmt(base)];
    const entry: Record<string, unknown> = {
      [ls!.name]: { opsPerSecond: base, samples: samples.get(`${w.name}|${ls!.name}`) },
    };
    for (const p of parleys) {
      const s = samples.get(`${w.name}|${p.name}`)!;
      const rate = median(s);
      const slower = base / rate;
      row.push(fmt(rate), `${slower.toFixed(2)}×`);
      entry[p.name] = { opsPerSecond: rate, samples: s, slowerThanLibsignal: slower };
      if (slower > GOAL)
        notes.push(`${w.name}: ${p.name} is ${slower.toFixed(1)}× slower than libsignal (goal ≤ ${GOAL}×)`);
    }
    rows.push(row);
    data[w.name] = entry;
  }
  const table: Table = {
    title: `E2E: median of ${TIMED_ROUNDS} rounds, ops/s (higher is better); ×slower = libsignal ops/s ÷ Parley ops/s`,
    columns,
    rows,
  };
  notes.unshift(`goal: every Parley figure within ${GOAL}× of libsignal 0.72.1 measured in the same run`);
  return { name: 'e2e', tables: [table], notes, data };
}
