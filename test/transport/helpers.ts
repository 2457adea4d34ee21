import { connect, type OpenConnection } from '../../src/client/connect.js';
import { type Dialer, tcpDialer, wsDialer } from '../../src/client/dial.js';
import { nodeCrypto } from '../../src/noise/crypto-node.js';
import type { KeyPair } from '../../src/noise/index.js';
import { defineModule } from '../../src/server/core/module.js';
import { createTestServer, type TestServer } from '../../src/server/testing/harness.js';
import { tcpTransport } from '../../src/server/transport/tcp.js';
import { webSocketTransport } from '../../src/server/transport/websocket.js';
import type { TransportKeys } from '../../src/transport/connection.js';
import type { Node } from '../../src/wire/index.js';

/** A module for transport tests: `<iq xmlns="test:echo">` answers with its own children. */
export const echoModule = defineModule({
  name: 'echo',
  setup(ctx) {
    ctx.router.iq('test:echo', ({ node }) => (Array.isArray(node.content) ? node.content : []));
  },
});

export async function transportServer(config: Record<string, unknown> = {}): Promise<TestServer> {
  return createTestServer({
    modules: [echoModule],
    transports: [tcpTransport(), webSocketTransport()],
    config: { port: 0, httpPort: 0, handshakeTimeoutMs: 2000, ...config },
  });
}

export async function registerKey(ts: TestServer, user: string, device = 0): Promise<KeyPair> {
  const key = nodeCrypto.generateKeyPair();
  await ts.storage.accounts.ensureAccount(user, Date.now());
  await ts.storage.accounts.putDevice({ user, device, noiseKey: key.publicKey, registeredAt: Date.now() });
  return key;
}

export function dialers(ts: TestServer): Record<'tcp' | 'ws', Dialer> {
  return {
    tcp: tcpDialer('127.0.0.1', ts.server.transportPort('tcp'), 5000),
    ws: wsDialer(`ws://127.0.0.1:${ts.server.httpPort()}/ws`, 5000),
  };
}

export interface Client {
  open: OpenConnection;
  nodes: Node[];
  closed: Promise<string>;
  next(pred: (n: Node) => boolean, ms?: number): Promise<Node>;
}

export async function login(
  dial: Dialer,
  user: string,
  key: KeyPair,
  extra: {
    serverKey?: Uint8Array;
    device?: number;
    forceXX?: boolean;
    onKeys?: (k: TransportKeys) => void;
  } = {},
): Promise<Client> {
  const nodes: Node[] = [];
  const waiters: { pred: (n: Node) => boolean; res: (n: Node) => void }[] = [];
  let closeRes!: (r: string) => void;
  const closed = new Promise<string>((r) => {
    closeRes = r;
  });
  const open = await connect({
    dial,
    crypto: nodeCrypto,
    staticKey: key,
    serverKey: extra.serverKey,
    forceXX: extra.forceXX ?? false,
    ...(extra.onKeys ? { onKeys: extra.onKeys } : {}),
    login: { user, device: extra.device ?? 0, version: 'test', passive: false },
    onNode: (n) => {
      nodes.push(n);
      const i = waiters.findIndex((w) => w.pred(n));
      if (i >= 0) waiters.splice(i, 1)[0]!.res(n);
    },
    onClose: (r) => closeRes(r),
  });
  return {
    open,
    nodes,
    closed,
    next(pred, ms = 3000) {
      const have = nodes.find(pred);
      if (have) return Promise.resolve(have);
      return new Promise((res, rej) => {
        const t = setTimeout(() => rej(new Error('timed out waiting for a node')), ms);
        waiters.push({
          pred,
          res: (n) => {
            clearTimeout(t);
            res(n);
          },
        });
      });
    },
  };
}
