/**
 * One load run's processes: a fresh data directory with bulk-seeded users, the server as its own process
 * (bench/load/server.ts → startServer), and the generator as several worker processes (worker.ts), each
 * with an IPC channel. Pinning (anchors-style: server on the last CPU, everything else on the others)
 * goes through `taskset`; a soft RLIMIT_NOFILE below the hard one is raised through `prlimit`.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { ServerConfigInput } from '../../src/server/core/config.js';
import type { RpcResponse, ServerStats } from './common.js';
import { cpuMark, fdCount, fileLimits, rssKiB } from './proc.js';
import { dbPath, seedUsers } from './seed.js';
import type { WorkerInit } from './worker.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
const HERE = fileURLToPath(new URL('./', import.meta.url));

export interface ClusterOptions {
  /** Users seeded (indices 0..users-1). */
  users: number;
  workers: number;
  seed: string;
  wsShare: number;
  /** How many 127.0.0.x source addresses (from 127.0.0.2). */
  addrs: number;
  /** 'auto': server on the last CPU, generator on the rest (when there are ≥ 2); 'none': no pinning. */
  pin: 'auto' | 'none';
  /** Parent directory of the run's data directory (default: the OS temp dir, i.e. a real disk here). */
  dataParent: string | undefined;
  keep: boolean;
  server: Partial<ServerConfigInput>;
  /** Write a V8 CPU profile of the server into this directory. */
  serverProf: string | undefined;
  forceXX: boolean;
  timeoutMs: number;
  log(line: string): void;
}

class Rpc {
  private next = 1;
  private readonly waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  exited: string | undefined;

  constructor(
    readonly child: ChildProcess,
    readonly name: string,
  ) {
    child.on('message', (m: unknown) => {
      const r = m as RpcResponse;
      if (typeof r?.rpc !== 'number') return;
      const w = this.waiting.get(r.rpc);
      if (!w) return;
      this.waiting.delete(r.rpc);
      if (r.ok) w.resolve(r.value);
      else w.reject(new Error(`${name}: ${r.error}`));
    });
    child.on('exit', (code, signal) => {
      this.exited = `${name} exited (${signal ?? code})`;
      for (const w of this.waiting.values()) w.reject(new Error(this.exited));
      this.waiting.clear();
    });
  }

  call<T>(cmd: string, args: unknown = {}): Promise<T> {
    if (this.exited) return Promise.reject(new Error(this.exited));
    const rpc = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(rpc, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ rpc, cmd, args });
    });
  }
}

interface Ready {
  ready: true;
  pid: number;
  port?: number;
  httpPort?: number;
  publicKey?: string;
}

function waitReady(child: ChildProcess, name: string, output: () => string, ms = 60_000): Promise<Ready> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} not ready after ${ms} ms:\n${output()}`)), ms);
    const onMsg = (m: unknown) => {
      if ((m as Ready)?.ready) {
        clearTimeout(timer);
        child.off('message', onMsg);
        resolve(m as Ready);
      }
    };
    child.on('message', onMsg);
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${sig ?? code}) before it was ready:\n${output()}`));
    });
  });
}

