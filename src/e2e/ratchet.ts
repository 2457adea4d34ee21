import { bytesEqual, copyBytes } from './bytes.js';
import type { E2ECrypto } from './crypto.js';
import { E2EError } from './errors.js';
import { deriveMessageKeys, kdfRoot, messageKeySeed, nextChainKey } from './kdf.js';
import { agree, generateKeyPair, type KeyPair } from './keys.js';
import { encodeSignalMessage, SESSION_VERSION, type SignalMessage, verifySignalMac } from './messages.js';
import type { ChainKey, RatchetLimits, ReceiverChain, SessionState } from './state.js';
import { aliceAgreement, bobAgreement } from './x3dh.js';

/**
 * The Double Ratchet as libsignal runs it (ratchet.rs, session_cipher.rs), with the KDFs of kdf.ts and
 * AES-256-CBC/PKCS#7 as the message cipher.
 *
 * Decryption is two-phase: planDecrypt computes everything (including any DH step) without touching
 * the state and verifies the MAC; only commit() applies the changes. A forged, truncated or replayed
 * message therefore never alters a working session (DR spec §3.5), and no state has to be cloned.
 */

const MAX_COUNTER = 0xffffffff;

interface CommonParams {
  ourIdentity: KeyPair;
  theirIdentity: Uint8Array;
  localRegistrationId?: number;
  remoteRegistrationId?: number;
}

/**
 * The initiator's session: X3DH, then an immediate DH-ratchet step with a fresh sending key against the
 * peer's ratchet key (its signed prekey, unless a test supplies another, as libsignal's KATs do).
 */
export function initAliceSession(
  crypto: E2ECrypto,
  p: CommonParams & {
    ourBaseKey: KeyPair;
    theirSignedPreKey: Uint8Array;
    theirOneTimePreKey?: Uint8Array | undefined;
    theirRatchetKey?: Uint8Array;
  },
): SessionState {
  const initial = aliceAgreement(crypto, p);
  const theirRatchetKey = p.theirRatchetKey ?? p.theirSignedPreKey;
  const senderRatchet = generateKeyPair(crypto);
  const [rootKey, sendingChain] = kdfRoot(
    crypto,
    initial.rootKey,
    agree(crypto, senderRatchet.privateKey, theirRatchetKey),
  );
  return {
    version: SESSION_VERSION,
    localIdentityKey: copyBytes(p.ourIdentity.publicKey),
    remoteIdentityKey: copyBytes(p.theirIdentity),
    localRegistrationId: p.localRegistrationId ?? 0,
    remoteRegistrationId: p.remoteRegistrationId ?? 0,
    rootKey,
    senderRatchet,
    senderChain: { key: sendingChain, index: 0 },
    previousCounter: 0,
    receiverChains: [
      {
        ratchetKey: copyBytes(theirRatchetKey),
        chainKey: { key: initial.chainKey, index: 0 },
        skipped: new Map(),
      },
    ],
    pendingPreKey: undefined,
    aliceBaseKey: copyBytes(p.ourBaseKey.publicKey),
  };
}

/** The responder's session: X3DH; its signed prekey doubles as its first ratchet key. */
export function initBobSession(
  crypto: E2ECrypto,
  p: CommonParams & {
    ourSignedPreKey: KeyPair;
    ourOneTimePreKey?: KeyPair | undefined;
    ourRatchetKey?: KeyPair;
    theirBaseKey: Uint8Array;
  },
): SessionState {
  const initial = bobAgreement(crypto, p);
  return {
    version: SESSION_VERSION,
    localIdentityKey: copyBytes(p.ourIdentity.publicKey),
    remoteIdentityKey: copyBytes(p.theirIdentity),
    localRegistrationId: p.localRegistrationId ?? 0,
    remoteRegistrationId: p.remoteRegistrationId ?? 0,
    rootKey: initial.rootKey,
    senderRatchet: p.ourRatchetKey ?? p.ourSignedPreKey,
    senderChain: { key: initial.chainKey, index: 0 },
    previousCounter: 0,
    receiverChains: [],
    pendingPreKey: undefined,
    aliceBaseKey: copyBytes(p.theirBaseKey),
  };
}

/** Encrypts one message on the sending chain and advances it; returns the serialized SignalMessage. */
export function ratchetEncrypt(crypto: E2ECrypto, state: SessionState, plaintext: Uint8Array): Uint8Array {
  const chain = state.senderChain;
  if (chain.index >= MAX_COUNTER) throw new E2EError('no_session', 'sending chain exhausted');
  const keys = deriveMessageKeys(crypto, messageKeySeed(crypto, chain.key));
  const ciphertext = crypto.aesCbcEncrypt(keys.cipherKey, keys.iv, plaintext);
  const message = encodeSignalMessage(
    crypto,
    {
      ratchetKey: state.senderRatchet.publicKey,
      counter: chain.index,
      previousCounter: state.previousCounter,
      ciphertext,
    },
    keys.macKey,
    state.localIdentityKey,
    state.remoteIdentityKey,
  );
  state.senderChain = { key: nextChainKey(crypto, chain.key), index: chain.index + 1 };
  return message;
}

