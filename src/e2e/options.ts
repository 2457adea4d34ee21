import type { E2ECrypto } from './crypto.js';
import { nobleCrypto } from './crypto-noble.js';
import { DEFAULT_LIMITS, type RatchetLimits } from './state.js';

export interface SessionOptions {
  crypto?: E2ECrypto;
  limits?: Partial<RatchetLimits>;
  /** Clock for setup timestamps and staleness (ms since the epoch). */
  now?: () => number;
}

export interface ResolvedOptions {
  crypto: E2ECrypto;
  limits: RatchetLimits;
  now: () => number;
}

export function resolveOptions(o: SessionOptions | undefined): ResolvedOptions {
  return {
    crypto: o?.crypto ?? nobleCrypto,
    limits: { ...DEFAULT_LIMITS, ...o?.limits },
    now: o?.now ?? Date.now,
  };
}
