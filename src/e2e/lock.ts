import { addressKey, type ProtocolAddress } from './store.js';

/**
 * Encrypt and decrypt for one peer are load-modify-store operations on one session record; two of them
 * interleaving would reuse a message key or lose a ratchet step (libsignal's Java SessionCipher is
 * documented as not thread-safe for this reason). Every session operation therefore runs under a lock
 * per (session store, address), which also serialises calls from different SessionCipher objects.
 */

const locks = new WeakMap<object, Map<string, Promise<unknown>>>();

/** Runs `fn` after every earlier operation on the same (session store, address) has settled. */
export function withAddressLock<T>(
  store: object,
  address: ProtocolAddress,
  fn: () => Promise<T>,
): Promise<T> {
  let perStore = locks.get(store);
  if (perStore === undefined) {
    perStore = new Map();
    locks.set(store, perStore);
  }
  const key = addressKey(address);
  const run = (perStore.get(key) ?? Promise.resolve()).then(fn);
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  perStore.set(key, tail);
  void tail.then(() => {
    if (perStore.get(key) === tail) perStore.delete(key);
  });
  return run;
}
