/** Time as the server sees it; tests may pass their own to make expiry deterministic. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Stanza timestamps (`t`) are Unix seconds, as in the seed protocol. */
export function unixSeconds(ms: number): string {
  return String(Math.floor(ms / 1000));
}
