import { type CipherName, type NoiseCrypto, REKEY_NONCE } from './crypto.js';
import { NoiseError } from './errors.js';

/**
 * Noise CipherState (spec §5.1). The nonce is a JS number: 2^53 messages on one connection is far past
 * anything that will happen, and refusing beyond it keeps the nonce exact without bigint on the hot path.
 */
export const MAX_NONCE = Number.MAX_SAFE_INTEGER;
const EMPTY = new Uint8Array(0);

export class CipherState {
  private k: Uint8Array | undefined;
  private n = 0;

  constructor(
    private readonly crypto: NoiseCrypto,
    readonly cipher: CipherName,
    key?: Uint8Array,
  ) {
    if (key) this.initializeKey(key);
  }

  initializeKey(key: Uint8Array | undefined): void {
    this.k = key;
    this.n = 0;
  }

  hasKey(): boolean {
    return this.k !== undefined;
  }

  /** The key, for key logs only (SSLKEYLOGFILE-style debugging of one's own traffic). */
  key(): Uint8Array | undefined {
    return this.k;
  }

  nonce(): number {
    return this.n;
  }

  setNonce(n: number): void {
    this.n = n;
  }

  encryptWithAd(ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    if (!this.k) return plaintext;
    if (this.n >= MAX_NONCE) throw new NoiseError('nonce_exhausted', 'nonce exhausted: rekey or reconnect');
    const out = this.crypto.encrypt(this.cipher, this.k, this.n, ad, plaintext);
    this.n++;
    return out;
  }

  /** Throws NoiseError('bad_mac') on failure and leaves the nonce where it was. */
  decryptWithAd(ad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    if (!this.k) return ciphertext;
    if (this.n >= MAX_NONCE) throw new NoiseError('nonce_exhausted', 'nonce exhausted: rekey or reconnect');
    const out = this.crypto.decrypt(this.cipher, this.k, this.n, ad, ciphertext);
    if (out === undefined) throw new NoiseError('bad_mac', 'message failed authentication');
    this.n++;
    return out;
  }

  encrypt(plaintext: Uint8Array): Uint8Array {
    return this.encryptWithAd(EMPTY, plaintext);
  }

  decrypt(ciphertext: Uint8Array): Uint8Array {
    return this.decryptWithAd(EMPTY, ciphertext);
  }

  /** REKEY(k) = ENCRYPT(k, 2^64-1, zerolen, zeros) truncated to 32 bytes (spec §4.2). */
  rekey(): void {
    if (!this.k) throw new NoiseError('bad_state', 'rekey without a key');
    const sealed = this.crypto.encrypt(this.cipher, this.k, REKEY_NONCE, EMPTY, new Uint8Array(32));
    this.k = sealed.subarray(0, 32);
  }
}
