import { bytesEqual, copyBytes } from './bytes.js';
import type { IdentityKeyPair, KeyPair } from './keys.js';
import { SessionRecord } from './record.js';

/**
 * Storage interfaces, shaped like libsignal's (IdentityKeyStore, PreKeyStore, SignedPreKeyStore,
 * SessionStore) and asynchronous, so a client can back them with SQLite, IndexedDB or anything else.
 * Sessions are kept per remote *device* (Sesame): an address is a user name plus a device id.
 */

export interface ProtocolAddress {
  name: string;
  deviceId: number;
}

export function addressKey(a: ProtocolAddress): string {
  return `${a.name}.${a.deviceId}`;
}

export type Direction = 'sending' | 'receiving';

export interface IdentityKeyStore {
  getIdentityKeyPair(): Promise<IdentityKeyPair>;
  getLocalRegistrationId(): Promise<number>;
  /** Whether `identityKey` may be used for `address`: typically trust on first use, then only that key. */
  isTrustedIdentity(
    address: ProtocolAddress,
    identityKey: Uint8Array,
    direction: Direction,
  ): Promise<boolean>;
  /** Records the identity key for `address`; returns true if it replaced a different key. */
  saveIdentity(address: ProtocolAddress, identityKey: Uint8Array): Promise<boolean>;
  getIdentity(address: ProtocolAddress): Promise<Uint8Array | undefined>;
}

export interface PreKeyStore {
  loadPreKey(id: number): Promise<KeyPair | undefined>;
  storePreKey(id: number, keyPair: KeyPair): Promise<void>;
  removePreKey(id: number): Promise<void>;
}

export interface SignedPreKeyRecord {
  id: number;
  keyPair: KeyPair;
  signature: Uint8Array;
  /** Creation time (ms), for rotation policy. */
  timestamp: number;
}

export interface SignedPreKeyStore {
  loadSignedPreKey(id: number): Promise<SignedPreKeyRecord | undefined>;
  storeSignedPreKey(record: SignedPreKeyRecord): Promise<void>;
}

/**
 * A loaded record belongs to the caller until it calls storeSession; the session code changes a
 * record only once a message has been fully accepted, then stores it.
 */
export interface SessionStore {
  loadSession(address: ProtocolAddress): Promise<SessionRecord | undefined>;
  storeSession(address: ProtocolAddress, record: SessionRecord): Promise<void>;
}

export interface ProtocolStores {
  identity: IdentityKeyStore;
  preKeys: PreKeyStore;
  signedPreKeys: SignedPreKeyStore;
  sessions: SessionStore;
}

/** Trust on first use; a changed key is untrusted until the user accepts it (saveIdentity). */
export class InMemoryIdentityStore implements IdentityKeyStore {
  private readonly known = new Map<string, Uint8Array>();

  constructor(
    private readonly keyPair: IdentityKeyPair,
    private readonly registrationId: number,
  ) {}

  async getIdentityKeyPair(): Promise<IdentityKeyPair> {
    return this.keyPair;
  }
  async getLocalRegistrationId(): Promise<number> {
    return this.registrationId;
  }
  async isTrustedIdentity(address: ProtocolAddress, identityKey: Uint8Array): Promise<boolean> {
    const known = this.known.get(addressKey(address));
    return known === undefined || bytesEqual(known, identityKey);
  }
  async saveIdentity(address: ProtocolAddress, identityKey: Uint8Array): Promise<boolean> {
    const key = addressKey(address);
    const known = this.known.get(key);
    this.known.set(key, copyBytes(identityKey));
    return known !== undefined && !bytesEqual(known, identityKey);
  }
  async getIdentity(address: ProtocolAddress): Promise<Uint8Array | undefined> {
    return this.known.get(addressKey(address));
  }
}

export class InMemoryPreKeyStore implements PreKeyStore {
  private readonly keys = new Map<number, KeyPair>();
  async loadPreKey(id: number): Promise<KeyPair | undefined> {
    return this.keys.get(id);
  }
  async storePreKey(id: number, keyPair: KeyPair): Promise<void> {
    this.keys.set(id, keyPair);
  }
  async removePreKey(id: number): Promise<void> {
    this.keys.delete(id);
  }
  get size(): number {
    return this.keys.size;
  }
}

export class InMemorySignedPreKeyStore implements SignedPreKeyStore {
  private readonly records = new Map<number, SignedPreKeyRecord>();
  async loadSignedPreKey(id: number): Promise<SignedPreKeyRecord | undefined> {
    return this.records.get(id);
  }
  async storeSignedPreKey(record: SignedPreKeyRecord): Promise<void> {
    this.records.set(record.id, record);
  }
}

/**
 * Keeps records as objects (fast), or with `serialize: true` as bytes, which round-trips every record
 * through the JSON codec on each operation, as a persistent store would.
 */
export class InMemorySessionStore implements SessionStore {
  private readonly records = new Map<string, SessionRecord | Uint8Array>();
  constructor(private readonly options: { serialize?: boolean } = {}) {}

  async loadSession(address: ProtocolAddress): Promise<SessionRecord | undefined> {
    const r = this.records.get(addressKey(address));
    return r instanceof Uint8Array ? SessionRecord.deserialize(r) : r;
  }
  async storeSession(address: ProtocolAddress, record: SessionRecord): Promise<void> {
    this.records.set(addressKey(address), this.options.serialize ? record.serialize() : record);
  }
  async deleteSession(address: ProtocolAddress): Promise<void> {
    this.records.delete(addressKey(address));
  }
}

export interface InMemoryStores extends ProtocolStores {
  identity: InMemoryIdentityStore;
  preKeys: InMemoryPreKeyStore;
  signedPreKeys: InMemorySignedPreKeyStore;
  sessions: InMemorySessionStore;
}

export function createInMemoryStores(
  identityKeyPair: IdentityKeyPair,
  registrationId: number,
  options: { serializeSessions?: boolean } = {},
): InMemoryStores {
  return {
    identity: new InMemoryIdentityStore(identityKeyPair, registrationId),
    preKeys: new InMemoryPreKeyStore(),
    signedPreKeys: new InMemorySignedPreKeyStore(),
    sessions: new InMemorySessionStore({ serialize: options.serializeSessions ?? false }),
  };
}
