/**
 * Reads classic pcap and pcapng capture files into packets. Hand-written and bounded: every length is
 * checked against the file before it is used, so a damaged file ends in a CaptureError naming the offset
 * rather than an out-of-range read or a huge allocation (packets are views into the file, never copies).
 */

export class CaptureError extends Error {
  override readonly name = 'CaptureError';
}

export interface CapturedPacket {
  /** Nanoseconds since the Unix epoch. */
  t: bigint;
  linkType: number;
  data: Uint8Array;
  /** The packet was longer on the wire than what the capture kept (snaplen). */
  truncated: boolean;
}

const PCAP_MICRO = 0xa1b2c3d4;
const PCAP_NANO = 0xa1b23c4d;
const SHB = 0x0a0d0d0a;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const IDB = 1;
const SPB = 3;
const EPB = 6;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

export function readCapture(file: Uint8Array): CapturedPacket[] {
  if (file.length < 4) throw new CaptureError('not a capture file: shorter than 4 bytes');
  const dv = view(file);
  const magic = dv.getUint32(0, false);
  if (magic === SHB) return readPcapng(file);
  for (const le of [false, true]) {
    const m = dv.getUint32(0, le);
    if (m === PCAP_MICRO || m === PCAP_NANO) return readPcap(file, le, m === PCAP_NANO);
  }
  throw new CaptureError(
    `not a pcap or pcapng file (magic ${magic.toString(16).padStart(8, '0')} at offset 0)`,
  );
}

function readPcap(file: Uint8Array, le: boolean, nano: boolean): CapturedPacket[] {
  if (file.length < 24) throw new CaptureError('pcap: file header truncated at offset 0 (need 24 bytes)');
  const dv = view(file);
  // The top bits of the link-type field carry FCS information, not the type.
  const linkType = dv.getUint32(20, le) & 0xffff;
  const out: CapturedPacket[] = [];
  let off = 24;
  while (off < file.length) {
    if (file.length - off < 16) {
      throw new CaptureError(`pcap: record header truncated at offset ${off} (file cut short?)`);
    }
    const sec = BigInt(dv.getUint32(off, le));
    const frac = BigInt(dv.getUint32(off + 4, le));
    const incl = dv.getUint32(off + 8, le);
    const orig = dv.getUint32(off + 12, le);
    if (incl > file.length - off - 16) {
      throw new CaptureError(
        `pcap: record at offset ${off} claims ${incl} bytes but only ${file.length - off - 16} remain (file cut short?)`,
      );
    }
    const t = sec * 1_000_000_000n + (nano ? frac : frac * 1000n);
    out.push({ t, linkType, data: file.subarray(off + 16, off + 16 + incl), truncated: incl < orig });
    off += 16 + incl;
  }
  return out;
}

interface Iface {
  linkType: number;
  /** Timestamp units to nanoseconds: ns = units * mul / div (if_tsresol may be a power of 2). */
  mul: bigint;
  div: bigint;
  offsetNs: bigint;
}

function readPcapng(file: Uint8Array): CapturedPacket[] {
  const dv = view(file);
  const out: CapturedPacket[] = [];
  let le = true;
  let ifaces: Iface[] = [];
  let lastT = 0n;
  let off = 0;
  while (off < file.length) {
    if (file.length - off < 12) throw new CaptureError(`pcapng: block header truncated at offset ${off}`);
    const type = dv.getUint32(off, le);
    if (type === SHB) {
      // Each section declares its own byte order; read it before trusting the block length.
      if (file.length - off < 28) throw new CaptureError(`pcapng: section header truncated at offset ${off}`);
      const bom = dv.getUint32(off + 8, true);
      if (bom === BYTE_ORDER_MAGIC) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else throw new CaptureError(`pcapng: bad byte-order magic in the section header at offset ${off}`);
      ifaces = [];
    }
    const len = dv.getUint32(off + 4, le);
    if (len < 12 || len % 4 !== 0 || len > file.length - off) {
      throw new CaptureError(
        `pcapng: block at offset ${off} has length ${len} (${file.length - off} bytes remain; file cut short?)`,
      );
    }
    if (dv.getUint32(off + len - 4, le) !== len) {
      throw new CaptureError(`pcapng: block at offset ${off}: trailing length does not match ${len}`);
    }
    const body = file.subarray(off + 8, off + len - 4);
    const b = view(body);
    const at = (what: string) => `pcapng: ${what} in the block at offset ${off}`;
    if (type === IDB) {
      if (body.length < 8) throw new CaptureError(at('interface description too short'));
      ifaces.push(readIdb(body, le, off));
    } else if (type === EPB) {
      if (body.length < 20) throw new CaptureError(at('enhanced packet block too short'));
      const iface = ifaces[b.getUint32(0, le)];
      if (!iface) throw new CaptureError(at(`packet for undeclared interface ${b.getUint32(0, le)}`));
      const units = (BigInt(b.getUint32(4, le)) << 32n) | BigInt(b.getUint32(8, le));
      const cap = b.getUint32(12, le);
      const orig = b.getUint32(16, le);
      if (cap > body.length - 20) throw new CaptureError(at(`captured length ${cap} beyond the block`));
      lastT = (units * iface.mul) / iface.div + iface.offsetNs;
      out.push({
        t: lastT,
        linkType: iface.linkType,
        data: body.subarray(20, 20 + cap),
        truncated: cap < orig,
      });
    } else if (type === SPB) {
      if (body.length < 4) throw new CaptureError(at('simple packet block too short'));
      const iface = ifaces[0];
      if (!iface) throw new CaptureError(at('simple packet before any interface'));
      const orig = b.getUint32(0, le);
      const cap = Math.min(orig, body.length - 4);
      // A simple packet has no timestamp; the previous packet's keeps the timeline monotonic.
      out.push({
        t: lastT,
        linkType: iface.linkType,
        data: body.subarray(4, 4 + cap),
        truncated: cap < orig,
      });
    }
    off += len;
  }
  return out;
}

function readIdb(body: Uint8Array, le: boolean, blockOff: number): Iface {
  const b = view(body);
  const iface: Iface = { linkType: b.getUint16(0, le), mul: 1000n, div: 1n, offsetNs: 0n };
  let p = 8;
  while (p + 4 <= body.length) {
    const code = b.getUint16(p, le);
    const olen = b.getUint16(p + 2, le);
    if (code === 0) break;
    if (olen > body.length - p - 4) {
      throw new CaptureError(`pcapng: option ${code} overruns the interface block at offset ${blockOff}`);
    }
    if (code === OPT_IF_TSRESOL && olen >= 1) {
      const v = body[p + 4]!;
      const exp = BigInt(v & 0x7f);
      if (v & 0x80) {
        if (exp > 63n) throw new CaptureError(`pcapng: if_tsresol 2^-${exp} at offset ${blockOff}`);
        iface.mul = 1_000_000_000n;
        iface.div = 1n << exp;
      } else {
        if (exp > 18n) throw new CaptureError(`pcapng: if_tsresol 10^-${exp} at offset ${blockOff}`);
        iface.mul = exp <= 9n ? 10n ** (9n - exp) : 1n;
        iface.div = exp <= 9n ? 1n : 10n ** (exp - 9n);
      }
    } else if (code === OPT_IF_TSOFFSET && olen >= 8) {
      iface.offsetNs = b.getBigInt64(p + 4, le) * 1_000_000_000n;
    }
    p += 4 + olen + ((4 - (olen % 4)) % 4);
  }
  return iface;
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}
