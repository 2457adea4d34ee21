import { createServer, type Server, type Socket } from 'node:net';
import type { SessionHost } from '../core/host.js';
import type { Transport } from '../core/server.js';
import { AcceptedConnection } from './accept.js';

/** Client TCP: the byte stream of docs/protocol.md §3 on `config.port`. */
export function tcpTransport(): Transport {
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  return {
    name: 'tcp',
    async start(host: SessionHost) {
      server = createServer((socket) => {
        sockets.add(socket);
        socket.setNoDelay(true);
        // Frames written in one run of callbacks (an ack and a receipt, a backlog page) leave in one
        // writev, not one syscall and one TCP segment each.
        let corked = false;
        const uncork = () => {
          corked = false;
          socket.uncork();
        };
        const c = new AcceptedConnection(
          host,
          {
            write: (b) => {
              if (!corked) {
                corked = true;
                socket.cork();
                process.nextTick(uncork);
              }
              socket.write(b);
            },
            buffered: () => socket.writableLength,
            end: () => socket.end(),
            destroy: () => socket.destroy(),
          },
          'tcp',
          socket.remoteAddress ?? 'unknown',
        );
        socket.on('data', (d) => c.receive(d));
        socket.on('error', () => c.socketClosed('socket_error'));
        socket.on('close', () => {
          sockets.delete(socket);
          c.socketClosed('closed');
        });
      });
      server.maxConnections = 1_000_000;
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(host.config.port, host.config.host, () => resolve());
      });
    },
    async stop() {
      for (const s of sockets) s.destroy();
      if (server) await new Promise<void>((r) => server!.close(() => r()));
    },
    port() {
      const a = server?.address();
      return a && typeof a === 'object' ? a.port : 0;
    },
  };
}