function have(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface Pinning {
  server: string | undefined;
  load: string | undefined;
}

export function pinning(pin: 'auto' | 'none'): Pinning {
  const n = cpus().length;
  if (pin === 'none' || n < 2 || !have('taskset')) return { server: undefined, load: undefined };
  return { server: String(n - 1), load: n === 2 ? '0' : `0-${n - 2}` };
}

/** Starts `node --import tsx <script>` pinned and with the open-file limit raised where possible. */
function spawnNode(script: string, args: string[], cpusList: string | undefined, nodeFlags: string[] = []) {
  let cmd = process.execPath;
  let argv = [...nodeFlags, '--import', 'tsx', join(HERE, script), ...args];
  if (cpusList) {
    argv = ['-c', cpusList, cmd, ...argv];
    cmd = 'taskset';
  }
  const { soft, hard } = fileLimits();
  if (soft < hard && Number.isFinite(hard) && have('prlimit')) {
    argv = [`--nofile=${hard}:${hard}`, cmd, ...argv];
    cmd = 'prlimit';
  }
  const child = spawn(cmd, argv, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let tail = '';
  const keep = (d: Buffer) => {
    tail = (tail + d.toString('utf8')).slice(-8000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { child, output: () => tail };
}

export interface WorkerHandle {
  id: number;
  pid: number;
  rpc: Rpc;
  output(): string;
}

/** A live run: server + workers. Always `close()` it (also on failure). */
export class Cluster {
  dataDir = '';
  serverPid = 0;
  port = 0;
  httpPort = 0;
  serverKey = '';
  serverOutput: () => string = () => '';
  baseRssKiB = 0;
  seedMs = 0;
  readonly pins: Pinning;
  private server: Rpc | undefined;
  workers: WorkerHandle[] = [];
  private db: Database.Database | undefined;

  constructor(readonly o: ClusterOptions) {
    this.pins = pinning(o.pin);
  }

  /** Seeds the users, starts the server and the workers. `beforeServer` may write more into the database. */
  async start(beforeServer?: (dataDir: string) => void): Promise<void> {
    const o = this.o;
    if (this.pins.load) {
      try {
        execFileSync('taskset', ['-a', '-p', '-c', this.pins.load, String(process.pid)], { stdio: 'ignore' });
      } catch {}
    }
    const parent = o.dataParent ?? tmpdir();
    mkdirSync(parent, { recursive: true });
    this.dataDir = mkdtempSync(join(parent, 'parley-load-'));
    this.seedMs = seedUsers(this.dataDir, o.users, o.seed);
    o.log(`seeded ${o.users} users into ${dbPath(this.dataDir)} in ${(this.seedMs / 1000).toFixed(1)} s`);
    beforeServer?.(this.dataDir);

    const config: ServerConfigInput = {
      dataDir: this.dataDir,
      host: '127.0.0.1',
      port: 0,
      httpPort: 0,
      logLevel: 'warn',
      ...o.server,
    };
    const flags = o.serverProf ? ['--cpu-prof', `--cpu-prof-dir=${o.serverProf}`] : [];
    if (o.serverProf) mkdirSync(o.serverProf, { recursive: true });
    const srv = spawnNode('server.ts', [JSON.stringify(config)], this.pins.server, flags);
    this.serverOutput = srv.output;
    const ready = await waitReady(srv.child, 'server', srv.output);
    this.server = new Rpc(srv.child, 'server');
    this.serverPid = ready.pid;
    this.port = ready.port!;
    this.httpPort = ready.httpPort!;
    this.serverKey = ready.publicKey!;
    this.baseRssKiB = rssKiB(this.serverPid);
    o.log(
      `server pid ${this.serverPid} on tcp ${this.port} / http ${this.httpPort}` +
        (this.pins.server
          ? ` (CPU ${this.pins.server}; generator on CPU ${this.pins.load})`
          : ' (not pinned)'),
    );

    const addrs = Array.from({ length: o.addrs }, (_, i) => `127.0.0.${2 + i}`);
    const starting = Array.from({ length: o.workers }, async (_, id) => {
      const w = spawnNode('worker.ts', [], this.pins.load);
      const r = await waitReady(w.child, `worker ${id}`, w.output);
      const rpc = new Rpc(w.child, `worker ${id}`);
      const init: WorkerInit = {
        workerId: id,
        seed: o.seed,
        host: '127.0.0.1',
        port: this.port,
        wsUrl: `ws://127.0.0.1:${this.httpPort}/ws`,
        serverKey: this.serverKey,
        sourceAddrs: addrs,
        wsShare: o.wsShare,
        forceXX: o.forceXX,
        timeoutMs: o.timeoutMs,
      };
      await rpc.call('init', init);
      return { id, pid: r.pid, rpc, output: w.output };
    });
    this.workers = await Promise.all(starting);
  }

  /** The same command on every worker, with per-worker arguments. */
  all<T>(cmd: string, args: (w: WorkerHandle) => unknown): Promise<T[]> {
    return Promise.all(this.workers.map((w) => w.rpc.call<T>(cmd, args(w))));
  }

  /** Splits user indices over the workers (index i → worker i mod W). */
  split(indices: number[]): number[][] {
    const out: number[][] = this.workers.map(() => []);
    for (const i of indices) out[i % out.length]!.push(i);
    return out;
  }

  serverStats(): Promise<ServerStats> {
    return this.server!.call<ServerStats>('stats');
  }

  heapSnapshot(file: string): Promise<string> {
    return this.server!.call<string>('heapSnapshot', { file });
  }

  serverCpu() {
    return cpuMark(this.serverPid);
  }

  /** CPU of all workers together, for telling a saturated generator from a saturated server. */
  generatorCpu() {
    const marks = this.workers.map((w) => cpuMark(w.pid));
    return { at: marks[0]?.at ?? performance.now(), cpu: marks.reduce((s, m) => s + m.cpu, 0) };
  }

  serverRssKiB(): number {
    return rssKiB(this.serverPid);
  }

  serverFds(): number {
    return fdCount(this.serverPid);
  }

  serverAlive(): boolean {
    return existsSync(`/proc/${this.serverPid}`) && !this.server?.exited;
  }

  /** Entries in the server's offline queue (read from its SQLite file; WAL lets a reader in). */
  queued(): number {
    this.db ??= new Database(dbPath(this.dataDir), { fileMustExist: true });
    const row = this.db.prepare('SELECT count(*) AS n FROM queue').get() as { n: number };
    return row.n;
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = undefined;
    await Promise.all(
      this.workers.map(async (w) => {
        if (w.rpc.exited) return;
        const gone = new Promise((r) => w.rpc.child.once('exit', r));
        await w.rpc.call('exit').catch(() => {});
        await Promise.race([gone, idleWait(3000)]);
        if (!w.rpc.exited) w.rpc.child.kill('SIGKILL');
      }),
    );
    if (this.server && !this.server.exited) {
      const gone = new Promise((r) => this.server!.child.once('exit', r));
      this.server.child.kill('SIGTERM');
      await Promise.race([gone, idleWait(15_000)]);
      if (!this.server.exited) this.server.child.kill('SIGKILL');
    }
    if (!this.o.keep && this.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A wait that does not keep the process alive once everything else is done. */
const idleWait = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
