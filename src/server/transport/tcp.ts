import { createServer, type Server, type Socket } from 'node:net';
import type { SessionHost } from '../core/host.js';
import type { Transport } from '../core/server.js';
import { AcceptedConnection, type RawSocket } from './accept.js';

/**
 * A TCP socket as a RawSocket. A class, not an object of arrow functions: per connection, each named
 * closure costs a function, its context and (through tsx's keep-names helper) a 256-byte property
 * dictionary, ~2 KiB per connection in all (docs/benchmarks.md, idle).
 */
class TcpSocket implements RawSocket {
  private corked = false;

  constructor(private readonly socket: Socket) {}

  // Frames written in one run of callbacks (an ack and a receipt, a backlog page) leave in one writev,
  // not one syscall and one TCP segment each.
  write(b: Uint8Array): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(uncork, this);
    }
    this.socket.write(b);
  }

  uncork(): void {
    this.corked = false;
    this.socket.uncork();
  }

  buffered(): number {
    return this.socket.writableLength;
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

function uncork(s: TcpSocket): void {
  s.uncork();
}

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
        const c = new AcceptedConnection(
          host,
          new TcpSocket(socket),
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
