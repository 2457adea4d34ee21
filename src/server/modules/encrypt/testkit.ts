import { nodeCrypto } from '../../../e2e/crypto-node.js';
import {
  createInMemoryStores,
  generateIdentityKeyPair,
  generatePreKeys,
  generateRegistrationId,
  generateSignedPreKey,
  type InMemoryStores,
  type KeyPair,
  type PreKeyRecord,
  type SignedPreKeyRecord,
} from '../../../e2e/index.js';
import { ENCRYPT_XMLNS, type KeyUpload, uploadNodes } from '../../../protocol/prekeys.js';
import type { Node } from '../../../wire/index.js';
import type { TestSession } from '../../testing/harness.js';

/** A device's end-to-end key material, as a client generates it, with in-memory stores to use it. */
export interface DeviceKeyMaterial {
  identity: KeyPair;
  registrationId: number;
  signed: SignedPreKeyRecord;
  prekeys: PreKeyRecord[];
  stores: InMemoryStores;
}

export function deviceKeys(
  o: { prekeys?: number; firstId?: number; signedId?: number } = {},
): DeviceKeyMaterial {
  const identity = generateIdentityKeyPair(nodeCrypto);
  const registrationId = generateRegistrationId(nodeCrypto);
  const signed = generateSignedPreKey(identity, o.signedId ?? 1, nodeCrypto);
  const prekeys = generatePreKeys(o.firstId ?? 1, o.prekeys ?? 5, nodeCrypto);
  const stores = createInMemoryStores(identity, registrationId);
  void stores.signedPreKeys.storeSignedPreKey(signed);
  for (const p of prekeys) void stores.preKeys.storePreKey(p.id, p.keyPair);
  return { identity, registrationId, signed, prekeys, stores };
}

/** The upload for this material (all of it, or the parts named). */
export function uploadOf(
  k: DeviceKeyMaterial,
  parts: ('identity' | 'skey' | 'list')[] = ['identity', 'skey', 'list'],
): KeyUpload {
  const u: KeyUpload = {};
  if (parts.includes('identity'))
    u.identity = { key: k.identity.publicKey, registrationId: k.registrationId };
  if (parts.includes('skey'))
    u.signedPrekey = {
      id: k.signed.id,
      publicKey: k.signed.keyPair.publicKey,
      signature: k.signed.signature,
    };
  if (parts.includes('list'))
    u.prekeys = k.prekeys.map((p) => ({ id: p.id, publicKey: p.keyPair.publicKey }));
  return u;
}

let nextIq = 0;

export function encryptIq(type: 'get' | 'set', content: Node[]): Node {
  return { tag: 'iq', attrs: { id: `e${++nextIq}`, type, xmlns: ENCRYPT_XMLNS }, content };
}

/** Sends an iq and resolves with its answer (result or error). */
export async function iq(s: TestSession, node: Node): Promise<Node> {
  const from = s.received.length;
  await s.write(node);
  return s.waitFor((n) => n.tag === 'iq' && n.attrs.id === node.attrs.id, 2000, from);
}

export const upload = (s: TestSession, u: KeyUpload): Promise<Node> =>
  iq(s, encryptIq('set', uploadNodes(u)));

/** The `reason` of an iq error, or undefined for a result. */
export function iqErrorOf(n: Node): string | undefined {
  if (n.attrs.type !== 'error') return undefined;
  return Array.isArray(n.content) ? n.content[0]?.attrs.reason : 'error';
}
