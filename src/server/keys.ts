import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { x25519 } from '@noble/curves/ed25519.js';

export interface StaticKeyPair {
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

const KEY_FILE = 'server-key.json';

/**
 * The server's long-lived Noise static key: made on first start, kept in the data directory readable only
 * by its owner (0600), and the same on every later start so clients' pinned keys stay valid.
 */
export function loadOrCreateServerKey(dataDir: string): { key: StaticKeyPair; created: boolean } {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, KEY_FILE);
  if (existsSync(path)) {
    const mode = statSync(path).mode & 0o777;
    if (mode & 0o077) chmodSync(path, 0o600);
    const raw = JSON.parse(readFileSync(path, 'utf8')) as { private?: string };
    const priv = Buffer.from(raw.private ?? '', 'base64');
    if (priv.length !== 32) throw new Error(`${path} does not hold a 32-byte private key`);
    return { key: { privateKey: priv, publicKey: x25519.getPublicKey(priv) }, created: false };
  }
  const privateKey = x25519.utils.randomSecretKey();
  const publicKey = x25519.getPublicKey(privateKey);
  const body = JSON.stringify({
    type: 'parley-server-static-x25519',
    public: Buffer.from(publicKey).toString('base64'),
    private: Buffer.from(privateKey).toString('base64'),
  });
  writeFileSync(path, `${body}\n`, { mode: 0o600, flag: 'wx' });
  return { key: { privateKey, publicKey }, created: true };
}

/** A short, human-comparable fingerprint of a public key: SHA-256, first 16 bytes, hex in groups of 4. */
export function keyFingerprint(publicKey: Uint8Array): string {
  const h = createHash('sha256').update(publicKey).digest('hex').slice(0, 32);
  return h.match(/.{4}/g)!.join(' ');
}
