import { inflateSync } from 'node:zlib';
import { CipherState } from '../../noise/cipher-state.js';
import { nodeCrypto } from '../../noise/crypto-node.js';
import type { KeyLogEntry } from '../../noise/keylog.js';
import { XX_MSG1_LENGTH } from '../../transport/handshake.js';
import {
  decodeNode,
  FLAG_COMPRESSED,
  FRAME_LENGTH_LIMIT,
  FrameReader,
  type Node,
  STREAM_HEADER,
} from '../../wire/index.js';
import { endpoint, type TcpStream } from './tcp-streams.js';

/**
 * Parley connections in reassembled TCP streams, decrypted with a key log: the client→server stream
 * starts with the stream header; both directions are cut into frames; the handshake frames (XX: 2 from
 * the client, IK: 1; always 1 from the server) are skipped; the transport frames are decrypted with the
 * key log entry whose key opens the first of them, nonces counting from 0 per direction.
 */

export type Direction = 'c→s' | 's→c';

/** A decrypted node, or a one-line note (`dir` absent when it is about the whole connection). */
export interface ParleyEvent {
  t: bigint;
  connection: string;
  dir?: Direction;
  node?: Node;
  note?: string;
}

interface Frame {
  t: bigint;
  data: Uint8Array;
}

interface Cut {
  frames: Frame[];
  notes: ParleyEvent[];
}

export function parleyEvents(streams: TcpStream[], keys: KeyLogEntry[]): ParleyEvent[] {
  const byTuple = new Map<string, TcpStream[]>();
  for (const s of streams) {
    const k = tuple(s.src, s.srcPort, s.dst, s.dstPort);
    byTuple.set(k, [...(byTuple.get(k) ?? []), s]);
  }
  const used = new Set<TcpStream>();
  const events: ParleyEvent[] = [];
  for (const c2s of streams) {
    if (!startsWithHeader(c2s)) continue;
    // The nearest unused reverse stream in time: ports can be reused, and a capture started between SYN
    // and SYN-ACK sees the server's direction first.
    let s2c: TcpStream | undefined;
    for (const s of byTuple.get(tuple(c2s.dst, c2s.dstPort, c2s.src, c2s.srcPort)) ?? []) {
      if (!used.has(s) && (!s2c || distance(s, c2s) < distance(s2c, c2s))) s2c = s;
    }
    if (s2c) used.add(s2c);
    events.push(...connectionEvents(c2s, s2c, keys));
  }
  // Sort is stable and each direction's times are made monotonic, so per-direction order survives.
  return events.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
}

const tuple = (src: string, sp: number, dst: string, dp: number) => `${src}|${sp}|${dst}|${dp}`;
const distance = (a: TcpStream, b: TcpStream) =>
  a.firstT > b.firstT ? a.firstT - b.firstT : b.firstT - a.firstT;

function connectionEvents(c2s: TcpStream, s2c: TcpStream | undefined, keys: KeyLogEntry[]): ParleyEvent[] {
  const connection = `${endpoint(c2s.src, c2s.srcPort)} → ${endpoint(c2s.dst, c2s.dstPort)}`;
  const note = (t: bigint, text: string, dir?: Direction): ParleyEvent =>
    dir ? { t, connection, dir, note: text } : { t, connection, note: text };
  const client = cut(c2s, 4, 'c→s', note);
  const server = s2c ? cut(s2c, 0, 's→c', note) : { frames: [], notes: [] };
  const first = client.frames[0];
  if (!first) return [note(c2s.firstT, 'no complete handshake frame in the capture'), ...client.notes];
  const pattern = first.data.length === XX_MSG1_LENGTH ? 'XX' : 'IK';
  const cFrames = client.frames.slice(pattern === 'XX' ? 2 : 1);
  const sFrames = server.frames.slice(1);
  const opens = (key: Uint8Array, f: Frame | undefined) =>
    f !== undefined && decrypt(key, f.data) !== undefined;
  const k = keys.findIndex(
    (e) => opens(e.initiatorToResponder, cFrames[0]) || opens(e.responderToInitiator, sFrames[0]),
  );
  const counts = `${plural(cFrames.length, 'transport frame')} c→s, ${sFrames.length} s→c`;
  const entry = keys[k];
  if (!entry) {
    const why =
      cFrames.length + sFrames.length === 0 ? 'no transport frames' : 'no key log entry decrypts it';
    return [
      note(c2s.firstT, `Noise ${pattern} handshake; ${why} (${counts})`),
      ...client.notes,
      ...server.notes,
    ];
  }
  const hash = Buffer.from(entry.handshakeHash.subarray(0, 6)).toString('hex');
  const head = note(
    c2s.firstT,
    `Noise ${pattern} handshake; key log entry ${k + 1} (hash ${hash}…); ${counts}`,
  );
  return [
    head,
    ...decryptAll(cFrames, entry.initiatorToResponder, 'c→s', connection),
    ...client.notes,
    ...decryptAll(sFrames, entry.responderToInitiator, 's→c', connection),
    ...server.notes,
  ];
}

