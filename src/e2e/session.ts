import { E2EError } from './errors.js';
import { withAddressLock } from './lock.js';
import {
  encodePreKeySignalMessage,
  parsePreKeySignalMessage,
  parseSignalMessage,
  type SignalMessage,
} from './messages.js';
import { type ResolvedOptions, resolveOptions, type SessionOptions } from './options.js';
import { initBobSession, planDecrypt, ratchetEncrypt } from './ratchet.js';
import { SessionRecord } from './record.js';
import type { SessionState } from './state.js';
import { addressKey, type ProtocolAddress, type ProtocolStores } from './store.js';

/**
 * The session API, per remote device address, modelled on libsignal's session_cipher.rs/session.rs:
 * processPreKeyBundle (builder.ts) starts a session; SessionCipher encrypts ('pkmsg' until the peer
 * answers, then 'msg') and decrypts. Every operation on one address runs under a per-address lock (load-modify-store
 * on one record must not interleave), and a message that is not accepted leaves the stored record
 * exactly as it was.
 */

export type MessageType = 'pkmsg' | 'msg';

export interface EncryptedMessage {
  type: MessageType;
  body: Uint8Array;
}

interface RecordDecryption {
  plaintext: Uint8Array;
  state: SessionState;
  commit(): void;
  /** Index in record.previous of the archived state that decrypted, or -1 for the current one. */
  previousIndex: number;
}

export class SessionCipher {
  private readonly o: ResolvedOptions;

  constructor(
    private readonly stores: ProtocolStores,
    readonly address: ProtocolAddress,
    options?: SessionOptions,
  ) {
    this.o = resolveOptions(options);
  }

  /** Whether a session exists that can be used to send. */
  async hasOpenSession(): Promise<boolean> {
    const state = (await this.stores.sessions.loadSession(this.address))?.current;
    return state !== undefined && !this.isStale(state);
  }

  private isStale(state: SessionState): boolean {
    const p = state.pendingPreKey;
    return p !== undefined && this.o.now() - p.timestamp > this.o.limits.maxUnacknowledgedAgeMs;
  }

  encrypt(plaintext: Uint8Array): Promise<EncryptedMessage> {
    const { stores, address } = this;
    return withAddressLock(stores.sessions, address, async () => {
      const record = await stores.sessions.loadSession(address);
      const state = record?.current;
      if (record === undefined || state === undefined) {
        throw new E2EError('no_session', `no session with ${addressKey(address)}`);
      }
      if (this.isStale(state))
        throw new E2EError('no_session', `session with ${addressKey(address)} went stale`);
      if (!(await stores.identity.isTrustedIdentity(address, state.remoteIdentityKey, 'sending'))) {
        throw new E2EError('untrusted_identity', `identity key of ${addressKey(address)} is not trusted`);
      }
      const message = ratchetEncrypt(this.o.crypto, state, plaintext);
      const pending = state.pendingPreKey;
      const result: EncryptedMessage =
        pending === undefined
          ? { type: 'msg', body: message }
          : {
              type: 'pkmsg',
              body: encodePreKeySignalMessage({
                registrationId: state.localRegistrationId,
                preKeyId: pending.preKeyId,
                signedPreKeyId: pending.signedPreKeyId,
                baseKey: pending.baseKey,
                identityKey: state.localIdentityKey,
                message,
              }),
            };
      await stores.identity.saveIdentity(address, state.remoteIdentityKey);
      await stores.sessions.storeSession(address, record);
      return result;
    });
  }

  decrypt(type: MessageType, body: Uint8Array): Promise<Uint8Array> {
    if (type === 'pkmsg') return this.decryptPreKey(body);
    if (type === 'msg') return this.decryptSignal(body);
    return Promise.reject(new E2EError('invalid_message', `unknown message type ${String(type)}`));
  }

  private async decryptSignal(body: Uint8Array): Promise<Uint8Array> {
    const msg = parseSignalMessage(body);
    const { stores, address } = this;
    return withAddressLock(stores.sessions, address, async () => {
      const stored = await stores.sessions.loadSession(address);
      if (stored === undefined) throw new E2EError('no_session', `no session with ${addressKey(address)}`);
      const record = stored.shallowCopy();
      const result = this.decryptWithRecord(record, msg);
      return this.accept(record, result, undefined);
    });
  }

