import { appendFileSync } from 'node:fs';
import { formatKeyLogLine } from '../../noise/index.js';
import type { TransportKeys } from '../../transport/connection.js';

/**
 * With PARLEY_KEYLOG=<file> set, each connection's transport keys are appended there (format in
 * src/noise/keylog.ts) so its owner can decrypt a capture with `parley inspect --keylog`. Never otherwise.
 */
export function keyLogWriter(env: NodeJS.ProcessEnv = process.env): ((k: TransportKeys) => void) | undefined {
  const path = env.PARLEY_KEYLOG;
  if (!path) return undefined;
  return (k) => appendFileSync(path, formatKeyLogLine(k), { mode: 0o600 });
}
