/**
 * Link layer → IP → TCP for the link types a capture of one's own server produces: Ethernet (tcpdump on
 * `lo` gives Ethernet with zero MACs), Linux cooked SLL/SLL2 (`-i any`), raw IP and BSD loopback.
 * Anything else (ARP, UDP, IP fragments, unknown link types) is not TCP to us and yields undefined.
 */

export interface TcpSegment {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  seq: number;
  syn: boolean;
  fin: boolean;
  rst: boolean;
  payload: Uint8Array;
  /** Payload bytes the capture did not keep (snaplen), so the stream has a hole here. */
  missing: number;
}

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const ETH_VLAN = [0x8100, 0x88a8, 0x9100];
const PROTO_TCP = 6;

export function decodeTcp(linkType: number, data: Uint8Array): TcpSegment | undefined {
  const ip = network(linkType, data);
  return ip && ip.length > 0 ? decodeIp(ip) : undefined;
}

/** The network-layer bytes of a frame, or undefined when it carries no IP. */
function network(linkType: number, d: Uint8Array): Uint8Array | undefined {
  const u16 = (o: number) => (o + 2 <= d.length ? (d[o]! << 8) | d[o + 1]! : -1);
  switch (linkType) {
    case LINKTYPE_ETHERNET: {
      let o = 12;
      while (ETH_VLAN.includes(u16(o))) o += 4;
      return ipByEtherType(u16(o), d, o + 2);
    }
    case LINKTYPE_LINUX_SLL:
      return ipByEtherType(u16(14), d, 16);
    case LINKTYPE_LINUX_SLL2:
      return ipByEtherType(u16(0), d, 20);
    case LINKTYPE_RAW:
    case LINKTYPE_IPV4:
    case LINKTYPE_IPV6:
      return d;
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP: {
      if (d.length < 4) return undefined;
      // The address family is in the capturing host's byte order (NULL) or big-endian (LOOP).
      const fam = d[0] === 0 && d[1] === 0 ? (d[2]! << 8) | d[3]! : d[0]! | (d[1]! << 8);
      return fam === 2 || fam === 24 || fam === 28 || fam === 30 ? d.subarray(4) : undefined;
    }
    default:
      return undefined;
  }
}

function ipByEtherType(type: number, d: Uint8Array, at: number): Uint8Array | undefined {
  return (type === ETH_IPV4 || type === ETH_IPV6) && at <= d.length ? d.subarray(at) : undefined;
}

function decodeIp(p: Uint8Array): TcpSegment | undefined {
  const version = p[0]! >> 4;
  if (version === 4) {
    const ihl = (p[0]! & 0x0f) * 4;
    if (ihl < 20 || p.length < ihl) return undefined;
    const total = (p[2]! << 8) | p[3]!;
    const fragment = ((p[6]! & 0x3f) << 8) | p[7]!; // the MF flag and the offset
    if (p[9] !== PROTO_TCP || fragment !== 0 || total < ihl) return undefined;
    // Trim to the IP length: Ethernet pads short frames; a shorter capture means snaplen cut it.
    const missing = Math.max(0, total - p.length);
    const src = Array.from(p.subarray(12, 16)).join('.');
    const dst = Array.from(p.subarray(16, 20)).join('.');
    return decodeTcpHeader(p.subarray(ihl, Math.min(total, p.length)), src, dst, missing);
  }
  if (version === 6 && p.length >= 40) {
    const total = 40 + ((p[4]! << 8) | p[5]!);
    let next = p[6]!;
    let o = 40;
    // Hop-by-hop, routing and destination options are skippable; a fragment header is not.
    while ((next === 0 || next === 43 || next === 60) && o + 8 <= Math.min(total, p.length)) {
      next = p[o]!;
      o += (p[o + 1]! + 1) * 8;
    }
    if (next !== PROTO_TCP || o > Math.min(total, p.length)) return undefined;
    const missing = Math.max(0, total - p.length);
    const end = Math.min(total, p.length);
    return decodeTcpHeader(p.subarray(o, end), ipv6(p.subarray(8, 24)), ipv6(p.subarray(24, 40)), missing);
  }
  return undefined;
}

function decodeTcpHeader(t: Uint8Array, src: string, dst: string, missing: number): TcpSegment | undefined {
  if (t.length < 20) return undefined;
  const off = (t[12]! >> 4) * 4;
  if (off < 20 || off > t.length) return undefined;
  const flags = t[13]!;
  return {
    src,
    dst,
    srcPort: (t[0]! << 8) | t[1]!,
    dstPort: (t[2]! << 8) | t[3]!,
    seq: ((t[4]! << 24) | (t[5]! << 16) | (t[6]! << 8) | t[7]!) >>> 0,
    syn: (flags & 0x02) !== 0,
    fin: (flags & 0x01) !== 0,
    rst: (flags & 0x04) !== 0,
    payload: t.subarray(off),
    missing,
  };
}

/** RFC 5952 text form: lower-case, leading zeros dropped, the longest run of ≥2 zero groups as `::`. */
export function ipv6(b: Uint8Array): string {
  const g = Array.from({ length: 8 }, (_, i) => (b[2 * i]! << 8) | b[2 * i + 1]!);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}