function startsWithHeader(s: TcpStream): boolean {
  let i = 0;
  for (const c of s.chunks) {
    for (const b of c.data) {
      if (b !== STREAM_HEADER[i]) return false;
      if (++i === STREAM_HEADER.length) return true;
    }
  }
  return false;
}

/** Cuts a direction into frames, each stamped with the packet that completed it (kept monotonic). */
function cut(
  s: TcpStream,
  skip: number,
  dir: Direction,
  note: (t: bigint, text: string, dir?: Direction) => ParleyEvent,
): Cut {
  const reader = new FrameReader(FRAME_LENGTH_LIMIT);
  const frames: Frame[] = [];
  const notes: ParleyEvent[] = [];
  let t = s.firstT;
  for (const c of s.chunks) {
    const data = c.data.subarray(Math.min(skip, c.data.length));
    skip -= c.data.length - data.length;
    if (c.t > t) t = c.t;
    // The 3-byte length cannot exceed the reader's limit, so push never throws here.
    for (const f of reader.push(data)) frames.push({ t, data: f });
  }
  if (s.gap !== undefined) notes.push(note(t, `capture incomplete: ${s.gap}; later frames not shown`, dir));
  else if (reader.buffered > 0) {
    notes.push(note(t, `${reader.buffered} bytes of an incomplete frame at the end of the capture`, dir));
  }
  return { frames, notes };
}

function decrypt(key: Uint8Array, frame: Uint8Array): Uint8Array | undefined {
  try {
    return new CipherState(nodeCrypto, 'AESGCM', key).decrypt(frame);
  } catch {
    return undefined;
  }
}

function decryptAll(frames: Frame[], key: Uint8Array, dir: Direction, connection: string): ParleyEvent[] {
  const out: ParleyEvent[] = [];
  const cs = new CipherState(nodeCrypto, 'AESGCM', key);
  for (const [i, f] of frames.entries()) {
    let plain: Uint8Array;
    try {
      plain = cs.decrypt(f.data);
    } catch {
      // Nonces are positional: after one frame fails, none of the later ones can be trusted either.
      const text = `transport frame ${i} failed authentication; the rest of this direction is not shown`;
      out.push({ t: f.t, connection, dir, note: text });
      break;
    }
    const decoded = decodePlain(plain);
    out.push(
      typeof decoded === 'string'
        ? { t: f.t, connection, dir, note: decoded }
        : { t: f.t, connection, dir, node: decoded },
    );
  }
  return out;
}

/** The flag byte, then the (maybe deflated) node; a string says why it could not be read. */
function decodePlain(plain: Uint8Array): Node | string {
  if (plain.length < 2) return 'transport frame without a node';
  let body = plain.subarray(1);
  if (plain[0]! & FLAG_COMPRESSED) {
    try {
      body = inflateSync(body, { maxOutputLength: FRAME_LENGTH_LIMIT });
    } catch (err) {
      return `compressed node does not inflate: ${(err as Error).message}`;
    }
  }
  try {
    return decodeNode(body);
  } catch (err) {
    return `undecodable node: ${(err as Error).message}`;
  }
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
