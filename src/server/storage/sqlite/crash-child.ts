/**
 * Helper process for the crash-safety test in sqlite.test.ts (not a test itself): accepts messages for
 * one device as fast as it can (several at once) and prints each id's number once its accept has resolved, i.e. once the
 * caller would have acked the sender. The parent SIGKILLs it mid-stream and checks that the reopened
 * database holds every printed entry.
 *
 *   node --import tsx crash-child.ts <database path>
 */
import { openSqliteStorage } from './open.js';

const path = process.argv[2];
if (!path) throw new Error('usage: crash-child.ts <database path>');
const storage = await openSqliteStorage({ path });

// Eight accepts in flight at a time, as a loaded server has: they share group commits, and each number is
// printed only once its own accept resolved.
const accept = async (i: number) => {
  const res = await storage.queue.accept({
    sender: 'crash.0',
    id: `c${i}`,
    kind: 'message',
    key: `message:crash.0:c${i}`,
    recipients: [{ user: '15550000002', device: 1 }],
    stanzas: [Uint8Array.of(0xf8, i & 0xff, (i >> 8) & 0xff)],
    now: i,
    maxQueue: Number.MAX_SAFE_INTEGER,
  });
  if (res.status !== 'stored') throw new Error(`accept ${i}: ${res.status}`);
  // Synchronous on a pipe (Linux), so a printed line always means a resolved accept.
  process.stdout.write(`${i}\n`);
};
for (let i = 0; ; i += 8) {
  await Promise.all(Array.from({ length: 8 }, (_, k) => accept(i + k)));
}
