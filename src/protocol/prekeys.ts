import { children, contentBytes, type Node } from '../wire/index.js';

/**
 * The prekey directory's stanzas (docs/protocol.md §7), built and parsed in one place so server and SDK
 * agree on them. Parsing checks shape and sizes only; what the keys mean (curve type, signatures) is
 * checked by the caller with src/e2e. Every parser returns undefined for anything malformed.
 */

export const ENCRYPT_XMLNS = 'encrypt';
/** Key ids are 24-bit in libsignal clients (1 … 2^24 − 2 used; 0 is never an id). */
export const MAX_KEY_ID = 0xffffff;
/** Registration ids are 14-bit, non-zero (libsignal KeyHelper). */
export const MAX_REGISTRATION_ID = 0x3fff;
export const PUBLIC_KEY_BYTES = 33;
export const SIGNATURE_BYTES = 64;

export interface WirePrekey {
  id: number;
  /** 33 bytes, 0x05 ‖ X25519 public key. */
  publicKey: Uint8Array;
}

export interface WireSignedPrekey extends WirePrekey {
  /** XEdDSA signature of the identity key over the 33-byte public key. */
  signature: Uint8Array;
}

/** An `encrypt` set: any of the three parts (the first upload of a device needs identity and skey). */
export interface KeyUpload {
  identity?: { key: Uint8Array; registrationId: number };
  signedPrekey?: WireSignedPrekey;
  prekeys?: WirePrekey[];
}

/** One device's bundle, as the directory hands it out. */
export interface WireBundle {
  user: string;
  device: number;
  registrationId: number;
  identityKey: Uint8Array;
  signedPrekey: WireSignedPrekey;
  prekey?: WirePrekey;
}

const ID_RE = /^[1-9][0-9]{0,7}$/;

export function parseKeyId(s: string | undefined): number | undefined {
  if (s === undefined || !ID_RE.test(s)) return undefined;
  const n = Number(s);
  return n <= MAX_KEY_ID ? n : undefined;
}

export function parseRegistrationId(s: string | undefined): number | undefined {
  if (s === undefined || !/^[1-9][0-9]{0,4}$/.test(s)) return undefined;
  const n = Number(s);
  return n <= MAX_REGISTRATION_ID ? n : undefined;
}

const bytesNode = (tag: string, attrs: Record<string, string>, b: Uint8Array): Node => ({
  tag,
  attrs,
  content: b,
});

function exactBytes(n: Node | undefined, length: number): Uint8Array | undefined {
  if (!n || Object.keys(n.attrs).length > 0) return undefined;
  const b = contentBytes(n);
  return b instanceof Uint8Array && b.length === length ? b : undefined;
}

/** `<skey id><value>33</value><signature>64</signature></skey>` */
export function signedPrekeyNode(k: WireSignedPrekey): Node {
  return {
    tag: 'skey',
    attrs: { id: String(k.id) },
    content: [bytesNode('value', {}, k.publicKey), bytesNode('signature', {}, k.signature)],
  };
}

export function parseSignedPrekey(n: Node): WireSignedPrekey | undefined {
  const id = parseKeyId(n.attrs.id);
  if (n.tag !== 'skey' || id === undefined || Object.keys(n.attrs).length !== 1) return undefined;
  if (!Array.isArray(n.content) || n.content.length !== 2) return undefined;
  const [v, s] = n.content;
  if (v?.tag !== 'value' || s?.tag !== 'signature') return undefined;
  const publicKey = exactBytes(v, PUBLIC_KEY_BYTES);
  const signature = exactBytes(s, SIGNATURE_BYTES);
  return publicKey && signature ? { id, publicKey, signature } : undefined;
}

/** `<key id>33 bytes</key>` */
export function prekeyNode(k: WirePrekey): Node {
  return bytesNode('key', { id: String(k.id) }, k.publicKey);
}