export interface DecryptPlan {
  plaintext: Uint8Array;
  /** Applies the state changes of this decryption. Call at most once, only if the message is accepted. */
  commit(): void;
}

/** Everything a DH-ratchet step would change, computed but not yet applied. */
interface RatchetStep {
  rootKey: Uint8Array;
  senderRatchet: KeyPair;
  senderChain: ChainKey;
}

export function planDecrypt(
  crypto: E2ECrypto,
  state: SessionState,
  msg: SignalMessage,
  limits: RatchetLimits,
): DecryptPlan {
  if (msg.version !== state.version) {
    throw new E2EError('invalid_version', `message version ${msg.version}, session version ${state.version}`);
  }
  const existing: ReceiverChain | undefined = state.receiverChains.find((c) =>
    bytesEqual(c.ratchetKey, msg.ratchetKey),
  );
  let chain: ChainKey;
  let step: RatchetStep | undefined;
  if (existing) {
    chain = existing.chainKey;
  } else {
    const [rk1, receiving] = kdfRoot(
      crypto,
      state.rootKey,
      agree(crypto, state.senderRatchet.privateKey, msg.ratchetKey),
    );
    const senderRatchet = generateKeyPair(crypto);
    const [rk2, sending] = kdfRoot(crypto, rk1, agree(crypto, senderRatchet.privateKey, msg.ratchetKey));
    chain = { key: receiving, index: 0 };
    step = { rootKey: rk2, senderRatchet, senderChain: { key: sending, index: 0 } };
  }

  const counter = msg.counter;
  let seed: Uint8Array;
  let newSkipped: Array<[number, Uint8Array]> = [];
  let advanced: ChainKey | undefined;
  if (counter < chain.index) {
    const stored = existing?.skipped.get(counter);
    if (stored === undefined) {
      throw new E2EError(
        'duplicate_message',
        `message key ${counter} already used or expired (chain at ${chain.index})`,
      );
    }
    seed = stored;
  } else {
    if (counter - chain.index > limits.maxForwardJump) {
      throw new E2EError(
        'too_many_skipped',
        `counter ${counter} jumps ${counter - chain.index} ahead (limit ${limits.maxForwardJump})`,
      );
    }
    // Seeds older than the per-chain cap would be evicted at once: do not even keep them.
    const keepFrom = counter - limits.maxSkippedPerChain;
    let ck = chain.key;
    for (let i = chain.index; i < counter; i++) {
      if (i >= keepFrom) newSkipped.push([i, messageKeySeed(crypto, ck)]);
      ck = nextChainKey(crypto, ck);
    }
    seed = messageKeySeed(crypto, ck);
    advanced = { key: nextChainKey(crypto, ck), index: counter + 1 };
  }

  const keys = deriveMessageKeys(crypto, seed);
  if (!verifySignalMac(crypto, msg, keys.macKey, state.remoteIdentityKey, state.localIdentityKey)) {
    throw new E2EError('bad_mac', 'message MAC does not verify');
  }
  let plaintext: Uint8Array;
  try {
    plaintext = crypto.aesCbcDecrypt(keys.cipherKey, keys.iv, msg.ciphertext);
  } catch (e) {
    throw new E2EError('invalid_message', 'ciphertext does not decrypt (length or padding)', { cause: e });
  }

  return {
    plaintext,
    commit() {
      let target = existing;
      if (step) {
        target = { ratchetKey: copyBytes(msg.ratchetKey), chainKey: chain, skipped: new Map() };
        state.receiverChains.push(target);
        while (state.receiverChains.length > limits.maxReceiverChains) state.receiverChains.shift();
        state.rootKey = step.rootKey;
        state.previousCounter = Math.max(state.senderChain.index - 1, 0);
        state.senderRatchet = step.senderRatchet;
        state.senderChain = step.senderChain;
      }
      if (target === undefined) throw new Error('unreachable: no receiving chain');
      if (advanced === undefined) {
        target.skipped.delete(counter);
      } else {
        target.chainKey = advanced;
        for (const [i, s] of newSkipped) target.skipped.set(i, s);
        newSkipped = [];
        evictSkipped(state, target, limits);
      }
      state.pendingPreKey = undefined; // the peer has answered: stop attaching the prekey header
    },
  };
}

/** Enforces the per-chain then the per-session cap, dropping the oldest keys first. */
function evictSkipped(state: SessionState, chain: ReceiverChain, limits: RatchetLimits): void {
  dropOldest(chain.skipped, chain.skipped.size - limits.maxSkippedPerChain);
  let total = 0;
  for (const c of state.receiverChains) total += c.skipped.size;
  for (const c of state.receiverChains) {
    if (total <= limits.maxSkippedTotal) break;
    const drop = Math.min(c.skipped.size, total - limits.maxSkippedTotal);
    dropOldest(c.skipped, drop);
    total -= drop;
  }
}

function dropOldest(map: Map<number, Uint8Array>, count: number): void {
  if (count <= 0) return;
  for (const k of map.keys()) {
    map.delete(k);
    if (--count === 0) return;
  }
}
