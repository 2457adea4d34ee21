import { CipherState } from './cipher-state.js';
import type { CipherName, NoiseCrypto } from './crypto.js';

const HASHLEN = 32;
const EMPTY = new Uint8Array(0);

/** Noise SymmetricState (spec §5.2) with SHA-256. */
export class SymmetricState {
  private ck: Uint8Array;
  private h: Uint8Array;
  readonly cs: CipherState;

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
    const [ck, k] = this.hkdf(ikm, 2);
    this.ck = ck!;
    this.cs.initializeKey(k!);
  }

  mixHash(data: Uint8Array): void {
    const buf = new Uint8Array(this.h.length + data.length);
    buf.set(this.h);
    buf.set(data, this.h.length);
    this.h = this.crypto.sha256(buf);
  }

  mixKeyAndHash(ikm: Uint8Array): void {
    const [ck, temp, k] = this.hkdf(ikm, 3);
    this.ck = ck!;
    this.mixHash(temp!);
    this.cs.initializeKey(k!);
  }

  handshakeHash(): Uint8Array {
    return this.h;
  }

  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const ct = this.cs.encryptWithAd(this.h, plaintext);
    this.mixHash(ct);
    return ct;
  }

  /** On a bad MAC this throws before touching h, so the state is as it was. */
  decryptAndHash(ciphertext: Uint8Array): Uint8Array {
    const pt = this.cs.decryptWithAd(this.h, ciphertext);
    this.mixHash(ciphertext);
    return pt;
  }

  split(): [CipherState, CipherState] {
    const [k1, k2] = this.hkdf(EMPTY, 2);
    return [new CipherState(this.crypto, this.cipher, k1), new CipherState(this.crypto, this.cipher, k2)];
  }

  /** HKDF as Noise defines it (spec §4.3): HMAC-SHA256 chained outputs keyed by the chaining key. */
  private hkdf(ikm: Uint8Array, outputs: 2 | 3): Uint8Array[] {
    const temp = this.crypto.hmacSha256(this.ck, ikm);
    const out1 = this.crypto.hmacSha256(temp, Uint8Array.of(1));
    const out: Uint8Array[] = [out1];
    let prev = out1;
    for (let i = 2; i <= outputs; i++) {
      const input = new Uint8Array(prev.length + 1);
      input.set(prev);
      input[prev.length] = i;
      prev = this.crypto.hmacSha256(temp, input);
      out.push(prev);
    }
    return out;
  }
}
