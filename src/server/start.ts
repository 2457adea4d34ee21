import { join } from 'node:path';
import { parseConfig, type ServerConfigInput } from './core/config.js';
import { createLogger, type Logger } from './core/logger.js';
import type { ParleyModule } from './core/module.js';
import { ParleyServer } from './core/server.js';
import { keyFingerprint, loadOrCreateServerKey } from './keys.js';
import { defaultModules } from './modules/index.js';
import { openStorage } from './storage/index.js';
import { tcpTransport } from './transport/tcp.js';
import { webSocketTransport } from './transport/websocket.js';

export interface StartOptions {
  log?: Logger;
  modules?: ParleyModule[];
}

/** Builds and starts a server from configuration: the composition `parley server` runs. */
export async function startServer(input: ServerConfigInput, opts: StartOptions = {}): Promise<ParleyServer> {
  const config = parseConfig(input);
  const log = opts.log ?? createLogger({ level: config.logLevel });
  const { key, created } = loadOrCreateServerKey(config.dataDir);
  const storage = await openStorage({ kind: 'sqlite', path: join(config.dataDir, 'parley.db') });
  const server = new ParleyServer({
    config,
    storage,
    log,
    staticKey: key,
    modules: opts.modules ?? defaultModules(),
    transports: [tcpTransport(), webSocketTransport()],
  });
  try {
    await server.start();
  } catch (err) {
    await server.stop().catch(() => {});
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE')
      throw new Error(`address in use: ${e.message.replace(/^listen EADDRINUSE: /, '')}`);
    throw err;
  }
  const tcp = server.transportPort('tcp');
  const http = server.httpPort();
  log.info(
    {
      tcp: `${config.host}:${tcp}`,
      http: `http://${config.host}:${http}`,
      ws: `ws://${config.host}:${http}/ws`,
      data: config.dataDir,
    },
    `Parley listening: chat tcp://${config.host}:${tcp}, http://${config.host}:${http} (WebSocket /ws)`,
  );
  log.info({ created }, `server key fingerprint: ${keyFingerprint(key.publicKey)}`);
  return server;
}
