import type { KeyPair } from './keys.js';

/**
 * The Double Ratchet state of one session (libsignal's SessionStructure, minus Kyber/SPQR), plain data
 * so it serialises to JSON (record.ts) and clones cheaply. Public keys are 33-byte 0x05 forms.
 */

export interface ChainKey {
  key: Uint8Array;
  /** Counter of the next message key this chain yields. */
  index: number;
}

export interface ReceiverChain {
  /** The peer's ratchet public key this chain belongs to. */
  ratchetKey: Uint8Array;
  chainKey: ChainKey;
  /**
   * Message-key seeds (HMAC(ck, 0x01)) of skipped counters, oldest first. Seeds rather than the
   * derived 80-byte keys: a third of the storage, and HKDF runs only for keys that are actually used.
   */
  skipped: Map<number, Uint8Array>;
}

/** Set on the initiator until the first reply: every message goes out as a PreKeySignalMessage. */
export interface PendingPreKey {
  preKeyId: number | undefined;
  signedPreKeyId: number;
  baseKey: Uint8Array;
  /** When the session was set up (ms since the epoch); a setup unanswered for too long goes stale. */
  timestamp: number;
}

export interface SessionState {
  /** Session version: 3 (X3DH). */
  version: number;
  localIdentityKey: Uint8Array;
  remoteIdentityKey: Uint8Array;
  localRegistrationId: number;
  remoteRegistrationId: number;
  rootKey: Uint8Array;
  senderRatchet: KeyPair;
  senderChain: ChainKey;
  /** Counter of the last message sent on the previous sending chain (the header's PN). */
  previousCounter: number;
  /** Oldest first, at most limits.maxReceiverChains. */
  receiverChains: ReceiverChain[];
  pendingPreKey: PendingPreKey | undefined;
  /** The initiator's base key: identifies the session when a PreKeySignalMessage is delivered again. */
  aliceBaseKey: Uint8Array;
}

/**
 * Bounds on what a peer (or a forger) can make us compute and store. Defaults are libsignal's
 * (consts.rs), plus a per-session total so one session cannot hold 5 × 2000 keys.
 */
export interface RatchetLimits {
  /** Largest counter jump one message may cause (libsignal MAX_FORWARD_JUMPS). */
  maxForwardJump: number;
  /** Skipped message keys kept per receiving chain; the oldest are dropped (libsignal MAX_MESSAGE_KEYS). */
  maxSkippedPerChain: number;
  /** Skipped message keys kept per session over all its chains; the oldest chains lose theirs first. */
  maxSkippedTotal: number;
  /** Receiving chains kept per session (libsignal MAX_RECEIVER_CHAINS). */
  maxReceiverChains: number;
  /** Previous session states kept per address (libsignal ARCHIVED_STATES_MAX_LENGTH). */
  maxArchivedStates: number;
  /** A setup not answered within this many ms is no longer used to send (MAX_UNACKNOWLEDGED_SESSION_AGE). */
  maxUnacknowledgedAgeMs: number;
}

export const DEFAULT_LIMITS: Readonly<RatchetLimits> = Object.freeze({
  maxForwardJump: 25_000,
  maxSkippedPerChain: 2_000,
  maxSkippedTotal: 5_000,
  maxReceiverChains: 5,
  maxArchivedStates: 40,
  maxUnacknowledgedAgeMs: 30 * 24 * 60 * 60 * 1000,
});

export function skippedCount(state: SessionState): number {
  let n = 0;
  for (const c of state.receiverChains) n += c.skipped.size;
  return n;
}
