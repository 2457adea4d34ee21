import type { TcpSegment } from './packet.js';

/**
 * TCP reassembly per 4-tuple and direction: bytes in sequence order, retransmitted and overlapping bytes
 * dropped, early (out-of-order) segments held until the hole before them fills. The hold is bounded, and
 * a hole that never fills (the capture lost packets) ends the stream there with `gap` saying so: every
 * later byte would be useless anyway, since Noise nonces make each frame depend on all before it.
 */

export interface TcpChunk {
  /** The timestamp of the packet that carried these bytes (ns since the epoch). */
  t: bigint;
  data: Uint8Array;
}

export interface TcpStream {
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
  /** The capture saw the SYN, so the first chunk is the connection's first byte. */
  fromStart: boolean;
  firstT: bigint;
  chunks: TcpChunk[];
  bytes: number;
  gap?: string;
}

export interface ReassemblyLimits {
  /** Bytes held out of order per direction before the hole is declared lost. */
  maxPendingBytes?: number;
  maxPendingSegments?: number;
}

interface Pending {
  seq: number;
  t: bigint;
  data: Uint8Array;
}

interface State {
  stream: TcpStream;
  isn: number | undefined;
  /** The next expected sequence number, mod 2^32. */
  next: number;
  pending: Pending[];
  pendingBytes: number;
}

export class TcpReassembler {
  private readonly live = new Map<string, State>();
  private readonly all: State[] = [];
  private readonly maxBytes: number;
  private readonly maxSegments: number;

  constructor(limits: ReassemblyLimits = {}) {
    this.maxBytes = limits.maxPendingBytes ?? 16 << 20;
    this.maxSegments = limits.maxPendingSegments ?? 4096;
  }

  push(t: bigint, seg: TcpSegment): void {
    const key = `${seg.src}|${seg.srcPort}|${seg.dst}|${seg.dstPort}`;
    let s = this.live.get(key);
    // A SYN with a new ISN on a known 4-tuple is a new connection reusing the ports.
    if (seg.syn && s && s.isn !== seg.seq) s = undefined;
    if (!s) {
      s = {
        stream: {
          src: seg.src,
          srcPort: seg.srcPort,
          dst: seg.dst,
          dstPort: seg.dstPort,
          fromStart: seg.syn,
          firstT: t,
          chunks: [],
          bytes: 0,
        },
        isn: seg.syn ? seg.seq : undefined,
        next: seg.syn ? (seg.seq + 1) >>> 0 : seg.seq,
        pending: [],
        pendingBytes: 0,
      };
      this.live.set(key, s);
      this.all.push(s);
    }
    if (s.stream.gap !== undefined) return;
    const seq = seg.syn ? (seg.seq + 1) >>> 0 : seg.seq;
    if (seg.payload.length > 0) this.accept(s, seq, t, seg.payload);
    if (seg.missing > 0 && s.stream.gap === undefined) {
      s.stream.gap = `the capture kept only part of a segment (${seg.missing} bytes cut by the snap length)`;
    }
  }

  /** Every stream seen, in order of its first packet; holes still open are reported as gaps. */
  finish(): TcpStream[] {
    for (const s of this.all) {
      if (s.pending.length > 0 && s.stream.gap === undefined) {
        s.stream.gap = `bytes missing from the capture after stream offset ${s.stream.bytes}`;
      }
      s.pending = [];
    }
    return this.all.map((s) => s.stream);
  }

  private accept(s: State, seq: number, t: bigint, data: Uint8Array): void {
    // Signed distance from the expected sequence number, correct across 2^32 wrap-around.
    const diff = (seq - s.next) | 0;
    if (diff > 0) {
      if (s.pending.length >= this.maxSegments || s.pendingBytes + data.length > this.maxBytes) {
        s.stream.gap = `bytes missing from the capture after stream offset ${s.stream.bytes}`;
        s.pending = [];
        return;
      }
      s.pending.push({ seq, t, data });
      s.pendingBytes += data.length;
      return;
    }
    this.deliver(s, t, data, -diff);
    for (let i = this.readyIndex(s); i >= 0; i = this.readyIndex(s)) {
      const p = s.pending.splice(i, 1)[0]!;
      s.pendingBytes -= p.data.length;
      this.deliver(s, p.t, p.data, -((p.seq - s.next) | 0));
    }
  }

  /** Appends `data` minus the first `skip` bytes (already delivered); a pure retransmission adds nothing. */
  private deliver(s: State, t: bigint, data: Uint8Array, skip: number): void {
    if (skip >= data.length) return;
    const fresh = data.subarray(skip);
    s.stream.chunks.push({ t, data: fresh });
    s.stream.bytes += fresh.length;
    s.next = (s.next + fresh.length) >>> 0;
  }

  private readyIndex(s: State): number {
    return s.pending.findIndex((p) => ((p.seq - s.next) | 0) <= 0);
  }
}

/** `addr:port`, with an IPv6 address in brackets. */
export function endpoint(addr: string, port: number): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}
