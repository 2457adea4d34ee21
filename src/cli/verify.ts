import type { Command } from 'commander';
import { ParleyClient } from '../client/client.js';
import { nodeCrypto } from '../noise/crypto-node.js';
import { ParleyError } from '../protocol/errors.js';
import { normalizeNumber } from '../protocol/jid.js';
import { CliError } from './errors.js';
import { startClient } from './messaging.js';
import { loadIdentity, profileDir } from './profile.js';

/**
 * `parley verify +number`: the safety number shared with a contact (60 digits, the same on both
 * phones: compare them in person or over a call), and whether the contact is marked verified. Works
 * offline for a contact we have talked to; otherwise fetches their key from the server first.
 */
export function registerVerify(program: Command): void {
  program
    .command('verify <number>')
    .description(
      'show the safety number with a contact; compare it with theirs to rule out a man in the middle',
    )
    .option('--mark-verified', 'after comparing: mark the contact verified (until their key changes)')
    .option('--unverify', 'mark the contact not verified')
    .action(async (num: string, flags: { markVerified?: boolean; unverify?: boolean }) => {
      const user = normalizeNumber(num);
      if (!user)
        throw new CliError(`"${num}" is not a phone number in international form, e.g. +15550001111`);
      const dir = profileDir(program.opts().profile);
      const { store, identity } = await loadIdentity(dir);
      if (user === identity.user) {
        await store.close();
        throw new CliError('that is this profile’s own number');
      }
      let client: ParleyClient;
      if ((await store.e2e.identities(user)).length > 0) {
        client = new ParleyClient({ store, identity, crypto: nodeCrypto });
      } else {
        // Never talked: the contact's key comes from the server (trusted on first use, like a first message).
        await store.close();
        client = await startClient(dir);
      }
      try {
        let sn = await client.e2e.safetyNumber(user);
        if (flags.markVerified || flags.unverify) {
          await client.e2e.markVerified(user, !!flags.markVerified);
          sn = { ...sn, ...(await client.e2e.identityStatus(user)) };
        }
        const groups = sn.digits.match(/.{5}/g)!;
        const rows = [0, 4, 8].map((i) => `  ${groups.slice(i, i + 4).join(' ')}`);
        const out = [
          `safety number with +${user}:`,
          '',
          ...rows,
          '',
          `+${user} is ${sn.verified ? 'verified' : 'not verified'}`,
        ];
        if (sn.changed)
          out.push(`⚠ +${user}'s security code changed: compare the numbers again before trusting it`);
        if (!sn.verified)
          out.push(
            `compare with the number on +${user}'s screen, then: parley verify +${user} --mark-verified`,
          );
        process.stdout.write(`${out.join('\n')}\n`);
      } catch (err) {
        if (err instanceof ParleyError) throw new CliError(`${err.code}: ${err.detail ?? err.message}`);
        throw err;
      } finally {
        await client.close();
      }
    });
}
