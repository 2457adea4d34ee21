import { bytesEqual, fromBase64, toBase64, utf8Bytes } from './bytes.js';
import { E2EError } from './errors.js';
import type { ChainKey, PendingPreKey, ReceiverChain, SessionState } from './state.js';

/**
 * All sessions with one remote device: the current one (used to send) and up to `maxArchivedStates`
 * previous ones, still tried when decrypting (Sesame: a message may arrive on a session the peer has
 * not yet abandoned; libsignal's SessionRecord does the same). Serialises to JSON (bytes = UTF-8).
 */
export class SessionRecord {
  current: SessionState | undefined;
  /** Most recently archived first. */
  previous: SessionState[];

  constructor(current?: SessionState, previous: SessionState[] = []) {
    this.current = current;
    this.previous = previous;
  }

  /** A copy sharing the state objects: reorder freely, then store it in place of the original. */
  shallowCopy(): SessionRecord {
    return new SessionRecord(this.current, [...this.previous]);
  }

  /** Makes `state` current, archiving the old current one (libsignal promote_state). */
  promoteState(state: SessionState, maxArchived: number): void {
    if (this.current !== undefined) this.previous.unshift(this.current);
    this.current = state;
    if (this.previous.length > maxArchived) this.previous.length = maxArchived;
  }

  /** Moves the archived state at `index` to current (after it decrypted a message). */
  promotePrevious(index: number, maxArchived: number): void {
    const [state] = this.previous.splice(index, 1);
    if (state !== undefined) this.promoteState(state, maxArchived);
  }

  /** The state (current or archived) set up from this initiator base key, if any. */
  findByBaseKey(version: number, baseKey: Uint8Array): { state: SessionState; index: number } | undefined {
    if (this.current?.version === version && bytesEqual(this.current.aliceBaseKey, baseKey)) {
      return { state: this.current, index: -1 };
    }
    const index = this.previous.findIndex(
      (s) => s.version === version && bytesEqual(s.aliceBaseKey, baseKey),
    );
    return index < 0 ? undefined : { state: this.previous[index]!, index };
  }

  /** Stop sending on the current session (e.g. after the peer reset); it stays available to decrypt. */
  archiveCurrentState(maxArchived: number): void {
    if (this.current === undefined) return;
    this.previous.unshift(this.current);
    this.current = undefined;
    if (this.previous.length > maxArchived) this.previous.length = maxArchived;
  }

  toJSON(): unknown {
    return {
      v: 1,
      current: this.current && stateToJson(this.current),
      previous: this.previous.map(stateToJson),
    };
  }

  serialize(): Uint8Array {
    return utf8Bytes(JSON.stringify(this.toJSON()));
  }

  static fromJSON(json: unknown): SessionRecord {
    try {
      const o = obj(json);
      if (o.v !== 1) throw new Error(`unknown record version ${String(o.v)}`);
      const previous = o.previous;
      if (!Array.isArray(previous)) throw new Error('previous is not an array');
      return new SessionRecord(
        o.current === undefined || o.current === null ? undefined : stateFromJson(o.current),
        previous.map(stateFromJson),
      );
    } catch (e) {
      if (e instanceof E2EError) throw e;
      throw new E2EError('invalid_state', `session record: ${(e as Error).message}`, { cause: e });
    }
  }

  static deserialize(bytes: Uint8Array): SessionRecord {
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch (e) {
      throw new E2EError('invalid_state', 'session record is not JSON', { cause: e });
    }
    return SessionRecord.fromJSON(json);
  }
}

const b64 = toBase64;

function chainToJson(c: ChainKey): unknown {
  return { key: b64(c.key), index: c.index };
}

