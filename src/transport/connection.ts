import type { HandshakeState, KeyPair, NoiseCrypto } from '../noise/index.js';
import {
  DEFAULT_MAX_FRAME,
  decodeNode,
  Encoder,
  FLAG_COMPRESSED,
  FrameReader,
  isStreamHeader,
  type Node,
  STREAM_HEADER,
  WireError,
  writeFrameHeader,
} from '../wire/index.js';
import { createHandshake, type TransportCipher } from './handshake.js';

/** Why a connection ended, as logged and (where possible) told to the peer. */
export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';
  constructor(
    readonly reason: string,
    detail?: string,
  ) {
    super(detail ? `${reason}: ${detail}` : reason);
  }
}

export interface TransportKeys {
  handshakeHash: Uint8Array;
  initiatorToResponder: Uint8Array;
  responderToInitiator: Uint8Array;
}

/** Decompresses a flagged frame, refusing to produce more than `max` bytes (a zlib bomb costs nothing). */
export type Inflate = (data: Uint8Array, max: number) => Uint8Array;

export interface ConnectionOptions {
  crypto: NoiseCrypto;
  /** Raw bytes out to the socket. */
  write(bytes: Uint8Array): void;
  /** Largest frame accepted from the peer. */
  maxFrame?: number;
  inflate?: Inflate;
  /** Called once when the handshake completes, for the key log. */
  onKeys?(keys: TransportKeys): void;
}

/**
 * One encoder for every connection: encoding is synchronous and returns a copy, so sharing is safe, and a
 * per-connection encoder pinned a 4 KiB buffer (up to 1 MiB after a large stanza) on every idle connection.
 */
const encoder = new Encoder();

const PHASE_HEADER = 0;
const PHASE_HANDSHAKE = 1;
const PHASE_TRANSPORT = 2;
const PHASE_CLOSED = 3;

/**
 * The part of a Parley connection both sides share: frames in and out, the Noise transport cipher, the
 * flag byte and the node codec. Role-specific handshake logic lives in ServerHandshake / ClientHandshake.
 */
export abstract class NoiseConnection {
  protected phase = PHASE_HANDSHAKE;
  protected readonly frames: FrameReader;
  protected sendCipher: TransportCipher | undefined;
  protected recvCipher: TransportCipher | undefined;
  private readonly maxFrame: number;
  private headerBuf: Uint8Array | undefined;

  constructor(protected readonly opts: ConnectionOptions) {
    this.maxFrame = opts.maxFrame ?? DEFAULT_MAX_FRAME;
    this.frames = new FrameReader(this.maxFrame);
  }

  get established(): boolean {
    return this.phase === PHASE_TRANSPORT;
  }

  /** Feeds bytes from the socket; throws ConnectionError when the peer must be disconnected. */
  receive(chunk: Uint8Array): void {
    if (this.phase === PHASE_CLOSED) return;
    if (this.phase === PHASE_HEADER) {
      const have = this.headerBuf ? concat(this.headerBuf, chunk) : chunk;
      if (have.length < 4) {
        this.headerBuf = have;
        return;
      }
      this.headerBuf = undefined;
      if (!isStreamHeader(have) || have[2] !== STREAM_HEADER[2] || have[3] !== STREAM_HEADER[3]) {
        this.fail('bad_header', `expected 50 4C 01 01, got ${hexOf(have.subarray(0, 4))}`);
      }
      this.phase = PHASE_HANDSHAKE;
      chunk = have.subarray(4);
    }
    let frames: Uint8Array[];
    try {
      frames = this.frames.push(chunk);
    } catch (err) {
      if (err instanceof WireError) this.fail('frame_too_large', err.message);
      throw err;
    }
    for (const f of frames) {
      if (this.phase === PHASE_CLOSED) return;
      if (this.phase === PHASE_HANDSHAKE) this.onHandshakeFrame(f);
      else this.onTransportFrame(f);
    }
  }

  protected abstract onHandshakeFrame(frame: Uint8Array): void;
  protected abstract onNode(node: Node): void;

  private onTransportFrame(frame: Uint8Array): void {
    let plain: Uint8Array;
    try {
      plain = this.recvCipher!.decrypt(frame);
    } catch {
      // A bad tag covers forged, replayed and reordered frames alike: the nonce is the frame's position.
      this.fail('bad_mac', 'transport frame failed authentication');
    }
    if (plain.length < 2) this.fail('bad_frame', 'transport frame without a node');
    let body = plain.subarray(1);
    if (plain[0]! & FLAG_COMPRESSED) {
      if (!this.opts.inflate) this.fail('bad_frame', 'compressed frame and no inflater');
      try {
        body = this.opts.inflate(body, this.maxFrame);
      } catch (err) {
        this.fail('bad_frame', `inflate: ${(err as Error).message}`);
      }
    }
    let node: Node;
    try {
      node = decodeNode(body);
    } catch (err) {
      if (err instanceof WireError) this.fail('bad_node', err.message);
      throw err;
    }
    this.onNode(node);
  }

  /** Encrypts and writes one node (flag byte 0: Parley never compresses what it sends). */
  sendNode(node: Node): void {
    if (this.phase !== PHASE_TRANSPORT) throw new ConnectionError('not_ready', 'handshake not complete');
    const plain = encoder.encodeWithPrefix(0, node);
    const sealed = this.sendCipher!.encrypt(plain);
    this.writeFrame(sealed);
  }

  /** Encrypts and writes a node given as its encoding (encodeNode's bytes), with flag byte 0. */
  sendEncoded(bytes: Uint8Array): void {
    if (this.phase !== PHASE_TRANSPORT) throw new ConnectionError('not_ready', 'handshake not complete');
    const plain = new Uint8Array(1 + bytes.length);
    plain.set(bytes, 1);
    this.writeFrame(this.sendCipher!.encrypt(plain));
  }

  protected writeFrame(payload: Uint8Array, prefix?: Uint8Array): void {
    const pre = prefix?.length ?? 0;
    const out = new Uint8Array(pre + 3 + payload.length);
    if (prefix) out.set(prefix, 0);
    writeFrameHeader(payload.length, out, pre);
    out.set(payload, pre + 3);
    this.opts.write(out);
  }

  protected establish(hs: HandshakeState): void {
    const [i2r, r2i] = hs.split();
    this.sendCipher = hs.initiator ? i2r : r2i;
    this.recvCipher = hs.initiator ? r2i : i2r;
    this.opts.onKeys?.({
      handshakeHash: hs.handshakeHash(),
      initiatorToResponder: i2r.key()!,
      responderToInitiator: r2i.key()!,
    });
    this.phase = PHASE_TRANSPORT;
  }

  close(): void {
    this.phase = PHASE_CLOSED;
  }

  protected fail(reason: string, detail?: string): never {
    this.phase = PHASE_CLOSED;
    throw new ConnectionError(reason, detail);
  }

  protected expectHeader(): void {
    this.phase = PHASE_HEADER;
  }

  protected handshake(
    pattern: 'XX' | 'IK',
    initiator: boolean,
    staticKey: KeyPair,
    remoteStatic?: Uint8Array,
  ) {
    return createHandshake({
      pattern,
      initiator,
      prologue: STREAM_HEADER,
      staticKey,
      remoteStatic,
      crypto: this.opts.crypto,
    });
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function hexOf(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}
