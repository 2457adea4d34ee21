import { type CipherName, KEYLEN, type NoiseCrypto, type Nonce64, TAGLEN } from './crypto.js';
import { NoiseError } from './errors.js';

/** 2^64-1: reserved by Noise (§5.1) for Rekey, so a CipherState whose nonce reaches it is exhausted. */
export const MAX_NONCE = 0xffff_ffff_ffff_ffffn;
const U32 = 0x1_0000_0000;
const EMPTY = new Uint8Array(0);
const ZEROS = new Uint8Array(KEYLEN);
const REKEY_NONCE: Nonce64 = { hi: 0xffff_ffff, lo: 0xffff_ffff };

export interface CipherSnapshot {
  readonly k: Uint8Array | undefined;
  readonly hi: number;
  readonly lo: number;
}

/**
 * Noise CipherState (spec §5.1). The 64-bit nonce is kept as two uint32 halves: exact up to 2^64-1
 * without allocating a bigint per message.
 *
 * Transport messages are not capped at 65535 bytes here: Parley frames carry up to the server's frame
 * limit (PROTOCOL.md §3), a deliberate departure from Noise §3 that the transport bounds instead.
 */
export class CipherState {
  private k: Uint8Array | undefined;
  private readonly n: Nonce64 = { hi: 0, lo: 0 };

  constructor(
    private readonly crypto: NoiseCrypto,
    readonly cipher: CipherName,
    key?: Uint8Array,
  ) {
    if (key) this.initializeKey(key);
  }

  /** Sets the key (or clears it with undefined) and resets the nonce to 0. */
  initializeKey(key: Uint8Array | undefined): void {
    if (key && key.length !== KEYLEN) throw new NoiseError('bad_key', 'cipher keys are 32 bytes');
    this.k = key;
    this.n.hi = 0;
    this.n.lo = 0;
  }

  hasKey(): boolean {
    return this.k !== undefined;
  }

  /** The key, for key logs only (SSLKEYLOGFILE-style debugging of one's own traffic). */
  key(): Uint8Array | undefined {
    return this.k;
  }

  /** The nonce the next message will use. */
  nonce(): bigint {
    return (BigInt(this.n.hi) << 32n) | BigInt(this.n.lo);
  }

  /** SetNonce (§5.1), for out-of-order transports (§11.4) and tests; any value in [0, 2^64-1]. */
  setNonce(n: bigint | number): void {
    const v = BigInt(n);
    if (v < 0n || v > MAX_NONCE) throw new RangeError('a Noise nonce is a 64-bit unsigned integer');
    this.n.hi = Number(v >> 32n);
    this.n.lo = Number(v & 0xffff_ffffn);
  }

  /** EncryptWithAd: returns ciphertext ‖ tag, or the plaintext itself while there is no key. */
  encryptWithAd(ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    if (!this.k) return plaintext;
    this.checkNonce();
    const out = this.crypto.encrypt(this.cipher, this.k, this.n, ad, plaintext);
    this.increment();
    return out;
  }

  /** DecryptWithAd: throws NoiseError('bad_mac') on failure and then leaves the nonce where it was. */
  decryptWithAd(ad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    if (!this.k) return ciphertext;
    this.checkNonce();
    if (ciphertext.length < TAGLEN) {
      throw new NoiseError(
        'bad_message_length',
        `ciphertext of ${ciphertext.length} bytes is shorter than its tag`,
      );
    }
    const out = this.crypto.decrypt(this.cipher, this.k, this.n, ad, ciphertext);
    if (out === undefined) throw new NoiseError('bad_mac', 'message failed authentication');
    this.increment();
    return out;
  }

  /** A transport message without associated data. */
  encrypt(plaintext: Uint8Array): Uint8Array {
    return this.encryptWithAd(EMPTY, plaintext);
  }

  decrypt(ciphertext: Uint8Array): Uint8Array {
    return this.decryptWithAd(EMPTY, ciphertext);
  }

  /** Rekey (§4.2, §11.3): k = first 32 bytes of ENCRYPT(k, 2^64-1, "", 32 zeros); the nonce is kept. */
  rekey(): void {
    if (!this.k) throw new NoiseError('bad_state', 'rekey without a key');
    this.k = this.crypto.encrypt(this.cipher, this.k, REKEY_NONCE, EMPTY, ZEROS).slice(0, KEYLEN);
  }

  /** Internal: HandshakeState saves and restores state so a failed message leaves no trace. */
  snapshot(): CipherSnapshot {
    return { k: this.k, hi: this.n.hi, lo: this.n.lo };
  }

  restore(s: CipherSnapshot): void {
    this.k = s.k;
    this.n.hi = s.hi;
    this.n.lo = s.lo;
  }

  private checkNonce(): void {
    if (this.n.hi === 0xffff_ffff && this.n.lo === 0xffff_ffff) {
      throw new NoiseError('nonce_exhausted', 'nonce exhausted (2^64-1 messages): the session must end');
    }
  }

  private increment(): void {
    if (++this.n.lo === U32) {
      this.n.lo = 0;
      this.n.hi++;
    }
  }
}
