/**
 * Bulk registration for load runs: accounts and device 0 of N users written straight into the server's
 * SQLite file *before the server starts*, through the server's own schema code (`openSqliteDatabase`
 * runs the migrations), in one transaction. The HTTP registration path (code by SMS, rate limits per
 * number and address) is not meant for 20k numbers a minute, and what is measured is the chat path.
 * Device keys are derived from the run's seed (`deviceKey`), so workers need nothing but the seed.
 */
import { join } from 'node:path';
import { deviceJid, userJid } from '../../src/protocol/jid.js';
import { openSqliteDatabase } from '../../src/server/storage/sqlite/open.js';
import { encodeNode, type Node } from '../../src/wire/index.js';
import { deviceKey, userNumber } from './common.js';

export const DB_FILE = 'parley.db';

export function dbPath(dataDir: string): string {
  return join(dataDir, DB_FILE);
}

/** Writes users 0..n-1 (accounts + device 0 with the derived Noise key). Returns the time it took, ms. */
export function seedUsers(dataDir: string, n: number, seed: string): number {
  const t0 = performance.now();
  const db = openSqliteDatabase({ path: dbPath(dataDir) });
  try {
    const now = Date.now();
    const account = db.prepare('INSERT INTO accounts (user_id, created_at) VALUES (?, ?)');
    const device = db.prepare(
      'INSERT INTO devices (user_id, device, noise_key, registered_at) VALUES (?, 0, ?, ?)',
    );
    db.transaction(() => {
      for (let i = 0; i < n; i++) {
        const user = userNumber(i);
        account.run(user, now);
        device.run(user, deviceKey(seed, i).publicKey, now);
      }
    })();
  } finally {
    db.close();
  }
  return performance.now() - t0;
}

export interface QueueSeed {
  /** Sender user indices (device 0 sends). */
  senders: number[];
  /** Recipient user indices; message k goes to recipients[k % length] from senders[k % senders.length]. */
  recipients: number[];
  total: number;
  /** Body bytes inside `<enc>` (the first 8 are overwritten by the delivery-side clock, unused here). */
  size: number;
}

/**
 * Fills the offline queue directly (drain `--fill seed`): the rows the server itself would have written
 * for `<message>`s accepted while the recipients were offline — the same stamped stanza bytes, ack key
 * and idempotency record as `Delivery.accept` — in one transaction. Returns ms.
 */
export function seedQueue(dataDir: string, q: QueueSeed): number {
  const t0 = performance.now();
  const db = openSqliteDatabase({ path: dbPath(dataDir) });
  try {
    const now = Date.now();
    const t = String(Math.floor(now / 1000));
    const insert = db.prepare(
      `INSERT INTO queue (user_id, device, kind, ack_key, stanza, created_at) VALUES (?, 0, 'message', ?, ?, ?)`,
    );
    const accepted = db.prepare('INSERT INTO accepted (sender, id, t) VALUES (?, ?, ?)');
    const body = new Uint8Array(q.size).map((_, i) => (i * 131 + 7) & 0xff);
    db.transaction(() => {
      for (let k = 0; k < q.total; k++) {
        const from = deviceJid(userNumber(q.senders[k % q.senders.length]!), 0);
        const to = userJid(userNumber(q.recipients[k % q.recipients.length]!));
        const id = `seed.${k.toString(36)}`;
        const stanza: Node = {
          tag: 'message',
          attrs: { id, from, to, type: 'text', t },
          content: [{ tag: 'enc', attrs: { v: '2', type: 'msg' }, content: body }],
        };
        insert.run(
          userNumber(q.recipients[k % q.recipients.length]!),
          `message:${from}:${id}`,
          encodeNode(stanza),
          now,
        );
        accepted.run(from, id, now);
      }
    })();
  } finally {
    db.close();
  }
  return performance.now() - t0;
}
