import pino from 'pino';

export type Logger = pino.Logger;

/**
 * Structured logs with the error under `err`. Keys that could carry secrets are redacted wherever they
 * appear, so a careless log call cannot leak a verification code or key material.
 */
export function createLogger(options: { level?: string; destination?: pino.DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.PARLEY_LOG_LEVEL ?? 'info',
      redact: {
        paths: [
          'code',
          '*.code_plain',
          'token',
          '*.token',
          'secret',
          '*.secret',
          'privateKey',
          '*.privateKey',
        ],
        censor: '[redacted]',
      },
      base: undefined,
    },
    options.destination,
  );
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
