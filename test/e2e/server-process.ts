import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ParleyClient } from '../../src/client/client.js';
import { register, requestCode } from '../../src/client/registration.js';
import type { Identity } from '../../src/client/store.js';
import { openSqliteClientStore } from '../../src/client/store-sqlite.js';
import { nodeCrypto } from '../../src/noise/crypto-node.js';
import { PARLEY_BIN } from '../helpers/cli.js';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** A real `parley server` child process with its own data directory; survives kill() + start(). */
export class ServerProcess {
  readonly dataDir = mkdtempSync(join(tmpdir(), 'parley-e2e-'));
  log = '';
  /** Extra environment for the server process (e.g. PARLEY_KEYLOG). */
  env: NodeJS.ProcessEnv = {};
  private child: ChildProcess | undefined;
  constructor(
    readonly port: number,
    readonly httpPort: number,
  ) {}

  static async create(): Promise<ServerProcess> {
    return new ServerProcess(await freePort(), await freePort());
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  chatUrl(kind: 'tcp' | 'ws'): string {
    return kind === 'tcp' ? `tcp://127.0.0.1:${this.port}` : `ws://127.0.0.1:${this.httpPort}/ws`;
  }

  async start(): Promise<void> {
    const args = [
      PARLEY_BIN,
      'server',
      '--data',
      this.dataDir,
      '--port',
      String(this.port),
      '--http-port',
      String(this.httpPort),
    ];
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...this.env },
    });
    this.child = child;
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      this.log += d;
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      this.log += d;
    });
    const deadline = Date.now() + 15_000;
    while (!this.log.includes('Parley listening')) {
      if (child.exitCode !== null) throw new Error(`server exited: ${this.log}`);
      if (Date.now() > deadline) throw new Error(`server did not start: ${this.log}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** SIGKILL: no shutdown code runs, as in a crash or power cut of the process. */
  async kill(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await exited;
  }

  /** The code the local verification provider logged for a number. */
  async codeFor(number: string): Promise<string> {
    const re = new RegExp(`verification code for \\+${number}: ([0-9]+)`, 'g');
    const deadline = Date.now() + 5000;
    for (;;) {
      const all = [...this.log.matchAll(re)];
      if (all.length > 0) return all[all.length - 1]![1]!;
      if (Date.now() > deadline) throw new Error(`no code for ${number} in the log`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /**
   * Registers a fresh device for `number` through the real HTTP API and returns its identity. With
   * `storePath`, completes the registration as `parley register` does: the identity goes into a client
   * store there, and the device logs in once to upload its end-to-end keys, so others can message it.
   */
  async registerUser(number: string, kind: 'tcp' | 'ws' = 'tcp', storePath?: string): Promise<Identity> {
    const identity = await this.registerDevice(number, kind);
    if (storePath) {
      const store = openSqliteClientStore(storePath);
      await store.setIdentity(identity);
      const client = new ParleyClient({ store, identity, crypto: nodeCrypto });
      try {
        await client.start();
        await client.keysUploaded();
      } finally {
        await client.close();
      }
    }
    return identity;
  }

  /** Registration over HTTP only: the device's identity, nothing uploaded yet. */
  async registerDevice(number: string, kind: 'tcp' | 'ws' = 'tcp'): Promise<Identity> {
    const key = nodeCrypto.generateKeyPair();
    this.log = this.log.replace(new RegExp(`verification code for \\+${number}`, 'g'), 'used code');
    await requestCode(this.httpUrl, number, key.publicKey);
    const r = await register(this.httpUrl, number, key.publicKey, await this.codeFor(number));
    return {
      user: r.login,
      device: r.device,
      noisePrivate: key.privateKey,
      noisePublic: key.publicKey,
      serverKey: new Uint8Array(Buffer.from(r.server_key, 'base64')),
      httpUrl: this.httpUrl,
      chatUrl: this.chatUrl(kind),
    };
  }
}
