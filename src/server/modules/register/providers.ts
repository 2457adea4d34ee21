import { ParleyError } from '../../../protocol/errors.js';
import type { ServerConfig } from '../../core/config.js';
import type { Logger } from '../../core/logger.js';

/** One verification code to deliver. `number` is E.164 digits without the `+`. */
export interface CodeDelivery {
  number: string;
  code: string;
  method: 'sms' | 'voice';
  /** The user's language (ISO 639), `en` when the client gave none. */
  lg: string;
}

/** Sends codes to phones. Throws (any error) when it could not; the client is told `unavailable`. */
export interface CodeProvider {
  readonly name: string;
  send(delivery: CodeDelivery): Promise<void>;
}

export type ProviderConfig = ServerConfig['registration']['provider'];

/**
 * Writes the code to the server's log at info level: for development and self-hosters without an SMS
 * gateway. This line is the one place a code ever appears; it is the message string, which pino's
 * redaction (by key) leaves alone.
 */
export function localProvider(log: Logger): CodeProvider {
  return {
    name: 'local',
    async send(d) {
      log.info({ method: d.method }, `verification code for +${d.number}: ${d.code}`);
    },
  };
}

/**
 * POSTs `{"number":"+<digits>","code","method","lg"}` as JSON to an SMS/voice gateway. Anything but a 2xx
 * answer within `timeoutMs` is a failure.
 */
export function webhookProvider(opts: { url: string; timeoutMs: number }): CodeProvider {
  return {
    name: 'webhook',
    async send(d) {
      const res = await fetch(opts.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ number: `+${d.number}`, code: d.code, method: d.method, lg: d.lg }),
        redirect: 'error',
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
      await res.body?.cancel();
      if (!res.ok) throw new ParleyError('unavailable', `code webhook answered ${res.status}`);
    },
  };
}

/** Keeps what it was asked to send, for tests and tools that read codes back. */
export interface MemoryProvider extends CodeProvider {
  readonly sent: CodeDelivery[];
  /** The last code sent to this number. */
  lastCode(number: string): string | undefined;
}

export function memoryProvider(): MemoryProvider {
  const sent: CodeDelivery[] = [];
  return {
    name: 'memory',
    sent,
    async send(d) {
      sent.push(d);
    },
    lastCode(number) {
      return sent.findLast((d) => d.number === number)?.code;
    },
  };
}

type Factories = {
  [K in ProviderConfig['kind']]: (cfg: Extract<ProviderConfig, { kind: K }>, log: Logger) => CodeProvider;
};

/** The providers `registration.provider.kind` can name. */
const FACTORIES: Factories = {
  local: (_cfg, log) => localProvider(log),
  webhook: (cfg) => webhookProvider(cfg),
};

export function createProvider(cfg: ProviderConfig, log: Logger): CodeProvider {
  return (FACTORIES[cfg.kind] as (c: ProviderConfig, l: Logger) => CodeProvider)(cfg, log);
}
