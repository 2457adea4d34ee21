import {
  addressKey,
  constantTimeEqual,
  type IdentityKeyPair,
  type IdentityKeyStore,
  isE2EError,
  type KeyPair,
  type PreKeyStore,
  type ProtocolAddress,
  type ProtocolStores,
  SessionRecord,
  type SessionStore,
  type SignedPreKeyRecord,
  type SignedPreKeyStore,
} from '../../e2e/index.js';
import type { E2EStore, E2EWrites, LocalKeys } from '../store.js';

/**
 * The Signal protocol stores (src/e2e's interfaces) over the client store, as a transaction: reads see
 * the persisted state plus this transaction's own writes, and writes stay here until the caller commits
 * them in one go with what they produced (`E2EStore.commit`). One transaction per message, under the
 * SDK's encryption lock, so no two ever interleave.
 */
export class E2ETransaction implements ProtocolStores {
  readonly identity: IdentityKeyStore;
  readonly preKeys: PreKeyStore;
  readonly signedPreKeys: SignedPreKeyStore;
  readonly sessions: SessionStore;
  private readonly sessionWrites = new Map<string, { address: ProtocolAddress; record: SessionRecord }>();
  private readonly identityWrites = new Map<string, { address: ProtocolAddress; key: Uint8Array }>();
  private readonly usedPreKeys = new Set<number>();

  constructor(store: E2EStore, local: LocalKeys) {
    const self = this;
    const keyPair: IdentityKeyPair = {
      publicKey: local.identity.publicKey,
      privateKey: local.identity.privateKey,
    };
    const knownKey = async (a: ProtocolAddress): Promise<Uint8Array | undefined> =>
      self.identityWrites.get(addressKey(a))?.key ?? (await store.getIdentity(a.name, a.deviceId))?.key;
    this.identity = {
      getIdentityKeyPair: async () => keyPair,
      getLocalRegistrationId: async () => local.registrationId,
      // Trust on first use; a changed key is untrusted until the SDK accepts it (saveIdentity).
      async isTrustedIdentity(a, key) {
        const known = await knownKey(a);
        return known === undefined || constantTimeEqual(known, key);
      },
      async saveIdentity(a, key) {
        const known = await knownKey(a);
        if (known !== undefined && constantTimeEqual(known, key)) return false;
        self.identityWrites.set(addressKey(a), { address: a, key: Uint8Array.from(key) });
        return known !== undefined;
      },
      getIdentity: knownKey,
    };
    this.preKeys = {
      async loadPreKey(id): Promise<KeyPair | undefined> {
        if (self.usedPreKeys.has(id)) return undefined;
        const k = await store.getPreKey(id);
        return k && { publicKey: k.publicKey, privateKey: k.privateKey };
      },
      async storePreKey() {
        throw new Error('prekeys are generated outside message transactions');
      },
      async removePreKey(id) {
        self.usedPreKeys.add(id);
      },
    };
    this.signedPreKeys = {
      async loadSignedPreKey(id): Promise<SignedPreKeyRecord | undefined> {
        const k = await store.getSignedPreKey(id);
        return (
          k && {
            id: k.id,
            keyPair: { publicKey: k.publicKey, privateKey: k.privateKey },
            signature: k.signature,
            timestamp: k.createdAt,
          }
        );
      },
      async storeSignedPreKey() {
        throw new Error('signed prekeys are generated outside message transactions');
      },
    };
    this.sessions = {
      async loadSession(a) {
        const mine = self.sessionWrites.get(addressKey(a));
        if (mine) return mine.record;
        const bytes = await store.getSession(a.name, a.deviceId);
        if (!bytes) return undefined;
        try {
          return SessionRecord.deserialize(bytes);
        } catch (err) {
          // A record we cannot read is no session: the peer's next setup message starts a new one.
          if (isE2EError(err, 'invalid_state')) return undefined;
          throw err;
        }
      },
      async storeSession(a, record) {
        self.sessionWrites.set(addressKey(a), { address: a, record });
      },
    };
  }

  writes(now: number): E2EWrites {
    return {
      sessions: [...this.sessionWrites.values()].map((w) => ({
        user: w.address.name,
        device: w.address.deviceId,
        record: w.record.serialize(),
      })),
      identities: [...this.identityWrites.values()].map((w) => ({
        user: w.address.name,
        device: w.address.deviceId,
        key: w.key,
      })),
      removePreKeys: [...this.usedPreKeys],
      now,
    };
  }
}
