import type { CipherState } from './cipher-state.js';
import type { KeyPair, NoiseCrypto } from './crypto.js';
import { NoiseError } from './errors.js';
import { parseProtocolName, type Token } from './patterns.js';
import { SymmetricState } from './symmetric-state.js';

export interface HandshakeOptions {
  /** e.g. `Noise_XX_25519_AESGCM_SHA256`. */
  protocol: string;
  initiator: boolean;
  crypto: NoiseCrypto;
  prologue?: Uint8Array;
  s?: KeyPair;
  /** A fixed ephemeral key: only for test vectors. */
  e?: KeyPair;
  rs?: Uint8Array;
  re?: Uint8Array;
}

const DHLEN = 32;
const TAGLEN = 16;

/** Noise HandshakeState (spec §5.3): runs a pattern's messages in turn, then splits into two CipherStates. */
export class HandshakeState {
  readonly initiator: boolean;
  private readonly ss: SymmetricState;
  private readonly messages: Token[][];
  private readonly crypto: NoiseCrypto;
  private s: KeyPair | undefined;
  private e: KeyPair | undefined;
  private rs: Uint8Array | undefined;
  private re: Uint8Array | undefined;
  private index = 0;

  constructor(o: HandshakeOptions) {
    const { pattern, cipher } = parseProtocolName(o.protocol);
    this.initiator = o.initiator;
    this.crypto = o.crypto;
    this.messages = pattern.messages;
    this.s = o.s;
    this.e = o.e;
    this.rs = o.rs;
    this.re = o.re;
    this.ss = new SymmetricState(o.crypto, cipher, o.protocol);
    this.ss.mixHash(o.prologue ?? new Uint8Array(0));
    this.premessage(pattern.initiatorPre, o.initiator);
    this.premessage(pattern.responderPre, !o.initiator);
    const needsS = pattern.messages.some((m, i) => m.includes('s') && (i % 2 === 0) === o.initiator);
    const needsOwnPre = (o.initiator ? pattern.initiatorPre : pattern.responderPre).includes('s');
    if ((needsS || needsOwnPre) && !this.s)
      throw new NoiseError('bad_state', `${pattern.name} needs a static key`);
  }

  /** Pre-message keys are hashed in: `mine` when the local side owns them. */
  private premessage(tokens: Token[], mine: boolean): void {
    for (const t of tokens) {
      const key = t === 'e' ? (mine ? this.e?.publicKey : this.re) : mine ? this.s?.publicKey : this.rs;
      if (!key) throw new NoiseError('bad_state', `pre-message key ${t} is missing`);
      this.ss.mixHash(key);
    }
  }

  get isComplete(): boolean {
    return this.index >= this.messages.length;
  }

  /** Whether it is this side's turn to write. */
  get myTurn(): boolean {
    return !this.isComplete && (this.index % 2 === 0) === this.initiator;
  }

  remoteStatic(): Uint8Array | undefined {
    return this.rs;
  }

  handshakeHash(): Uint8Array {
    return this.ss.handshakeHash();
  }

  writeMessage(payload: Uint8Array = new Uint8Array(0)): Uint8Array {
    if (!this.myTurn) throw new NoiseError('bad_state', 'not this side’s turn to write');
    const parts: Uint8Array[] = [];
    for (const t of this.messages[this.index]!) {
      if (t === 'e') {
        this.e ??= this.crypto.generateKeyPair();
        parts.push(this.e.publicKey);
        this.ss.mixHash(this.e.publicKey);
      } else if (t === 's') {
        parts.push(this.ss.encryptAndHash(this.s!.publicKey));
      } else this.dhToken(t);
    }
    parts.push(this.ss.encryptAndHash(payload));
    this.index++;
    return concat(parts);
  }

  /**
   * Reads the peer's message and returns its payload. On failure the handshake cannot continue (its hash
   * has absorbed part of the message), so the caller must drop the connection.
   */
  readMessage(message: Uint8Array): Uint8Array {
    if (this.isComplete || this.myTurn) throw new NoiseError('bad_state', 'not this side’s turn to read');
    let pos = 0;
    const take = (n: number): Uint8Array => {
      if (message.length - pos < n) throw new NoiseError('bad_message_length', 'handshake message too short');
      const out = message.subarray(pos, pos + n);
      pos += n;
      return out;
    };
    for (const t of this.messages[this.index]!) {
      if (t === 'e') {
        this.re = take(DHLEN).slice();
        this.ss.mixHash(this.re);
      } else if (t === 's') {
        const len = this.ss.cs.hasKey() ? DHLEN + TAGLEN : DHLEN;
        this.rs = this.ss.decryptAndHash(take(len)).slice();
      } else this.dhToken(t);
    }
    const rest = message.subarray(pos);
    if (this.ss.cs.hasKey() && rest.length < TAGLEN) {
      throw new NoiseError('bad_message_length', 'handshake payload shorter than its tag');
    }
    const payload = this.ss.decryptAndHash(rest);
    this.index++;
    return payload;
  }

  private dhToken(t: Token): void {
    const [local, remote] = this.dhKeys(t);
    if (!local || !remote) throw new NoiseError('bad_state', `keys for ${t} are missing`);
    this.ss.mixKey(this.crypto.dh(local.privateKey, remote));
  }

  private dhKeys(t: Token): [KeyPair | undefined, Uint8Array | undefined] {
    switch (t) {
      case 'ee':
        return [this.e, this.re];
      case 'ss':
        return [this.s, this.rs];
      case 'es':
        return this.initiator ? [this.e, this.rs] : [this.s, this.re];
      case 'se':
        return this.initiator ? [this.s, this.re] : [this.e, this.rs];
      default:
        throw new NoiseError('bad_state', `not a DH token: ${t}`);
    }
  }

  /** [initiator→responder, responder→initiator]. */
  split(): [CipherState, CipherState] {
    if (!this.isComplete) throw new NoiseError('bad_state', 'split before the handshake completed');
    return this.ss.split();
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