function stateToJson(s: SessionState): unknown {
  return {
    version: s.version,
    localIdentityKey: b64(s.localIdentityKey),
    remoteIdentityKey: b64(s.remoteIdentityKey),
    localRegistrationId: s.localRegistrationId,
    remoteRegistrationId: s.remoteRegistrationId,
    rootKey: b64(s.rootKey),
    senderRatchet: { publicKey: b64(s.senderRatchet.publicKey), privateKey: b64(s.senderRatchet.privateKey) },
    senderChain: chainToJson(s.senderChain),
    previousCounter: s.previousCounter,
    receiverChains: s.receiverChains.map((c) => ({
      ratchetKey: b64(c.ratchetKey),
      chainKey: chainToJson(c.chainKey),
      skipped: [...c.skipped].map(([i, seed]) => [i, b64(seed)]),
    })),
    pendingPreKey: s.pendingPreKey && { ...s.pendingPreKey, baseKey: b64(s.pendingPreKey.baseKey) },
    aliceBaseKey: b64(s.aliceBaseKey),
  };
}

// ---- strict parsing: a corrupt store must fail loudly (invalid_state), not produce a half-state ----

function obj(x: unknown): Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new Error('expected an object');
  return x as Record<string, unknown>;
}

function u32(x: unknown, what: string): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > 0xffffffff)
    throw new Error(`bad ${what}`);
  return x;
}

function bytes(x: unknown, length: number, what: string): Uint8Array {
  if (typeof x !== 'string') throw new Error(`bad ${what}`);
  const b = fromBase64(x);
  if (b.length !== length) throw new Error(`bad ${what} length`);
  return b;
}

function chainFromJson(x: unknown): ChainKey {
  const o = obj(x);
  return { key: bytes(o.key, 32, 'chain key'), index: u32(o.index, 'chain index') };
}

function receiverFromJson(x: unknown): ReceiverChain {
  const o = obj(x);
  if (!Array.isArray(o.skipped)) throw new Error('bad skipped keys');
  const skipped = new Map<number, Uint8Array>();
  for (const entry of o.skipped) {
    if (!Array.isArray(entry) || entry.length !== 2) throw new Error('bad skipped key entry');
    skipped.set(u32(entry[0], 'skipped counter'), bytes(entry[1], 32, 'skipped seed'));
  }
  return { ratchetKey: bytes(o.ratchetKey, 33, 'ratchet key'), chainKey: chainFromJson(o.chainKey), skipped };
}

function pendingFromJson(x: unknown): PendingPreKey | undefined {
  if (x === undefined || x === null) return undefined;
  const o = obj(x);
  return {
    preKeyId: o.preKeyId === undefined || o.preKeyId === null ? undefined : u32(o.preKeyId, 'prekey id'),
    signedPreKeyId: u32(o.signedPreKeyId, 'signed prekey id'),
    baseKey: bytes(o.baseKey, 33, 'base key'),
    timestamp: typeof o.timestamp === 'number' ? o.timestamp : 0,
  };
}

function stateFromJson(x: unknown): SessionState {
  const o = obj(x);
  const ratchet = obj(o.senderRatchet);
  if (!Array.isArray(o.receiverChains)) throw new Error('bad receiver chains');
  return {
    version: u32(o.version, 'version'),
    localIdentityKey: bytes(o.localIdentityKey, 33, 'local identity'),
    remoteIdentityKey: bytes(o.remoteIdentityKey, 33, 'remote identity'),
    localRegistrationId: u32(o.localRegistrationId, 'local registration id'),
    remoteRegistrationId: u32(o.remoteRegistrationId, 'remote registration id'),
    rootKey: bytes(o.rootKey, 32, 'root key'),
    senderRatchet: {
      publicKey: bytes(ratchet.publicKey, 33, 'sender ratchet public key'),
      privateKey: bytes(ratchet.privateKey, 32, 'sender ratchet private key'),
    },
    senderChain: chainFromJson(o.senderChain),
    previousCounter: u32(o.previousCounter, 'previous counter'),
    receiverChains: o.receiverChains.map(receiverFromJson),
    pendingPreKey: pendingFromJson(o.pendingPreKey),
    aliceBaseKey: bytes(o.aliceBaseKey, 33, 'base key'),
  };
}
