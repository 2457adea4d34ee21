import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClientStore, Identity } from '../client/store.js';
import { openSqliteClientStore } from '../client/store-sqlite.js';
import { nodeCrypto } from '../noise/crypto-node.js';
import type { KeyPair } from '../noise/index.js';
import { CliError } from './errors.js';

/**
 * A profile directory is one device: its keys and local store (client.db). Between asking for a code and
 * entering it, the fresh device key waits in pending.json (0600), so `register --code` completes the same
 * registration later.
 */
export interface PendingRegistration {
  number: string;
  httpUrl: string;
  publicKey: string;
  privateKey: string;
}

export function profileDir(dir: string | undefined): string {
  const d = dir ?? process.env.PARLEY_PROFILE;
  if (!d) throw new CliError('no profile: pass --profile <dir> (one directory per device)');
  mkdirSync(d, { recursive: true, mode: 0o700 });
  return d;
}

export function openProfileStore(dir: string): ClientStore {
  return openSqliteClientStore(join(dir, 'client.db'));
}

export async function loadIdentity(dir: string): Promise<{ store: ClientStore; identity: Identity }> {
  if (!existsSync(join(dir, 'client.db')))
    throw new CliError(
      `profile ${dir} is not registered: run \`parley --profile ${dir} register +<number>\``,
    );
  const store = openProfileStore(dir);
  const identity = await store.getIdentity();
  if (!identity) {
    await store.close();
    throw new CliError(
      `profile ${dir} is not registered: run \`parley --profile ${dir} register +<number>\``,
    );
  }
  return { store, identity };
}

const PENDING = 'pending.json';

export function readPending(dir: string): PendingRegistration | undefined {
  const p = join(dir, PENDING);
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as PendingRegistration) : undefined;
}

export function writePending(
  dir: string,
  number: string,
  httpUrl: string,
  key: KeyPair,
): PendingRegistration {
  const p: PendingRegistration = {
    number,
    httpUrl,
    publicKey: Buffer.from(key.publicKey).toString('base64'),
    privateKey: Buffer.from(key.privateKey).toString('base64'),
  };
  writeFileSync(join(dir, PENDING), JSON.stringify(p), { mode: 0o600 });
  return p;
}

export function clearPending(dir: string): void {
  rmSync(join(dir, PENDING), { force: true });
}

export function pendingKey(p: PendingRegistration): KeyPair {
  return {
    publicKey: new Uint8Array(Buffer.from(p.publicKey, 'base64')),
    privateKey: new Uint8Array(Buffer.from(p.privateKey, 'base64')),
  };
}

export function newDeviceKey(): KeyPair {
  return nodeCrypto.generateKeyPair();
}
