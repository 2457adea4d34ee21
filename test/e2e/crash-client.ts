// Child process for client-crash.test.ts: a client that prints each message id once it is stored (and
// acked), until the parent kills it with SIGKILL.
import { ParleyClient } from '../../src/client/client.js';
import { openSqliteClientStore } from '../../src/client/store-sqlite.js';
import { nodeCrypto } from '../../src/noise/crypto-node.js';

const store = openSqliteClientStore(process.argv[2]!);
const identity = await store.getIdentity();
if (!identity) throw new Error('no identity in the store');
const client = new ParleyClient({ store, identity, crypto: nodeCrypto });
client.on('message', (m) => process.stdout.write(`${m.id}\n`));
await client.start();
