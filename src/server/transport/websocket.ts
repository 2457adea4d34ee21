import type { Server as HttpServer } from 'node:http';
import { type WebSocket, WebSocketServer } from 'ws';
import type { SessionHost } from '../core/host.js';
import type { Transport } from '../core/server.js';
import { AcceptedConnection, type RawSocket } from './accept.js';

/** A WebSocket as a RawSocket (a class for the same reason as TcpSocket in tcp.ts: no closures per connection). */
class WsSocket implements RawSocket {
  constructor(private readonly ws: WebSocket) {}

  write(b: Uint8Array): void {
    this.ws.send(b, { binary: true });
  }

  buffered(): number {
    return this.ws.bufferedAmount;
  }

  end(): void {
    this.ws.close(1000);
  }

  destroy(): void {
    this.ws.terminate();
  }
}

export const WS_PATH = '/ws';

/**
 * WebSocket clients (browsers) on the HTTP port at /ws: binary messages carry the same byte stream as TCP,
 * and frames may span messages either way, so messages are simply fed to the same connection code.
 */
export function webSocketTransport(): Transport {
  let wss: WebSocketServer | undefined;
  return {
    name: 'ws',
    async start(host: SessionHost, http: HttpServer) {
      wss = new WebSocketServer({
        noServer: true,
        maxPayload: host.config.maxFrame + 64,
        perMessageDeflate: false,
      });
      http.on('upgrade', (req, socket, head) => {
        if (new URL(req.url ?? '/', 'http://x').pathname !== WS_PATH) {
          socket.destroy();
          return;
        }
        wss!.handleUpgrade(req, socket, head, (ws) => {
          const c = new AcceptedConnection(
            host,
            new WsSocket(ws),
            'ws',
            req.socket.remoteAddress ?? 'unknown',
          );
          ws.on('message', (data, isBinary) => {
            if (!isBinary) {
              ws.close(1003, 'binary frames only');
              c.socketClosed('text_message');
              return;
            }
            c.receive(data as Buffer);
          });
          ws.on('error', () => c.socketClosed('socket_error'));
          ws.on('close', () => c.socketClosed('closed'));
        });
      });
    },
    async stop() {
      if (!wss) return;
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((r) => wss!.close(() => r()));
    },
    port: () => 0,
  };
}
