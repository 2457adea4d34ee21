import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { ServerConfigInput } from '../server/core/config.js';
import { CliError } from './errors.js';

interface ServerFlags {
  data?: string;
  host?: string;
  port?: string;
  httpPort?: string;
  config?: string;
  logLevel?: string;
}

/**
 * Configuration precedence, weakest first: defaults, the JSON config file, PARLEY_* environment, flags —
 * the usual order, so a flag typed now always wins over a file written long ago.
 */
export function resolveServerConfig(flags: ServerFlags, env: NodeJS.ProcessEnv): ServerConfigInput {
  let file: Record<string, unknown> = {};
  const path = flags.config ?? env.PARLEY_CONFIG;
  if (path) {
    try {
      file = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new CliError(`cannot read config file ${path}: ${(err as Error).message}`);
    }
  }
  const out: Record<string, unknown> = { ...file };
  const set = (key: string, value: string | undefined, num = false) => {
    if (value === undefined) return;
    if (num) {
      if (!/^[0-9]+$/.test(value)) throw new CliError(`${key} must be a number, got "${value}"`);
      out[key] = Number(value);
    } else out[key] = value;
  };
  set('dataDir', env.PARLEY_DATA);
  set('host', env.PARLEY_HOST);
  set('port', env.PARLEY_PORT, true);
  set('httpPort', env.PARLEY_HTTP_PORT, true);
  set('logLevel', env.PARLEY_LOG_LEVEL);
  set('dataDir', flags.data);
  set('host', flags.host);
  set('port', flags.port, true);
  set('httpPort', flags.httpPort, true);
  set('logLevel', flags.logLevel);
  return out as ServerConfigInput;
}

export function registerServer(program: Command): void {
  program
    .command('server')
    .description('run the Parley server (embedded SQLite in the data directory)')
    .option('--data <dir>', 'data directory (default ./parley-data)')
    .option('--host <addr>', 'address to bind (default 127.0.0.1)')
    .option('--port <n>', 'client TCP port (default 5222)')
    .option('--http-port <n>', 'HTTP port: registration, media, WebSocket clients (default 8080)')
    .option('--config <file>', 'JSON config file (see docs/operations.md)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent')
    .action(async (flags: ServerFlags) => {
      const { startServer } = await import('../server/start.js');
      let server: Awaited<ReturnType<typeof startServer>>;
      try {
        server = await startServer(resolveServerConfig(flags, process.env));
      } catch (err) {
        if (err instanceof CliError) throw err;
        throw new CliError((err as Error).message);
      }
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void server.stop().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
