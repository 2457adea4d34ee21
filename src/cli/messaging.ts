import type { Command } from 'commander';
import { ParleyClient } from '../client/client.js';
import { LoginError } from '../client/connect.js';
import type { StoredMessage } from '../client/store.js';
import { nodeCrypto } from '../noise/crypto-node.js';
import { ParleyError } from '../protocol/errors.js';
import { normalizeNumber } from '../protocol/jid.js';
import { CliError } from './errors.js';
import { loadIdentity, profileDir } from './profile.js';

/** Logs the profile's device in (passive: a one-shot command should not show the user online). */
export async function startClient(
  dirOpt: string | undefined,
  passive = true,
  /** Attaches listeners before login: stanzas can arrive in the same read as `<success/>`. */
  before?: (client: ParleyClient) => void,
): Promise<ParleyClient> {
  const { store, identity } = await loadIdentity(profileDir(dirOpt));
  const client = new ParleyClient({
    store,
    identity,
    crypto: nodeCrypto,
    passive,
    version: 'parley-cli/0.1',
  });
  before?.(client);
  let lastReason = '';
  client.on('offline', ({ reason }) => {
    lastReason = reason;
  });
  const timeout = setTimeout(() => void client.close(), 15_000);
  try {
    await client.start();
  } catch (err) {
    throw new CliError(err instanceof LoginError ? `login refused: ${err.reason}` : (err as Error).message);
  } finally {
    clearTimeout(timeout);
  }
  if (client.state !== 'online')
    throw new CliError(`cannot connect to ${identity.chatUrl}${lastReason ? `: ${lastReason}` : ''}`);
  return client;
}

export function registerMessaging(program: Command): void {
  program
    .command('send <number> <text>')
    .description('send a text message; prints its id once the server has stored it')
    .action(async (num: string, text: string) => {
      const to = normalizeNumber(num);
      if (!to) throw new CliError(`"${num}" is not a phone number in international form`);
      const client = await startClient(program.opts().profile);
      try {
        const { id } = await client.sendText(to, text);
        process.stdout.write(`${id}\n`);
        await client.flush(5000);
      } catch (err) {
        throw new CliError(
          err instanceof ParleyError ? `${err.code}: ${err.message}` : (err as Error).message,
        );
      } finally {
        await client.close();
      }
    });

  program
    .command('sync')
    .description('receive pending messages and receipts, print them, exit after the offline count')
    .option('--json', 'one JSON object per line')
    .action(async (flags: { json?: boolean }) => {
      const print = (o: Record<string, unknown>, human: string) =>
        process.stdout.write(flags.json ? `${JSON.stringify(o)}\n` : `${human}\n`);
      const receipts: Record<string, unknown>[] = [];
      const client = await startClient(program.opts().profile, true, (c) =>
        c.on('receipt', (r) => receipts.push({ type: 'receipt', ...r })),
      );
      try {
        const count = await client.waitSynced(20_000).catch(() => {
          throw new CliError('the server did not finish the offline sync in 20 s');
        });
        await client.flush(5000);
        for (const m of await client.store.takeUnshown()) print({ type: 'message', ...m }, formatMessage(m));
        for (const r of receipts) print(r, `✓ ${String(r.status)} ${String(r.id)} by +${String(r.from)}`);
        print({ type: 'synced', count }, `— ${count} offline stanza(s) delivered`);
      } finally {
        await client.close();
      }
    });
}

export function formatMessage(m: StoredMessage): string {
  const when = new Date(m.t * 1000).toISOString().replace('T', ' ').slice(0, 19);
  return `[${when}] +${m.sender}: ${m.text}`;
}
