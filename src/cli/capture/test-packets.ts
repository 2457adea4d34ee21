/**
 * Builders for synthetic captures in tests: TCP over IPv4/IPv6, link-layer wrappers, and pcap/pcapng
 * writers in either byte order. Checksums are left zero; nothing here reads them.
 */

export interface TcpSpec {
  src?: string;
  dst?: string;
  sp?: number;
  dp?: number;
  seq: number;
  syn?: boolean;
  fin?: boolean;
  payload?: Uint8Array | string;
}

function tcpHeader(s: TcpSpec, payload: Uint8Array): Uint8Array {
  const t = new Uint8Array(20 + payload.length);
  const dv = new DataView(t.buffer);
  dv.setUint16(0, s.sp ?? 40312);
  dv.setUint16(2, s.dp ?? 5222);
  dv.setUint32(4, s.seq >>> 0);
  t[12] = 5 << 4;
  t[13] = 0x10 | (s.syn ? 0x02 : 0) | (s.fin ? 0x01 : 0);
  t.set(payload, 20);
  return t;
}

const bytes = (p: Uint8Array | string | undefined) =>
  typeof p === 'string' ? new TextEncoder().encode(p) : (p ?? new Uint8Array(0));

export function ipv4Tcp(s: TcpSpec): Uint8Array {
  const tcp = tcpHeader(s, bytes(s.payload));
  const ip = new Uint8Array(20 + tcp.length);
  const dv = new DataView(ip.buffer);
  ip[0] = 0x45;
  dv.setUint16(2, ip.length);
  ip[6] = 0x40; // DF: not a fragment
  ip[8] = 64;
  ip[9] = 6;
  ip.set((s.src ?? '127.0.0.1').split('.').map(Number), 12);
  ip.set((s.dst ?? '127.0.0.1').split('.').map(Number), 16);
  ip.set(tcp, 20);
  return ip;
}

/** IPv6 from ::1 to ::1, optionally behind a hop-by-hop options header. */
export function ipv6Tcp(s: TcpSpec, hopByHop = false): Uint8Array {
  const tcp = tcpHeader(s, bytes(s.payload));
  const ext = hopByHop ? Uint8Array.of(6, 0, 1, 4, 0, 0, 0, 0) : new Uint8Array(0);
  const ip = new Uint8Array(40 + ext.length + tcp.length);
  ip[0] = 0x60;
  new DataView(ip.buffer).setUint16(4, ext.length + tcp.length);
  ip[6] = hopByHop ? 0 : 6;
  ip[7] = 64;
  ip[23] = 1;
  ip[39] = 1;
  ip.set(ext, 40);
  ip.set(tcp, 40 + ext.length);
  return ip;
}

export const cat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

export const ethernet = (ip: Uint8Array, v6 = false): Uint8Array =>
  cat(new Uint8Array(12), Uint8Array.of(v6 ? 0x86 : 0x08, v6 ? 0xdd : 0x00), ip);
export const sll = (ip: Uint8Array): Uint8Array => cat(new Uint8Array(14), Uint8Array.of(0x08, 0x00), ip);
export const sll2 = (ip: Uint8Array): Uint8Array => cat(Uint8Array.of(0x08, 0, 0, 0), new Uint8Array(16), ip);
export const nullLoop = (ip: Uint8Array): Uint8Array => cat(Uint8Array.of(2, 0, 0, 0), ip);

export interface TestPacket {
  t: bigint;
  data: Uint8Array;
  /** The length on the wire, when the capture kept less. */
  orig?: number;
  iface?: number;
}

export function pcapFile(
  packets: TestPacket[],
  o: { le?: boolean; nano?: boolean; linkType?: number } = {},
): Uint8Array {
  const le = o.le ?? true;
  const head = new DataView(new ArrayBuffer(24));
  head.setUint32(0, o.nano ? 0xa1b23c4d : 0xa1b2c3d4, le);
  head.setUint16(4, 2, le);
  head.setUint16(6, 4, le);
  head.setUint32(16, 262144, le);
  head.setUint32(20, o.linkType ?? 1, le);
  const recs = packets.map((p) => {
    const r = new DataView(new ArrayBuffer(16 + p.data.length));
    const unit = o.nano ? 1n : 1000n;
    r.setUint32(0, Number(p.t / 1_000_000_000n), le);
    r.setUint32(4, Number((p.t % 1_000_000_000n) / unit), le);
    r.setUint32(8, p.data.length, le);
    r.setUint32(12, p.orig ?? p.data.length, le);
    new Uint8Array(r.buffer).set(p.data, 16);
    return new Uint8Array(r.buffer);
  });
  return cat(new Uint8Array(head.buffer), ...recs);
}

function block(type: number, body: Uint8Array, le: boolean): Uint8Array {
  const len = 12 + Math.ceil(body.length / 4) * 4;
  const b = new DataView(new ArrayBuffer(len));
  b.setUint32(0, type, le);
  b.setUint32(4, len, le);
  new Uint8Array(b.buffer).set(body, 8);
  b.setUint32(len - 4, len, le);
  return new Uint8Array(b.buffer);
}

/** pcapng with one interface per entry of `ifaces` (link type, if_tsresol byte or undefined for µs). */
export function pcapngFile(
  packets: TestPacket[],
  o: { le?: boolean; ifaces?: { linkType: number; tsresol?: number }[]; extra?: Uint8Array[] } = {},
): Uint8Array {
  const le = o.le ?? true;
  const shb = new DataView(new ArrayBuffer(16));
  shb.setUint32(0, 0x1a2b3c4d, le);
  shb.setUint16(4, 1, le);
  shb.setBigInt64(8, -1n, le);
  const blocks = [block(0x0a0d0d0a, new Uint8Array(shb.buffer), le)];
  for (const i of o.ifaces ?? [{ linkType: 1 }]) {
    const idb = new DataView(new ArrayBuffer(i.tsresol === undefined ? 12 : 20));
    idb.setUint16(0, i.linkType, le);
    if (i.tsresol !== undefined) {
      idb.setUint16(8, 9, le);
      idb.setUint16(10, 1, le);
      idb.setUint8(12, i.tsresol);
    } // the zero end-of-options marker is already there
    blocks.push(block(1, new Uint8Array(idb.buffer), le));
  }
  blocks.push(...(o.extra ?? []));
  for (const p of packets) {
    const r = (o.ifaces ?? [{ linkType: 1 }])[p.iface ?? 0]?.tsresol;
    const units =
      r === undefined
        ? p.t / 1000n
        : r & 0x80
          ? (p.t << BigInt(r & 0x7f)) / 1_000_000_000n
          : p.t / 10n ** BigInt(9 - r);
    const epb = new DataView(new ArrayBuffer(20 + p.data.length));
    epb.setUint32(0, p.iface ?? 0, le);
    epb.setUint32(4, Number(units >> 32n), le);
    epb.setUint32(8, Number(units & 0xffffffffn), le);
    epb.setUint32(12, p.data.length, le);
    epb.setUint32(16, p.orig ?? p.data.length, le);
    new Uint8Array(epb.buffer).set(p.data, 20);
    blocks.push(block(6, new Uint8Array(epb.buffer), le));
  }
  return cat(...blocks);
}

/** A pcapng block of any type, for skipped-block and simple-packet tests. */
export const pcapngBlock = block;
