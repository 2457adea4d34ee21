import type { CipherState } from './cipher-state.js';
import { DHLEN, KEYLEN, type KeyPair, MAX_MESSAGE_LENGTH, type NoiseCrypto, TAGLEN } from './crypto.js';
import { NoiseError } from './errors.js';
import { type HandshakePattern, type PreToken, parseProtocolName, type Token } from './patterns.js';
import { type SymmetricSnapshot, SymmetricState } from './symmetric-state.js';

export interface HandshakeOptions {
  /** e.g. `Noise_XX_25519_AESGCM_SHA256`; modifiers such as `XXpsk3` or `XXfallback` work too. */
  protocol: string;
  initiator: boolean;
  crypto: NoiseCrypto;
  prologue?: Uint8Array | undefined;
  /** The local static key pair, when the pattern sends or pre-shares one. */
  s?: KeyPair | undefined;
  /** A fixed ephemeral key: for test vectors, and for the fallback side that already sent it. */
  e?: KeyPair | undefined;
  /** The remote static public key, when the pattern pre-shares it (IK, NK, KK, …). */
  rs?: Uint8Array | undefined;
  /** The remote ephemeral public key, for a fallback pre-message. */
  re?: Uint8Array | undefined;
  /** One 32-byte pre-shared key per psk token, in order. */
  psks?: readonly Uint8Array[] | undefined;
}

interface Snapshot {
  ss: SymmetricSnapshot;
  e: KeyPair | undefined;
  re: Uint8Array | undefined;
  rs: Uint8Array | undefined;
  psk: number;
}

/**
 * Noise HandshakeState (spec §5.3): runs a pattern's messages in turn, then splits into two CipherStates.
 * Each message is all-or-nothing: if writing or reading fails (bad MAC, short message, bad key) the
 * state is restored to what it was before the call, so a forged message cannot derail a handshake.
 */
export class HandshakeState {
  readonly initiator: boolean;
  readonly pattern: HandshakePattern;
  private readonly ss: SymmetricState;
  private readonly crypto: NoiseCrypto;
  private readonly s: KeyPair | undefined;
  private e: KeyPair | undefined;
  private rs: Uint8Array | undefined;
  private re: Uint8Array | undefined;
  private readonly psks: readonly Uint8Array[];
  private readonly pskMode: boolean;
  private psk = 0;
  private index = 0;
  private splitResult: [CipherState, CipherState] | undefined;

  constructor(o: HandshakeOptions) {
    const proto = parseProtocolName(o.protocol);
    const p = proto.pattern;
    this.pattern = p;
    this.initiator = o.initiator;
    this.crypto = o.crypto;
    this.s = checkPair(o.s, 's');
    this.e = checkPair(o.e, 'e');
    this.rs = checkKey(o.rs, 'rs');
    this.re = checkKey(o.re, 're');
    this.psks = o.psks ?? [];
    const pskCount = p.messages.reduce((n, m) => n + m.filter((t) => t === 'psk').length, 0);
    this.pskMode = pskCount > 0;
    if (this.psks.length !== pskCount) {
      throw new NoiseError('bad_key', `${p.name} needs ${pskCount} pre-shared keys, got ${this.psks.length}`);
    }
    if (this.psks.some((k) => k.length !== KEYLEN))
      throw new NoiseError('bad_key', 'pre-shared keys are 32 bytes');
    const sendsS = p.messages.some((m, i) => m.includes('s') && this.writesMessage(i));
    const ownPre = o.initiator ? p.initiatorPre : p.responderPre;
    if ((sendsS || ownPre.includes('s')) && !this.s)
      throw new NoiseError('bad_state', `${p.name} needs a static key`);
    if (ownPre.includes('e') && !this.e)
      throw new NoiseError('bad_state', `${p.name} needs the sent ephemeral key`);

    this.ss = new SymmetricState(o.crypto, proto.cipher, o.protocol);
    this.ss.mixHash(o.prologue ?? new Uint8Array(0));
    this.premessage(p.initiatorPre, o.initiator);
    this.premessage(p.responderPre, !o.initiator);
  }

  /** Pre-message keys are hashed in initiator-first order (§7.1); `mine` when the local side owns them. */
  private premessage(tokens: PreToken[], mine: boolean): void {
    for (const t of tokens) {
      const key = t === 'e' ? (mine ? this.e?.publicKey : this.re) : mine ? this.s?.publicKey : this.rs;
      if (!key) throw new NoiseError('bad_state', `${this.pattern.name} needs the pre-message key ${t}`);
      this.mixE(key, t === 'e');
    }
  }

  /** MixHash, plus MixKey for an ephemeral in a psk handshake (§9.2), pre-messages included. */
  private mixE(key: Uint8Array, ephemeral: boolean): void {
    this.ss.mixHash(key);
    if (ephemeral && this.pskMode) this.ss.mixKey(key);
  }

