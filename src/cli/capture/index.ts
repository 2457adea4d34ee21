import type { KeyLogEntry } from '../../noise/keylog.js';
import { toXml } from '../../wire/index.js';
import { decodeTcp } from './packet.js';
import { type ParleyEvent, parleyEvents } from './parley-streams.js';
import { readCapture } from './pcap.js';
import { TcpReassembler } from './tcp-streams.js';

export { CaptureError } from './pcap.js';

/** `parley inspect --keylog`: a capture file in, one header line plus the node as XML per event out. */
export function inspectCapture(file: Uint8Array, keys: KeyLogEntry[]): string {
  const packets = readCapture(file);
  const tcp = new TcpReassembler();
  let segments = 0;
  for (const p of packets) {
    const seg = decodeTcp(p.linkType, p.data);
    if (!seg) continue;
    segments++;
    // Snap-length cuts show up as IP lengths beyond the captured bytes (seg.missing), not p.truncated,
    // which is also set when only link-layer trailers were dropped.
    tcp.push(p.t, seg);
  }
  const streams = tcp.finish();
  const events = parleyEvents(streams, keys);
  if (events.length === 0) {
    return `# no Parley connections in the capture (${packets.length} packets, ${segments} TCP segments, ${streams.length} TCP streams)`;
  }
  return events.map(formatEvent).join('\n');
}

export function formatEvent(e: ParleyEvent): string {
  const head = `${formatTime(e.t)} ${e.connection}${e.dir ? ` ${e.dir}` : ''}`;
  if (e.node) return `${head}\n${toXml(e.node, { indent: '  ' })}`;
  return `${head} # ${e.note ?? ''}`;
}

/** ISO 8601 with microseconds, UTC; a timestamp outside Date's range prints as raw nanoseconds. */
export function formatTime(ns: bigint): string {
  const sec = ns / 1_000_000_000n;
  if (ns < 0n || sec > 8_640_000_000_000n) return `t=${ns}ns`;
  const iso = new Date(Number(sec) * 1000).toISOString().slice(0, 19);
  const micros = ((ns % 1_000_000_000n) / 1000n).toString().padStart(6, '0');
  return `${iso}.${micros}Z`;
}