export function parsePrekey(n: Node): WirePrekey | undefined {
  const id = parseKeyId(n.attrs.id);
  if (n.tag !== 'key' || id === undefined || Object.keys(n.attrs).length !== 1) return undefined;
  const b = contentBytes(n);
  return b instanceof Uint8Array && b.length === PUBLIC_KEY_BYTES ? { id, publicKey: b } : undefined;
}

/** The children of an upload iq: `<identity registration>`, `<skey>`, `<list><key/>…</list>`. */
export function uploadNodes(u: KeyUpload): Node[] {
  const out: Node[] = [];
  if (u.identity)
    out.push(bytesNode('identity', { registration: String(u.identity.registrationId) }, u.identity.key));
  if (u.signedPrekey) out.push(signedPrekeyNode(u.signedPrekey));
  if (u.prekeys) out.push({ tag: 'list', attrs: {}, content: u.prekeys.map(prekeyNode) });
  return out;
}

/**
 * An upload's parts, or undefined when malformed: unknown or repeated children, wrong sizes, bad ids,
 * a prekey id twice, more than `maxPrekeys` keys in the list.
 */
export function parseUpload(nodes: Node[], maxPrekeys: number): KeyUpload | undefined {
  const u: KeyUpload = {};
  if (nodes.length === 0) return undefined;
  for (const n of nodes) {
    if (n.tag === 'identity' && !u.identity) {
      const registrationId = parseRegistrationId(n.attrs.registration);
      const b = contentBytes(n);
      if (registrationId === undefined || Object.keys(n.attrs).length !== 1) return undefined;
      if (!(b instanceof Uint8Array) || b.length !== PUBLIC_KEY_BYTES) return undefined;
      u.identity = { key: b, registrationId };
    } else if (n.tag === 'skey' && !u.signedPrekey) {
      const k = parseSignedPrekey(n);
      if (!k) return undefined;
      u.signedPrekey = k;
    } else if (n.tag === 'list' && !u.prekeys) {
      if (!Array.isArray(n.content) || Object.keys(n.attrs).length > 0) return undefined;
      if (n.content.length > maxPrekeys) return undefined;
      const keys: WirePrekey[] = [];
      const ids = new Set<number>();
      for (const k of n.content) {
        const p = parsePrekey(k);
        if (!p || ids.has(p.id)) return undefined;
        ids.add(p.id);
        keys.push(p);
      }
      u.prekeys = keys;
    } else return undefined;
  }
  return u;
}

/** `<user jid="<device jid>" registration><identity/><skey/>[<key/>]</user>` */
export function bundleNode(jid: string, b: WireBundle): Node {
  const content: Node[] = [bytesNode('identity', {}, b.identityKey), signedPrekeyNode(b.signedPrekey)];
  if (b.prekey) content.push(prekeyNode(b.prekey));
  return { tag: 'user', attrs: { jid, registration: String(b.registrationId) }, content };
}

/** A bundle for `user`/`device` (taken from the jid by the caller), or undefined when malformed. */
export function parseBundle(n: Node, user: string, device: number): WireBundle | undefined {
  const registrationId = parseRegistrationId(n.attrs.registration);
  if (n.tag !== 'user' || registrationId === undefined) return undefined;
  const kids = children(n);
  if (kids.length < 2 || kids.length > 3 || kids[0]!.tag !== 'identity') return undefined;
  const identityKey = exactBytes(kids[0], PUBLIC_KEY_BYTES);
  const signedPrekey = kids[1] && parseSignedPrekey(kids[1]);
  const prekey = kids[2] && parsePrekey(kids[2]);
  if (!identityKey || !signedPrekey || (kids[2] && !prekey)) return undefined;
  const b: WireBundle = { user, device, registrationId, identityKey, signedPrekey };
  if (prekey) b.prekey = prekey;
  return b;
}

/** A 4-byte big-endian registration id, as retry receipts carry it. */
export function registrationBytes(id: number): Uint8Array {
  return Uint8Array.of(id >>> 24, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff);
}

export function parseRegistrationBytes(b: Uint8Array | undefined): number | undefined {
  if (!(b instanceof Uint8Array) || b.length !== 4) return undefined;
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}