  private async decryptPreKey(body: Uint8Array): Promise<Uint8Array> {
    const msg = parsePreKeySignalMessage(body);
    const { stores, address } = this;
    const { crypto, limits } = this.o;
    return withAddressLock(stores.sessions, address, async () => {
      if (!(await stores.identity.isTrustedIdentity(address, msg.identityKey, 'receiving'))) {
        throw new E2EError('untrusted_identity', `identity key of ${addressKey(address)} changed`);
      }
      const record = (await stores.sessions.loadSession(address))?.shallowCopy() ?? new SessionRecord();
      let usedPreKeyId: number | undefined;
      // A re-delivered setup message must reach the session it created, before any prekey lookup: its
      // one-time prekey is already gone.
      const match = record.findByBaseKey(msg.version, msg.baseKey);
      if (match !== undefined) {
        if (match.index >= 0) record.promotePrevious(match.index, limits.maxArchivedStates);
      } else {
        const signed = await stores.signedPreKeys.loadSignedPreKey(msg.signedPreKeyId);
        if (signed === undefined)
          throw new E2EError('invalid_prekey_id', `no signed prekey ${msg.signedPreKeyId}`);
        let oneTime: Awaited<ReturnType<typeof stores.preKeys.loadPreKey>>;
        if (msg.preKeyId !== undefined) {
          oneTime = await stores.preKeys.loadPreKey(msg.preKeyId);
          if (oneTime === undefined)
            throw new E2EError('invalid_prekey_id', `no one-time prekey ${msg.preKeyId}`);
          usedPreKeyId = msg.preKeyId;
        }
        const state = initBobSession(crypto, {
          ourIdentity: await stores.identity.getIdentityKeyPair(),
          ourSignedPreKey: signed.keyPair,
          ourOneTimePreKey: oneTime,
          theirIdentity: msg.identityKey,
          theirBaseKey: msg.baseKey,
          localRegistrationId: await stores.identity.getLocalRegistrationId(),
          remoteRegistrationId: msg.registrationId,
        });
        record.promoteState(state, limits.maxArchivedStates);
      }
      const result = this.decryptWithRecord(record, msg.message);
      const plaintext = await this.accept(record, result, msg.identityKey);
      if (usedPreKeyId !== undefined) await stores.preKeys.removePreKey(usedPreKeyId);
      return plaintext;
    });
  }

  /** Tries the current state, then the archived ones; a duplicate is final (libsignal does the same). */
  private decryptWithRecord(record: SessionRecord, msg: SignalMessage): RecordDecryption {
    const errors: unknown[] = [];
    const candidates = record.current === undefined ? record.previous : [record.current, ...record.previous];
    const offset = record.current === undefined ? 0 : 1;
    for (let i = 0; i < candidates.length; i++) {
      const state = candidates[i]!;
      try {
        const plan = planDecrypt(this.o.crypto, state, msg, this.o.limits);
        return { plaintext: plan.plaintext, state, commit: plan.commit, previousIndex: i - offset };
      } catch (e) {
        if (e instanceof E2EError && e.code === 'duplicate_message') throw e;
        errors.push(e);
      }
    }
    if (errors.length === 0) throw new E2EError('no_session', `no session with ${addressKey(this.address)}`);
    throw errors[0];
  }

  /** Trust check, then commit and store: nothing is changed unless the message is accepted. */
  private async accept(
    record: SessionRecord,
    result: RecordDecryption,
    identityKey: Uint8Array | undefined,
  ): Promise<Uint8Array> {
    const { stores, address } = this;
    const remote = identityKey ?? result.state.remoteIdentityKey;
    if (
      identityKey === undefined &&
      !(await stores.identity.isTrustedIdentity(address, remote, 'receiving'))
    ) {
      throw new E2EError('untrusted_identity', `identity key of ${addressKey(address)} is not trusted`);
    }
    result.commit();
    if (result.previousIndex >= 0)
      record.promotePrevious(result.previousIndex, this.o.limits.maxArchivedStates);
    await stores.identity.saveIdentity(address, remote);
    await stores.sessions.storeSession(address, record);
    return result.plaintext;
  }
}
