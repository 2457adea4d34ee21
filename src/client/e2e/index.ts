import { nodeCrypto } from '../../e2e/crypto-node.js';
import {
  type E2EError,
  generateIdentityKeyPair,
  generatePreKeys,
  generateRegistrationId,
  generateSignedPreKey,
  isE2EError,
  numericFingerprint,
  type PreKeyBundle,
  type ProtocolAddress,
  parsePreKeySignalMessage,
  processPreKeyBundle,
  SessionCipher,
  type SessionOptions,
} from '../../e2e/index.js';
import { ParleyError } from '../../protocol/errors.js';
import { deviceJid, parseUserJid, userJid } from '../../protocol/jid.js';
import {
  ENCRYPT_XMLNS,
  parseBundle,
  parseKeyId,
  registrationBytes,
  uploadNodes,
  type WirePrekey,
} from '../../protocol/prekeys.js';
import { child, children, contentText, decodeNode, encodeNode, type Node } from '../../wire/index.js';
import type { ParleyClient } from '../client.js';
import type { LocalKeys, PendingStanza, StoredMessage } from '../store.js';
import { E2ETransaction } from './stores.js';

export interface EncryptionOptions {
  /** One-time prekeys the directory should hold for us: replenishing tops up to this. */
  prekeyTarget?: number;
  /** Replenish at login when the directory holds fewer than this (the server notifies below its own). */
  lowWater?: number;
  /** A new signed prekey after this long (ms); default 7 days. */
  signedPreKeyRotateMs?: number;
  /** Signed prekeys kept locally (older ones may still be named by setup messages in flight). */
  keepSignedPreKeys?: number;
  /** One-time private keys kept locally at most (handed out but never used ones pile up otherwise). */
  keepPreKeys?: number;
  /** Retry receipts per (peer device, message), and resends per (peer device, message): the loop bound. */
  maxRetries?: number;
  /** The n-th resend waits (n − 1) × this (ms). */
  retryBackoffMs?: number;
  /** How long a user's device list is trusted before it is asked for again (ms). */
  deviceListTtlMs?: number;
  iqTimeoutMs?: number;
}

const DEFAULTS: Required<EncryptionOptions> = {
  prekeyTarget: 100,
  lowWater: 10,
  signedPreKeyRotateMs: 7 * 86_400_000,
  keepSignedPreKeys: 5,
  keepPreKeys: 2000,
  maxRetries: 2,
  retryBackoffMs: 2000,
  deviceListTtlMs: 10 * 60_000,
  iqTimeoutMs: 10_000,
};

/** One upload iq carries at most this many one-time prekeys (the server's default maxUpload). */
const UPLOAD_BATCH = 200;
/** Plaintexts are padded to a multiple of this, so ciphertext lengths do not give away message lengths. */
const PAD_BLOCK = 32;
/** The `v` of `<enc>`: the Signal message format version Parley speaks (libsignal v3 messages). */
export const ENC_VERSION = '2';

/** The result of decrypting one incoming message. */
export type Decrypted =
  | { status: 'ok'; message: StoredMessage | undefined; isNew: boolean }
  | { status: 'failed'; error: string };

/**
 * End-to-end encryption for one device (docs/protocol.md §7): keeps this device's keys in the
 * directory, encrypts each message once per recipient device (and for our own other devices), decrypts
 * what arrives, and repairs broken sessions with retry receipts. All session work runs one message at a
 * time under one lock, and every change is committed together with the message it belongs to.
 */
export class Encryption {
  readonly o: Required<EncryptionOptions>;
  private local: LocalKeys | undefined;
  private lock: Promise<unknown> = Promise.resolve();
  private keysChain: Promise<unknown> = Promise.resolve();
  private readonly deviceLists = new Map<string, { devices: number[] | 'unknown'; at: number }>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly session: SessionOptions = { crypto: nodeCrypto };

  constructor(
    private readonly c: ParleyClient,
    options: EncryptionOptions = {},
  ) {
    this.o = { ...DEFAULTS, ...options };
  }

  private get store() {
    return this.c.store.e2e;
  }

  private get me(): string {
    return this.c.identity.user;
  }

  // ---- our keys ----