  private writesMessage(i: number): boolean {
    return (i % 2 === 0) === (this.initiator !== this.pattern.responderFirst);
  }

  get isComplete(): boolean {
    return this.index >= this.pattern.messages.length;
  }

  /** Whether it is this side's turn to write. */
  get myTurn(): boolean {
    return !this.isComplete && this.writesMessage(this.index);
  }

  remoteStatic(): Uint8Array | undefined {
    return this.rs;
  }

  remoteEphemeral(): Uint8Array | undefined {
    return this.re;
  }

  /** The local ephemeral key pair, which a Noise Pipes initiator hands to its XXfallback handshake. */
  localEphemeral(): KeyPair | undefined {
    return this.e;
  }

  /** GetHandshakeHash: channel binding once complete; both sides compute the same value. */
  handshakeHash(): Uint8Array {
    return this.ss.handshakeHash();
  }

  writeMessage(payload: Uint8Array = new Uint8Array(0)): Uint8Array {
    if (!this.myTurn) throw new NoiseError('bad_state', 'not this side’s turn to write');
    return this.atomically(() => {
      const parts: Uint8Array[] = [];
      for (const t of this.pattern.messages[this.index]!) {
        if (t === 'e') {
          this.e ??= this.crypto.generateKeyPair();
          parts.push(this.e.publicKey);
          this.mixE(this.e.publicKey, true);
        } else if (t === 's') parts.push(this.ss.encryptAndHash(this.s!.publicKey));
        else this.token(t);
      }
      parts.push(this.ss.encryptAndHash(payload));
      const out = concat(parts);
      if (out.length > MAX_MESSAGE_LENGTH) {
        throw new NoiseError('bad_message_length', `handshake message of ${out.length} bytes exceeds 65535`);
      }
      return out;
    });
  }

  /** Reads the peer's message and returns its payload (a view into `message` while no key is set). */
  readMessage(message: Uint8Array): Uint8Array {
    if (this.isComplete || this.myTurn) throw new NoiseError('bad_state', 'not this side’s turn to read');
    if (message.length > MAX_MESSAGE_LENGTH) {
      throw new NoiseError(
        'bad_message_length',
        `handshake message of ${message.length} bytes exceeds 65535`,
      );
    }
    return this.atomically(() => {
      let pos = 0;
      const take = (n: number): Uint8Array => {
        if (message.length - pos < n) {
          throw new NoiseError(
            'bad_message_length',
            `handshake message of ${message.length} bytes is too short`,
          );
        }
        const out = message.subarray(pos, pos + n);
        pos += n;
        return out;
      };
      for (const t of this.pattern.messages[this.index]!) {
        if (t === 'e') {
          this.re = take(DHLEN).slice();
          this.mixE(this.re, true);
        } else if (t === 's') {
          this.rs = this.ss.decryptAndHash(take(this.ss.cs.hasKey() ? DHLEN + TAGLEN : DHLEN)).slice();
        } else this.token(t);
      }
      return this.ss.decryptAndHash(message.subarray(pos));
    });
  }

  /** Runs one message; on success advances the turn (splitting after the last), on failure rolls back. */
  private atomically(step: () => Uint8Array): Uint8Array {
    const saved: Snapshot = { ss: this.ss.snapshot(), e: this.e, re: this.re, rs: this.rs, psk: this.psk };
    let out: Uint8Array;
    try {
      out = step();
    } catch (err) {
      this.ss.restore(saved.ss);
      this.e = saved.e;
      this.re = saved.re;
      this.rs = saved.rs;
      this.psk = saved.psk;
      throw err;
    }
    this.index++;
    if (this.isComplete) this.splitResult = this.ss.split();
    return out;
  }

  /** DH tokens and psk: the same on both sides, with es/se read from the initiator's point of view. */
  private token(t: Token): void {
    if (t === 'psk') {
      this.ss.mixKeyAndHash(this.psks[this.psk++]!);
      return;
    }
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

  /**
   * The transport CipherStates [initiator→responder, responder→initiator], fresh with nonce 0. A
   * one-way pattern uses only the first. Returns the same pair on every call.
   */
  split(): [CipherState, CipherState] {
    if (!this.splitResult) throw new NoiseError('bad_state', 'split before the handshake completed');
    return this.splitResult;
  }
}

function checkKey(k: Uint8Array | undefined, what: string): Uint8Array | undefined {
  if (k && k.length !== DHLEN) throw new NoiseError('bad_key', `${what} must be a 32-byte X25519 key`);
  return k;
}

function checkPair(k: KeyPair | undefined, what: string): KeyPair | undefined {
  if (k && (k.publicKey.length !== DHLEN || k.privateKey.length !== DHLEN)) {
    throw new NoiseError('bad_key', `${what} must be a 32-byte X25519 key pair`);
  }
  return k;
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
