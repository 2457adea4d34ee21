import { connect as netConnect } from 'node:net';
import WebSocket from 'ws';

/** A byte pipe to the server, whatever carries it. Node-only; a browser supplies its own WebSocket dialer. */
export interface ClientSocket {
  write(bytes: Uint8Array): void;
  close(): void;
}

export interface SocketHandlers {
  onData(bytes: Uint8Array): void;
  onClose(reason: string): void;
}

export type Dialer = (h: SocketHandlers) => Promise<ClientSocket>;

/** `tcp://host:port` or `ws://host:port/ws`. */
export function dialerFor(url: string, timeoutMs = 10_000): Dialer {
  const u = new URL(url);
  if (u.protocol === 'tcp:') return tcpDialer(u.hostname, Number(u.port || 5222), timeoutMs);
  if (u.protocol === 'ws:' || u.protocol === 'wss:') return wsDialer(url, timeoutMs);
  throw new Error(`unsupported server address ${url} (use tcp://host:port or ws://host:port/ws)`);
}

export function tcpDialer(host: string, port: number, timeoutMs: number): Dialer {
  return (h) =>
    new Promise((resolve, reject) => {
      const s = netConnect({ host, port });
      s.setNoDelay(true);
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`connect to ${host}:${port} timed out`));
      }, timeoutMs);
      let open = false;
      s.once('connect', () => {
        clearTimeout(timer);
        open = true;
        resolve({ write: (b) => s.write(b), close: () => s.destroy() });
      });
      s.on('data', (d) => h.onData(d));
      s.on('error', (err) => {
        clearTimeout(timer);
        if (!open) reject(err);
      });
      s.on('close', () => open && h.onClose('socket closed'));
    });
}

export function wsDialer(url: string, timeoutMs: number): Dialer {
  return (h) =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
      let open = false;
      ws.binaryType = 'nodebuffer';
      ws.once('open', () => {
        open = true;
        resolve({ write: (b) => ws.send(b, { binary: true }), close: () => ws.terminate() });
      });
      ws.on('message', (d) => h.onData(d as Buffer));
      ws.on('error', (err) => {
        if (!open) reject(err);
      });
      ws.on('close', () => open && h.onClose('socket closed'));
    });
}
