import { describe } from 'node:test';
import { accountCases, verificationCases } from './contract/accounts.js';
import type { ContractOptions, OpenStorage } from './contract/helpers.js';
import { prekeyCases } from './contract/prekeys.js';
import { presenceCases } from './contract/presence.js';
import { queueAcceptCases } from './contract/queue-accept.js';
import { queueReadCases } from './contract/queue-read.js';
import { reopenCases } from './contract/reopen.js';

export type { ContractOptions, OpenStorage, StorageLocation } from './contract/helpers.js';

/**
 * The behaviour every storage backend must show, as a node:test suite. A backend's test file calls it
 * once per configuration:
 *
 *   runStorageContract('sqlite file', (where) => where === 'fresh' ? openNew() : openLastAgain());
 *
 * `open('fresh')` must return an empty database no other test sees; `open('same')` must reopen the
 * database the latest `open('fresh')` returned, after the suite closed it (restart durability).
 * Backends that cannot reopen pass `{ reopen: false }` and those cases are skipped. Every case closes
 * what it opened. Cases run one after another, never in parallel, so 'same' is unambiguous.
 */
export function runStorageContract(name: string, open: OpenStorage, options: ContractOptions = {}): void {
  const ctx = { open, reopen: options.reopen ?? true };
  describe(`storage contract: ${name}`, () => {
    accountCases(ctx);
    verificationCases(ctx);
    queueAcceptCases(ctx);
    queueReadCases(ctx);
    presenceCases(ctx);
    prekeyCases(ctx);
    reopenCases(ctx);
  });
}
