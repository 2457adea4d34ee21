import { E2EError } from './errors.js';
import { generateKeyPair } from './keys.js';
import { withAddressLock } from './lock.js';
import { resolveOptions, type SessionOptions } from './options.js';
import { initAliceSession } from './ratchet.js';
import { SessionRecord } from './record.js';
import { addressKey, type ProtocolAddress, type ProtocolStores } from './store.js';
import { type PreKeyBundle, verifyBundle } from './x3dh.js';

/**
 * Starting a session from a peer device's prekey bundle (libsignal session.rs process_prekey_bundle):
 * identity trust, signature check, X3DH, then the new session becomes current for that address and
 * marks its messages as PreKeySignalMessages until the peer answers.
 */

/** Verifies a bundle and makes a new initiator session with it the current one for `address`. */
export function processPreKeyBundle(
  stores: ProtocolStores,
  address: ProtocolAddress,
  bundle: PreKeyBundle,
  options?: SessionOptions,
): Promise<void> {
  const { crypto, limits, now } = resolveOptions(options);
  return withAddressLock(stores.sessions, address, async () => {
    if (!(await stores.identity.isTrustedIdentity(address, bundle.identityKey, 'sending'))) {
      throw new E2EError('untrusted_identity', `identity key of ${addressKey(address)} changed`);
    }
    verifyBundle(crypto, bundle);
    const baseKey = generateKeyPair(crypto);
    const state = initAliceSession(crypto, {
      ourIdentity: await stores.identity.getIdentityKeyPair(),
      ourBaseKey: baseKey,
      theirIdentity: bundle.identityKey,
      theirSignedPreKey: bundle.signedPreKey,
      theirOneTimePreKey: bundle.preKey,
      localRegistrationId: await stores.identity.getLocalRegistrationId(),
      remoteRegistrationId: bundle.registrationId,
    });
    state.pendingPreKey = {
      preKeyId: bundle.preKeyId,
      signedPreKeyId: bundle.signedPreKeyId,
      baseKey: baseKey.publicKey,
      timestamp: now(),
    };
    await stores.identity.saveIdentity(address, bundle.identityKey);
    const record = (await stores.sessions.loadSession(address))?.shallowCopy() ?? new SessionRecord();
    record.promoteState(state, limits.maxArchivedStates);
    await stores.sessions.storeSession(address, record);
  });
}
