import { type CipherSnapshot, CipherState } from './cipher-state.js';
import { type CipherName, HASHLEN, type NoiseCrypto } from './crypto.js';

const EMPTY = new Uint8Array(0);
const ONE = Uint8Array.of(1);
const TWO = Uint8Array.of(2);
const THREE = Uint8Array.of(3);

export interface SymmetricSnapshot {
  readonly ck: Uint8Array;
  readonly h: Uint8Array;
  readonly cs: CipherSnapshot;
}

/**
 * Noise SymmetricState (spec §5.2) with SHA-256. `ck` and `h` are replaced, never written in place, so
 * a snapshot is a handful of references.
 */
export class SymmetricState {
  private ck: Uint8Array;
  private h: Uint8Array;
  readonly cs: CipherState;

  /** InitializeSymmetric: a name of up to HASHLEN bytes is zero-padded into h, a longer one hashed. */
  constructor(
    private readonly crypto: NoiseCrypto,
    readonly cipher: CipherName,
    protocolName: string,
  ) {
    const name = new TextEncoder().encode(protocolName);
    if (name.length <= HASHLEN) {
      this.h = new Uint8Array(HASHLEN);
      this.h.set(name);
    } else this.h = crypto.sha256(name);
    this.ck = this.h;
    this.cs = new CipherState(crypto, cipher);
  }

  mixKey(ikm: Uint8Array): void {
    const temp = this.crypto.hmacSha256(this.ck, ikm);
    this.ck = this.crypto.hmacSha256(temp, ONE);
    this.cs.initializeKey(this.crypto.hmacSha256(temp, this.ck, TWO));
  }

  mixHash(data: Uint8Array): void {
    this.h = this.crypto.sha256(this.h, data);
  }

  /** For psk tokens (§9.2): three HKDF outputs — chaining key, a value hashed into h, the cipher key. */
  mixKeyAndHash(ikm: Uint8Array): void {
    const temp = this.crypto.hmacSha256(this.ck, ikm);
    this.ck = this.crypto.hmacSha256(temp, ONE);
    const tempH = this.crypto.hmacSha256(temp, this.ck, TWO);
    this.mixHash(tempH);
    this.cs.initializeKey(this.crypto.hmacSha256(temp, tempH, THREE));
  }

  /** GetHandshakeHash. */
  handshakeHash(): Uint8Array {
    return this.h;
  }

  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const ct = this.cs.encryptWithAd(this.h, plaintext);
    this.mixHash(ct);
    return ct;
  }

  /** A bad MAC throws before h changes, so the state is as it was. */
  decryptAndHash(ciphertext: Uint8Array): Uint8Array {
    const pt = this.cs.decryptWithAd(this.h, ciphertext);
    this.mixHash(ciphertext);
    return pt;
  }

  /** Split: [initiator→responder, responder→initiator], both with nonce 0. */
  split(): [CipherState, CipherState] {
    const temp = this.crypto.hmacSha256(this.ck, EMPTY);
    const k1 = this.crypto.hmacSha256(temp, ONE);
    const k2 = this.crypto.hmacSha256(temp, k1, TWO);
    return [new CipherState(this.crypto, this.cipher, k1), new CipherState(this.crypto, this.cipher, k2)];
  }

  snapshot(): SymmetricSnapshot {
    return { ck: this.ck, h: this.h, cs: this.cs.snapshot() };
  }

  restore(s: SymmetricSnapshot): void {
    this.ck = s.ck;
    this.h = s.h;
    this.cs.restore(s.cs);
  }
}
