import { ipv6Tcp, pcapFile, sll2, type TestPacket } from '../../src/cli/capture/test-packets.js';
import { nodeCrypto } from '../../src/noise/crypto-node.js';
import { ClientConnection } from '../../src/transport/client-connection.js';
import type { TransportKeys } from '../../src/transport/connection.js';
import { ServerConnection } from '../../src/transport/server-connection.js';
import { node } from '../../src/wire/index.js';

export type Dir = 'c→s' | 's→c';

export interface Conversation {
  writes: { dir: Dir; bytes: Uint8Array }[];
  keys: TransportKeys;
  clientTransportFrames: number;
}

/**
 * A real Noise conversation between an in-memory client and server (no sockets): login, then one echo
 * iq per text. Returns every write in the order it happened, and the transport keys.
 */
export function converse(pattern: 'XX' | 'IK', texts: string[]): Conversation {
  const serverKey = nodeCrypto.generateKeyPair();
  const writes: Conversation['writes'] = [];
  const queue: { to: 'c' | 's'; bytes: Uint8Array }[] = [];
  let keys: TransportKeys | undefined;
  const server: ServerConnection = new ServerConnection({
    crypto: nodeCrypto,
    staticKey: serverKey,
    write: (bytes) => {
      writes.push({ dir: 's→c', bytes });
      queue.push({ to: 'c', bytes });
    },
    onKeys: (k) => {
      keys = k;
    },
    onLogin: () => server.sendNode(node('success', { t: '1', server: 's.us' })),
    onNode: (n) => server.sendNode(node('iq', { id: n.attrs.id ?? '', type: 'result' }, n.content as [])),
  });
  const client = new ClientConnection({
    crypto: nodeCrypto,
    staticKey: nodeCrypto.generateKeyPair(),
    serverKey: pattern === 'IK' ? serverKey.publicKey : undefined,
    login: { user: '15550001111', device: 0, version: 'test', passive: false },
    write: (bytes) => {
      writes.push({ dir: 'c→s', bytes });
      queue.push({ to: 's', bytes });
    },
    onNode: () => {},
  });
  // Deliver through a queue rather than re-entrantly, as sockets would.
  const pump = () => {
    for (let m = queue.shift(); m; m = queue.shift()) (m.to === 'c' ? client : server).receive(m.bytes);
  };
  client.start();
  pump();
  texts.forEach((text, i) => {
    client.sendNode(node('iq', { id: `m${i}`, type: 'get', xmlns: 'test:echo' }, [node('note', {}, text)]));
    pump();
  });
  if (!keys) throw new Error('handshake did not complete');
  return { writes, keys, clientTransportFrames: texts.length };
}

export interface PacketizeOptions {
  /** Split each write into segments of this many bytes (0: one segment per write). */
  chop: number;
  /** Swap every third data segment with the next one, and retransmit every fifth. */
  reorder?: boolean;
  /** Leave out data segment `i` of direction `dir` (counted per direction), as a lossy capture would. */
  drop?: (i: number, dir: Dir) => boolean;
}

const BASE = 1_795_356_185_000_000_000n;

/** The conversations as TCP over IPv6 in a Linux cooked (SLL2) pcap, interleaved packet by packet. */
export function packetize(convs: Conversation[], o: PacketizeOptions): Uint8Array {
  const perConn = convs.map((c, ci) => {
    const sp = 40000 + ci;
    const ends = { 'c→s': { sp, dp: 5222 }, 's→c': { sp: 5222, dp: sp } };
    const seq = { 'c→s': 0xfffffff0 - ci * 1000, 's→c': 777 + ci };
    const out: Uint8Array[] = [
      ipv6Tcp({ ...ends['c→s'], seq: seq['c→s'], syn: true }),
      ipv6Tcp({ ...ends['s→c'], seq: seq['s→c'], syn: true }),
    ];
    const next = { 'c→s': seq['c→s'] + 1, 's→c': seq['s→c'] + 1 };
    const count = { 'c→s': 0, 's→c': 0 };
    const data: Uint8Array[] = [];
    for (const w of c.writes) {
      const size = o.chop || w.bytes.length;
      for (let i = 0; i < w.bytes.length; i += size) {
        const payload = w.bytes.subarray(i, i + size);
        const pkt = ipv6Tcp({ ...ends[w.dir], seq: next[w.dir] >>> 0, payload });
        next[w.dir] += payload.length;
        if (!o.drop?.(count[w.dir]++, w.dir)) data.push(pkt);
        if (o.reorder && data.length % 5 === 0) data.push(pkt);
      }
    }
    if (o.reorder) {
      for (let i = 0; i + 1 < data.length; i += 3) [data[i], data[i + 1]] = [data[i + 1]!, data[i]!];
    }
    return [...out, ...data];
  });
  const packets: TestPacket[] = [];
  for (let k = 0; perConn.some((p) => k < p.length); k++) {
    for (const p of perConn) {
      const ip = p[k];
      if (ip) packets.push({ t: BASE + BigInt(packets.length) * 1_000_123n, data: sll2(ip) });
    }
  }
  return pcapFile(packets, { linkType: 276 });
}

export interface OutputEvent {
  time: string;
  ms: number;
  connection: string;
  dir: Dir | undefined;
  /** The note after `#`, or the node's XML lines. */
  body: string;
}

const HEADER = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z) (\S+ → \S+)(?: (c→s|s→c))?(?: # (.*))?$/;

export function parseOutput(stdout: string): OutputEvent[] {
  const out: OutputEvent[] = [];
  for (const line of stdout.split('\n')) {
    const m = HEADER.exec(line);
    if (m) {
      out.push({
        time: m[1]!,
        ms: Date.parse(m[1]!),
        connection: m[2]!,
        dir: m[3] as Dir | undefined,
        body: m[4] ?? '',
      });
    } else if (out.length > 0 && line !== '') {
      const last = out[out.length - 1]!;
      last.body = last.body ? `${last.body}\n${line}` : line;
    } else if (line !== '') throw new Error(`unexpected output line: ${line}`);
  }
  return out;
}