  /** This device's identity and first signed prekey, generated once (at registration or first start). */
  async localKeys(): Promise<LocalKeys> {
    if (this.local) return this.local;
    let k = await this.store.getLocalKeys();
    if (!k) {
      const identity = generateIdentityKeyPair(nodeCrypto);
      k = {
        identity: { publicKey: identity.publicKey, privateKey: identity.privateKey },
        registrationId: generateRegistrationId(nodeCrypto),
        nextPreKeyId: 1,
        nextSignedPreKeyId: 1,
      };
      await this.store.setLocalKeys(k);
      await this.newSignedPreKey(k);
    }
    this.local = k;
    return k;
  }

  private async newSignedPreKey(k: LocalKeys): Promise<number> {
    const id = k.nextSignedPreKeyId;
    const s = generateSignedPreKey(k.identity, id, nodeCrypto);
    k.nextSignedPreKeyId = (id % 0xfffffe) + 1;
    await this.store.addSignedPreKey(
      {
        id,
        publicKey: s.keyPair.publicKey,
        privateKey: s.keyPair.privateKey,
        signature: s.signature,
        createdAt: s.timestamp,
      },
      k.nextSignedPreKeyId,
      this.o.keepSignedPreKeys,
    );
    return id;
  }

  /** Runs key maintenance one at a time (login sync and replenish notifications may overlap). */
  private keyTask<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.keysChain.then(fn, fn);
    this.keysChain = run.catch(() => {});
    return run;
  }

  /**
   * After each login: the directory must hold our identity, our newest signed prekey (rotated when due)
   * and enough one-time prekeys; whatever is missing or different is uploaded.
   */
  syncKeys(): Promise<void> {
    return this.keyTask(async () => {
      const k = await this.localKeys();
      const answer = await this.c.iq(encryptIq('get', [{ tag: 'count', attrs: {} }]), this.o.iqTimeoutMs);
      const count = child(answer, 'count');
      const held = Number(count?.attrs.value ?? 0);
      const theirIdentity = count && child(count, 'identity')?.content;
      let [newest] = await this.store.signedPreKeys();
      if (!newest || Date.now() - newest.createdAt > this.o.signedPreKeyRotateMs) {
        await this.newSignedPreKey(k);
        [newest] = await this.store.signedPreKeys();
      }
      const spk = { id: newest!.id, publicKey: newest!.publicKey, signature: newest!.signature };
      const sameIdentity =
        theirIdentity instanceof Uint8Array && bytesEqual(theirIdentity, k.identity.publicKey);
      if (!sameIdentity) {
        // New device, or the directory lost or replaced our keys: everything, with fresh one-time prekeys.
        const fresh = await this.generatePreKeys(k, this.o.prekeyTarget);
        await this.upload({
          identity: { key: k.identity.publicKey, registrationId: k.registrationId },
          signedPrekey: spk,
          prekeys: fresh.slice(0, UPLOAD_BATCH),
        });
        for (let i = UPLOAD_BATCH; i < fresh.length; i += UPLOAD_BATCH)
          await this.upload({ prekeys: fresh.slice(i, i + UPLOAD_BATCH) });
        return;
      }
      if (parseKeyId(count?.attrs.skey) !== newest!.id) await this.upload({ signedPrekey: spk });
      if (held < this.o.lowWater) await this.topUp(k, held);
    });
  }

  /** The server said we are running low (`<notification type="encrypt"><count value/>`). */
  replenish(): Promise<void> {
    return this.keyTask(async () => {
      const k = await this.localKeys();
      const answer = await this.c.iq(encryptIq('get', [{ tag: 'count', attrs: {} }]), this.o.iqTimeoutMs);
      const held = Number(child(answer, 'count')?.attrs.value ?? 0);
      if (held < this.o.prekeyTarget) await this.topUp(k, held);
    });
  }

  private async topUp(k: LocalKeys, held: number): Promise<void> {
    const fresh = await this.generatePreKeys(k, this.o.prekeyTarget - held);
    for (let i = 0; i < fresh.length; i += UPLOAD_BATCH)
      await this.upload({ prekeys: fresh.slice(i, i + UPLOAD_BATCH) });
  }

  /** New one-time prekeys, stored locally before the directory ever hands one out. */
  private async generatePreKeys(k: LocalKeys, n: number): Promise<WirePrekey[]> {
    if (n <= 0) return [];
    const keys = generatePreKeys(k.nextPreKeyId, n, nodeCrypto);
    k.nextPreKeyId = (keys[keys.length - 1]!.id % 0xfffffe) + 1;
    await this.store.addPreKeys(
      keys.map((p) => ({ id: p.id, publicKey: p.keyPair.publicKey, privateKey: p.keyPair.privateKey })),
      k.nextPreKeyId,
    );
    await this.store.prunePreKeys(this.o.keepPreKeys);
    return keys.map((p) => ({ id: p.id, publicKey: p.keyPair.publicKey }));
  }

  private async upload(u: Parameters<typeof uploadNodes>[0]): Promise<void> {
    await this.c.iq(encryptIq('set', uploadNodes(u)), this.o.iqTimeoutMs);
  }

  // ---- devices and sessions ----

  /** The devices of `user` that can receive ('unknown': no such account), from a short-lived cache. */
  async devicesOf(users: string[], refresh = false): Promise<Map<string, number[] | 'unknown'>> {
    const out = new Map<string, number[] | 'unknown'>();
    const ask: string[] = [];
    const now = Date.now();
    for (const u of users) {
      const hit = this.deviceLists.get(u);
      if (!refresh && hit && now - hit.at < this.o.deviceListTtlMs) out.set(u, hit.devices);
      else ask.push(u);
    }
    if (ask.length > 0) {
      const answer = await this.c.iq(
        encryptIq('get', [
          {
            tag: 'devices',
            attrs: {},
            content: ask.map((u) => ({ tag: 'user', attrs: { jid: userJid(u) } })),
          },
        ]),
        this.o.iqTimeoutMs,
      );
      for (const n of children(child(answer, 'devices') ?? { tag: 'devices', attrs: {} })) {
        const u = parseUserJid(n.attrs.jid ?? '')?.user;
        if (!u || !ask.includes(u)) continue;
        const devices: number[] | 'unknown' =
          n.attrs.error !== undefined
            ? 'unknown'
            : children(n)
                .map((d) => Number(d.attrs.id))
                .filter(Number.isInteger);
        this.deviceLists.set(u, { devices, at: now });
        out.set(u, devices);
      }
    }
    return out;
  }

  /** Device lists change: the next send asks again. */
  forgetDevices(...users: string[]): void {
    for (const u of users) this.deviceLists.delete(u);
  }

  /** A message came from a device the cached list does not have: the list is stale. */
  private noteDevice(user: string, device: number): void {
    const hit = this.deviceLists.get(user);
    if (hit && (hit.devices === 'unknown' || !hit.devices.includes(device))) this.deviceLists.delete(user);
  }

  /** Fetches bundles for these devices (one-time prekeys are used up by this). */
  private async fetchBundles(targets: ProtocolAddress[]): Promise<Map<string, PreKeyBundle>> {
    const out = new Map<string, PreKeyBundle>();
    for (let i = 0; i < targets.length; i += 16) {
      const batch = targets.slice(i, i + 16);
      const answer = await this.c.iq(
        encryptIq('get', [
          {
            tag: 'key',
            attrs: {},
            content: batch.map((t) => ({ tag: 'user', attrs: { jid: deviceJid(t.name, t.deviceId) } })),
          },
        ]),
        this.o.iqTimeoutMs,
      );
      for (const n of children(child(answer, 'list') ?? { tag: 'list', attrs: {} })) {
        const jid = parseUserJid(n.attrs.jid ?? '');
        if (!jid || jid.device === undefined || n.attrs.error !== undefined) continue;
        const b = parseBundle(n, jid.user, jid.device);
        if (!b) continue;
        out.set(deviceJid(b.user, b.device), {
          registrationId: b.registrationId,
          deviceId: b.device,
          preKeyId: b.prekey?.id,
          preKey: b.prekey?.publicKey,
          signedPreKeyId: b.signedPrekey.id,
          signedPreKey: b.signedPrekey.publicKey,
          signedPreKeySignature: b.signedPrekey.signature,
          identityKey: b.identityKey,
        });
      }
    }
    return out;
  }

  /** The devices a message to `to` is encrypted for: the recipient's and our own other devices. */
  private async targetsFor(to: string): Promise<ProtocolAddress[]> {
    const users = to === this.me ? [this.me] : [to, this.me];
    const lists = await this.devicesOf(users);
    const theirs = lists.get(to);
    if (theirs === undefined || theirs === 'unknown') throw new ParleyError('recipient_unknown', `+${to}`);
    if (to !== this.me && theirs.length === 0) throw new ParleyError('no_keys', `+${to}`);
    const mine = lists.get(this.me);
    const own = mine === undefined || mine === 'unknown' ? [] : mine;
    const targets = to === this.me ? [] : theirs.map((d) => ({ name: to, deviceId: d }));
    for (const d of own) if (d !== this.c.identity.device) targets.push({ name: this.me, deviceId: d });
    return targets;
  }

  /**
   * Starts sessions with the targets that have none (all of them with `fresh`), from bundles fetched
   * before taking the lock; returns the targets that can be encrypted to now.
   */
  private async withSessions<T>(
    targets: ProtocolAddress[],
    fresh: boolean,
    fn: (tx: E2ETransaction, ready: ProtocolAddress[]) => Promise<T>,
  ): Promise<T> {
    const base = await this.transaction();
    const missing: ProtocolAddress[] = [];
    for (const t of targets) {
      if (fresh || !(await new SessionCipher(base, t, this.session).hasOpenSession())) missing.push(t);
    }
    const bundles = missing.length > 0 ? await this.fetchBundles(missing) : new Map<string, PreKeyBundle>();
    return this.exclusive(async () => {
      const tx = await this.transaction();
      const ready: ProtocolAddress[] = [];
      for (const t of targets) {
        if (missing.includes(t)) {
          const b = bundles.get(deviceJid(t.name, t.deviceId));
          if (!b || b.deviceId !== t.deviceId || !(await this.startSession(tx, t, b))) continue;
        }
        ready.push(t);
      }
      return fn(tx, ready);
    });
  }

  /** X3DH from a bundle; a changed identity key is accepted (and reported), as WhatsApp does. */
  private async startSession(tx: E2ETransaction, t: ProtocolAddress, b: PreKeyBundle): Promise<boolean> {
    try {
      await processPreKeyBundle(tx, t, b, this.session);
      return true;
    } catch (err) {
      if (isE2EError(err, 'untrusted_identity')) {
        await tx.identity.saveIdentity(t, b.identityKey);
        await processPreKeyBundle(tx, t, b, this.session);
        return true;
      }
      if (isE2EError(err)) {
        // A bundle that does not verify came from a broken or dishonest server: not this device.
        this.c.fire('warning', {
          message: `unusable keys for ${deviceJid(t.name, t.deviceId)}: ${err.message}`,
        });
        return false;
      }
      throw err;
    }
  }

  private async transaction(): Promise<E2ETransaction> {
    return new E2ETransaction(this.store, await this.localKeys());
  }

  /** Session work one message at a time. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => {});
    return run;
  }

  private announce(changed: { user: string; device: number }[]): void {
    for (const c of changed) this.c.fire('identity-changed', c);
  }

  // ---- sending ----

  /**
   * Encrypts a pending message (its plain form: `<message id to type …><body/>…</message>`) for every
   * device that should get it, and commits the sessions together with its encrypted form, which
   * replaces the pending entry: every later resend is these exact bytes.
   */
  async encryptPending(p: PendingStanza, plain: Node): Promise<Node> {
    const to = parseUserJid(plain.attrs.to ?? '');
    if (!to) throw new ParleyError('bad_request', `bad address ${plain.attrs.to}`);
    const targets =
      to.device !== undefined ? [{ name: to.user, deviceId: to.device }] : await this.targetsFor(to.user);
    const body = children(plain).filter((n) => n.tag !== 'participants');
    const forThem = pad(encodeNode({ tag: 'content', attrs: {}, content: body }));
    // Our own devices learn the conversation from inside the encryption, not from the server's `to`.
    const chat = plain.attrs.chat ?? (to.device === undefined ? userJid(to.user) : undefined);
    const forUs = pad(encodeNode({ tag: 'content', attrs: chat ? { dest: chat } : {}, content: body }));
    const fresh = plain.attrs.retry !== undefined;
    return this.withSessions(targets, fresh, async (tx, ready) => {
      if (to.device !== undefined && ready.length === 0)
        throw new ParleyError('item_not_found', plain.attrs.to);
      const entries: Node[] = [];
      for (const t of ready) {
        const m = await new SessionCipher(tx, t, this.session).encrypt(t.name === this.me ? forUs : forThem);
        entries.push({
          tag: 'to',
          attrs: { jid: deviceJid(t.name, t.deviceId) },
          content: [{ tag: 'enc', attrs: { v: ENC_VERSION, type: m.type }, content: m.body }],
        });
      }
      const { chat: _local, ...attrs } = plain.attrs;
      const out: Node = {
        tag: 'message',
        attrs,
        content: [{ tag: 'participants', attrs: {}, content: entries }],
      };
      const r = await this.store.commit(tx.writes(Date.now()), {
        pending: { key: p.key, stanza: encodeNode(out), plain: p.stanza },
      });
      this.announce(r.changedIdentities);
      return out;
    });
  }

  // ---- receiving ----

  /**
   * Decrypts `<enc>` from a device and commits the session with the message: both or neither. A
   * changed identity key in a setup message is accepted (and reported); any other failure leaves every
   * session as it was.
   */
  async decrypt(node: Node, enc: Node, from: { user: string; device: number }): Promise<Decrypted> {
    const type = enc.attrs.type;
    const body = enc.content;
    this.noteDevice(from.user, from.device);
    if ((type !== 'pkmsg' && type !== 'msg') || !(body instanceof Uint8Array))
      return { status: 'failed', error: 'invalid_message' };
    const addr = { name: from.user, deviceId: from.device };
    return this.exclusive(async () => {
      const tx = await this.transaction();
      let plaintext: Uint8Array;
      try {
        try {
          plaintext = await new SessionCipher(tx, addr, this.session).decrypt(type, body);
        } catch (err) {
          if (!isE2EError(err, 'untrusted_identity') || type !== 'pkmsg') throw err;
          await tx.identity.saveIdentity(addr, parsePreKeySignalMessage(body).identityKey);
          plaintext = await new SessionCipher(tx, addr, this.session).decrypt(type, body);
        }
      } catch (err) {
        return { status: 'failed', error: isE2EError(err) ? (err as E2EError).code : (err as Error).message };
      }
      const message = this.messageOf(node, from, plaintext);
      if (!message)
        this.c.fire('warning', {
          message: `undecodable content in ${node.attrs.id} from ${node.attrs.from}`,
        });
      const r = await this.store.commit(tx.writes(Date.now()), message ? { message } : {});
      this.announce(r.changedIdentities);
      return { status: 'ok', message, isNew: r.newMessage };
    });
  }

  /** The stored form of a decrypted message, or undefined when its content is not a Parley node. */
  private messageOf(node: Node, from: { user: string }, plaintext: Uint8Array): StoredMessage | undefined {
    let content: Node;
    try {
      content = decodeNode(unpad(plaintext));
    } catch {
      return undefined;
    }
    if (content.tag !== 'content') return undefined;
    const mine = from.user === this.me;
    // A copy of what another of our devices sent: the conversation is named inside the encryption.
    const chat = mine ? parseUserJid(content.attrs.dest ?? node.attrs.to ?? '')?.user : from.user;
    if (!chat) return undefined;
    const b = child(content, 'body');
    return {
      chat,
      id: node.attrs.id!,
      sender: from.user,
      outgoing: mine,
      text: b ? (contentText(b) ?? '') : '',
      t: Number(node.attrs.t ?? 0),
      status: mine ? 'sent' : 'delivered',
    };
  }

  /**
   * A message from `from` could not be decrypted: ask that device to set up a new session and send it
   * again, at most `maxRetries` times per message; then give up and tell the user.
   */
  async askRetry(
    from: { user: string; device: number },
    id: string,
    t: string | undefined,
    chat: string,
    error: string,
  ) {
    const jid = deviceJid(from.user, from.device);
    const n = await this.store.bumpRetry('asked', jid, id);
    const retrying = n <= this.o.maxRetries;
    this.c.fire('undecryptable', { chat, id, from: jid, error, retrying });
    if (!retrying) return;
    const k = await this.localKeys();
    const retry: Node = { tag: 'retry', attrs: t ? { count: String(n), t } : { count: String(n) } };
    await this.c.sendReliable(`receipt:${id}:retry`, {
      tag: 'receipt',
      attrs: { id, to: jid, type: 'retry' },
      content: [retry, { tag: 'registration', attrs: {}, content: registrationBytes(k.registrationId) }],
    });
  }

  /**
   * A device could not decrypt our message `id`: after a backoff, a new session from a fresh bundle
   * and the message again, for that device only. Bounded per (device, message), so two broken peers
   * cannot keep each other busy.
   */
  async onRetryReceipt(fromJid: string, id: string): Promise<void> {
    const from = parseUserJid(fromJid);
    if (!from || from.device === undefined) return;
    const m = await this.c.store.getOutgoing(id);
    // Only a device of the conversation (or one of ours) may ask for a message again.
    if (!m || (from.user !== this.me && from.user !== m.chat)) return;
    const n = await this.store.bumpRetry('resent', fromJid, id);
    if (n > this.o.maxRetries) {
      this.c.fire('warning', { message: `${fromJid} still cannot decrypt ${id}: not sending it again` });
      return;
    }
    const resend = async () => {
      await this.c.sendReliable(`retry:${fromJid}:${id}:${n}`, {
        tag: 'message',
        attrs: {
          id,
          to: deviceJid(from.user, from.device!),
          type: 'text',
          retry: String(n),
          chat: userJid(m.chat),
        },
        content: [{ tag: 'body', attrs: {}, content: new TextEncoder().encode(m.text) }],
      });
    };
    const delay = (n - 1) * this.o.retryBackoffMs;
    if (delay <= 0) return resend();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      resend().catch((err: Error) => this.c.fire('warning', { message: err.message }));
    }, delay);
    this.timers.add(timer);
  }

  // ---- trust ----

  /**
   * The safety number with `user` (60 digits): our identity key and the contact's primary device's
   * (device 0, else their lowest), fetched and trusted on first use if we have never talked.
   */
  async safetyNumber(
    user: string,
  ): Promise<{ digits: string; verified: boolean; changed: boolean; device: number }> {
    let known = await this.store.identities(user);
    if (known.length === 0) {
      const targets = (await this.targetsFor(user)).filter((t) => t.name === user);
      await this.withSessions(targets, false, async (tx) => {
        const r = await this.store.commit(tx.writes(Date.now()));
        this.announce(r.changedIdentities);
      });
      known = await this.store.identities(user);
    }
    const primary = known.find((i) => i.device === 0) ?? known[0];
    if (!primary) throw new ParleyError('no_keys', `+${user}`);
    const k = await this.localKeys();
    const fp = numericFingerprint({
      localId: this.me,
      localIdentityKey: k.identity.publicKey,
      remoteId: user,
      remoteIdentityKey: primary.key,
      crypto: nodeCrypto,
    });
    const status = await this.identityStatus(user);
    return { digits: fp.displayable, ...status, device: primary.device };
  }

  /** Whether the contact is marked verified, and whether a key of theirs changed since (a warning). */
  async identityStatus(user: string): Promise<{ verified: boolean; changed: boolean }> {
    const known = await this.store.identities(user);
    const verified = known.length > 0 && known.every((i) => i.verified);
    const changed = known.some((i) => i.changedAt !== undefined && !i.verified);
    return { verified, changed };
  }

  markVerified(user: string, verified = true): Promise<void> {
    return this.store.setVerified(user, verified);
  }

  /** Deletes the session with a peer device (tests and a user's "reset session"). */
  async resetSession(user: string, device: number): Promise<void> {
    await this.exclusive(() => this.store.deleteSession(user, device));
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

export function encryptIq(type: 'get' | 'set', content: Node[]): Node {
  return { tag: 'iq', attrs: { id: '', type, xmlns: ENCRYPT_XMLNS, to: 's.us' }, content };
}

/** A pending stanza that is a message not yet encrypted. */
export function needsEncryption(n: Node): boolean {
  return n.tag === 'message' && !children(n).some((c) => c.tag === 'participants');
}

function pad(b: Uint8Array): Uint8Array {
  const n = PAD_BLOCK - (b.length % PAD_BLOCK);
  const out = new Uint8Array(b.length + n);
  out.set(b);
  out.fill(n, b.length);
  return out;
}

function unpad(b: Uint8Array): Uint8Array {
  const n = b[b.length - 1] ?? 0;
  if (n < 1 || n > PAD_BLOCK || n > b.length) throw new Error('bad padding');
  for (let i = b.length - n; i < b.length; i++) if (b[i] !== n) throw new Error('bad padding');
  return b.subarray(0, b.length - n);
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
