import { openSqliteStorage } from './sqlite/open.js';
import type { Storage } from './types.js';

export type * from './types.js';

/** Which backend to open, from the server config. PostgreSQL joins this union later. */
export type StorageConfig = { kind: 'sqlite'; path: string };

export async function openStorage(config: StorageConfig): Promise<Storage> {
  switch (config.kind) {
    case 'sqlite':
      return openSqliteStorage({ path: config.path });
    default:
      // Config arrives as JSON: a typo must fail here, not as `undefined` storage later.
      throw new Error(`unknown storage kind ${JSON.stringify((config as { kind: unknown }).kind)}`);
  }
}
