import { z } from 'zod';

/**
 * The server's whole configuration, validated in one place. Every field has a default, so `parley server`
 * runs with none; flags, environment (PARLEY_*) and a JSON config file override in that order of weakness.
 */
export const ServerConfigSchema = z.object({
  dataDir: z.string().min(1).default('./parley-data'),
  /** Loopback unless told otherwise: a fresh install should not be reachable from the network. */
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(5222),
  httpPort: z.number().int().min(0).max(65535).default(8080),
  /** Largest frame a client may send; larger declared lengths close the connection. */
  maxFrame: z
    .number()
    .int()
    .min(1024)
    .max(0xffffff)
    .default(1 << 20),
  /** Bytes queued to one connection before it is considered a stalled reader and dropped. */
  sendQueueBytes: z
    .number()
    .int()
    .min(64 * 1024)
    .default(8 << 20),
  handshakeTimeoutMs: z.number().int().min(100).default(10_000),
  offline: z.object({ maxQueue: z.number().int().min(1).default(10_000) }).prefault({}),
  ping: z
    .object({
      /** Ping a device whose line has been quiet this long. */
      idleSeconds: z.number().min(1).default(60),
      /** Drop it if the ping gets no answer within this. */
      timeoutSeconds: z.number().min(1).default(20),
    })
    .prefault({}),
  registration: z
    .object({
      codeTtlSeconds: z.number().int().min(10).default(600),
      codeLength: z.number().int().min(4).max(10).default(6),
      maxGuesses: z.number().int().min(1).default(5),
      /** Minimum wait between two codes for one number. */
      resendSeconds: z.number().int().min(0).default(60),
      perNumberPerHour: z.number().int().min(1).default(6),
      perAddressPerHour: z.number().int().min(1).default(30),
      provider: z
        .discriminatedUnion('kind', [
          z.object({ kind: z.literal('local') }),
          z.object({ kind: z.literal('webhook'), url: z.url(), timeoutMs: z.number().int().default(5000) }),
        ])
        .default({ kind: 'local' }),
    })
    .prefault({}),
  encrypt: z
    .object({
      /** A device is sent a `notification type="encrypt"` when its one-time prekeys drop below this. */
      lowWater: z.number().int().min(0).default(10),
      /** One-time prekeys one upload may carry. */
      maxUpload: z.number().int().min(1).max(1000).default(200),
      /** One-time prekeys a device may have stored. */
      maxPrekeys: z.number().int().min(1).default(1000),
      /** Signed prekeys kept per device (the newest is handed out; older ones cover bundles in flight). */
      keepSignedPrekeys: z.number().int().min(1).max(20).default(3),
      /** Bundles one device may fetch per minute (each one-time prekey is a scarce resource). */
      bundlesPerMinute: z.number().int().min(1).default(300),
    })
    .prefault({}),
  login: z
    .object({
      /** Failed logins allowed per address per minute before refusing with rate_overlimit. */
      failuresPerMinute: z.number().int().min(1).default(20),
    })
    .prefault({}),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type ServerConfig = z.infer<typeof ServerConfigSchema>;
export type ServerConfigInput = z.input<typeof ServerConfigSchema>;

/** Validates a configuration; the error lists every bad field as `path: problem`. */
export function parseConfig(input: unknown): ServerConfig {
  const r = ServerConfigSchema.safeParse(input ?? {});
  if (!r.success) {
    const lines = r.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`);
    throw new Error(`invalid configuration: ${lines.join('; ')}`);
  }
  return r.data;
}
