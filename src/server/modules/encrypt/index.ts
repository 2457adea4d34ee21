import { randomBytes } from 'node:crypto';
import { nodeCrypto } from '../../../e2e/crypto-node.js';
import { checkPublicKey, isE2EError, xeddsaVerify } from '../../../e2e/index.js';
import { ParleyError } from '../../../protocol/errors.js';
import { deviceJid, parseUserJid, userJid } from '../../../protocol/jid.js';
import {
  bundleNode,
  ENCRYPT_XMLNS,
  type KeyUpload,
  parseUpload,
  type WireBundle,
} from '../../../protocol/prekeys.js';
import { children, type Node, SERVER } from '../../../wire/index.js';
import { unixSeconds } from '../../core/clock.js';
import { defineModule, type ModuleContext } from '../../core/module.js';
import type { Session } from '../../core/session.js';
import type { PrekeyBundle } from '../../storage/types.js';
import { ackKey, type DeliverRequest, deliveryFor } from '../delivery/service.js';
import { SlidingWindow } from '../register/limits.js';

/** Users (or devices) one `devices` or `key` query may name. */
export const MAX_QUERY_JIDS = 16;

/**
 * The prekey directory (docs/protocol.md §7), iq `xmlns="encrypt"`: a device uploads its identity key,
 * signed prekey and one-time prekeys (`set`); asks how many one-time prekeys it has left (`<count/>`);
 * lists a user's devices that can receive (`<devices>`); and fetches bundles (`<key>`), each one-time
 * prekey handed out once. A device running low is sent `<notification type="encrypt"><count/></…>`.
 * Only public keys and signatures reach the server; it checks every key's type and every signed
 * prekey's XEdDSA signature before storing anything.
 */
export const encrypt = defineModule({
  name: 'encrypt',
  setup(ctx) {
    const dir = new Directory(ctx);
    ctx.router.iq(ENCRYPT_XMLNS, async ({ session, node }) => {
      const kids = children(node);
      if (node.attrs.type === 'set') return dir.upload(session, kids);
      const q = kids[0];
      if (kids.length !== 1 || !q) throw new ParleyError('bad_request', 'one query child expected');
      switch (q.tag) {
        case 'count':
          return dir.count(session);
        case 'devices':
          return dir.devices(session, q);
        case 'key':
          return dir.fetch(session, q);
        default:
          throw new ParleyError('bad_request', `unknown encrypt query <${q.tag}>`);
      }
    });
  },
});

class Directory {
  private readonly fetches: SlidingWindow;

  constructor(private readonly ctx: ModuleContext) {
    this.fetches = new SlidingWindow(ctx.config.encrypt.bundlesPerMinute, 60_000, ctx.clock);
  }

  private get cfg() {
    return this.ctx.config.encrypt;
  }

  async upload(session: Session, kids: Node[]): Promise<Node[]> {
    const u = parseUpload(kids, this.cfg.maxUpload);
    if (!u)
      throw new ParleyError(
        'bad_request',
        `expected <identity registration>, <skey id><value/><signature/></skey>, <list> of at most ${this.cfg.maxUpload} <key id>`,
      );
    const store = this.ctx.storage.prekeys;
    const stored = await store.getKeys(session.user, session.device);
    const identityKey = u.identity?.key ?? stored?.identityKey;
    if (!identityKey)
      throw new ParleyError('bad_request', 'upload the identity key and a signed prekey first');
    checkKeys(u);
    const newIdentity =
      u.identity !== undefined && !(stored && sameBytes(stored.identityKey, u.identity.key));
    if (newIdentity && !u.signedPrekey)
      throw new ParleyError('bad_request', 'a new identity key needs a signed prekey in the same upload');
    const spk = u.signedPrekey;
    if (spk && !xeddsaVerify(identityKey, spk.publicKey, spk.signature, nodeCrypto))
      throw new ParleyError('bad_request', `the signature of signed prekey ${spk.id} does not verify`);
    const r = await store.upload({
      user: session.user,
      device: session.device,
      now: this.ctx.clock.now(),
      ...(u.identity ? { identity: u.identity } : {}),
      ...(spk ? { signedPrekey: spk } : {}),
      ...(u.prekeys ? { prekeys: u.prekeys } : {}),
      keepSigned: this.cfg.keepSignedPrekeys,
      maxPrekeys: this.cfg.maxPrekeys,
    });
    if (r.status === 'no_identity') throw new ParleyError('bad_request', 'upload the identity key first');
    if (r.status === 'too_many')
      throw new ParleyError(
        'too_large',
        `at most ${this.cfg.maxPrekeys} one-time prekeys (${r.count} stored)`,
      );
    if (newIdentity) this.ctx.log.info({ device: session.jid }, 'device identity key set');
    return [{ tag: 'count', attrs: { value: String(r.count) } }];
  }

  /** `<count value [skey]>[<identity/>]</count>`: what the directory holds for the asking device. */
  async count(session: Session): Promise<Node[]> {
    const store = this.ctx.storage.prekeys;
    const keys = await store.getKeys(session.user, session.device);
    const attrs: Record<string, string> = {
      value: String(await store.count(session.user, session.device)),
    };
    const [newest] = keys ? await store.signedPrekeys(session.user, session.device) : [];
    if (newest) attrs.skey = String(newest.id);
    const out: Node = { tag: 'count', attrs };
    if (keys) out.content = [{ tag: 'identity', attrs: {}, content: keys.identityKey }];
    return [out];
  }

  /** `<devices><user jid>…`: per user, the devices that can receive (own user: this device included). */
  async devices(_session: Session, q: Node): Promise<Node[]> {
    const users = this.queryJids(q, false);
    const out: Node[] = [];
    for (const { jid, user } of users) {
      if (!(await this.ctx.storage.accounts.getAccount(user))) {
        out.push({ tag: 'user', attrs: { jid, error: 'recipient_unknown' } });
        continue;
      }
      const ready = await this.ctx.storage.prekeys.readyDevices(user);
      out.push({
        tag: 'user',
        attrs: { jid },
        content: ready.map((d) => ({ tag: 'device', attrs: { id: String(d) } })),
      });
    }
    return [{ tag: 'devices', attrs: {}, content: out }];
  }

  /**
   * `<key><user jid/>…</key>`: a bundle per device (a user JID means all its devices that can receive,
   * never the asking device). Each one-time prekey is deleted as it is handed out.
   */
  async fetch(session: Session, q: Node): Promise<Node[]> {
    const wanted = this.queryJids(q, true);
    const out: Node[] = [];
    const plan: { user: string; devices: number[] }[] = [];
    for (const { jid, user, device } of wanted) {
      const ready = await this.ctx.storage.prekeys.readyDevices(user);
      const mine = (d: number) => user === session.user && d === session.device;
      if (device !== undefined) {
        if (ready.includes(device) && !mine(device)) plan.push({ user, devices: [device] });
        else out.push({ tag: 'user', attrs: { jid, error: 'item_not_found' } });
      } else if (!(await this.ctx.storage.accounts.getAccount(user))) {
        out.push({ tag: 'user', attrs: { jid, error: 'recipient_unknown' } });
      } else plan.push({ user, devices: ready.filter((d) => !mine(d)) });
    }
    const total = plan.reduce((n, p) => n + p.devices.length, 0);
    const key = session.jid;
    // Every bundle counts against the asking device's budget: draining others' prekeys is not free.
    for (let i = 0; i < total; i++) {
      const wait = this.fetches.wait(key);
      if (wait > 0) throw new ParleyError('rate_overlimit', 'too many bundles', Math.ceil(wait / 1000));
      this.fetches.hit(key);
    }
    for (const p of plan) {
      for (const { bundle, remaining } of await this.ctx.storage.prekeys.takeBundles(p.user, p.devices)) {
        out.push(bundleNode(deviceJid(bundle.user, bundle.device), toWire(bundle)));
        if (remaining < this.cfg.lowWater) await this.runningLow(bundle.user, bundle.device, remaining);
      }
    }
    return [{ tag: 'list', attrs: {}, content: out }];
  }

  /** Tells a device, once per shortage, to upload more one-time prekeys (queued: it may be offline). */
  private async runningLow(user: string, device: number, remaining: number): Promise<void> {
    try {
      if (!(await this.ctx.storage.prekeys.markLowNotified(user, device))) return;
      const delivery = deliveryFor(this.ctx);
      const now = this.ctx.clock.now();
      const id = `enc.${randomBytes(8).toString('hex')}`;
      const recipients = [{ user, device }];
      const req: DeliverRequest = {
        sender: SERVER,
        id,
        kind: 'notification',
        key: ackKey('notification', SERVER, id),
        recipients,
        stanza: {
          tag: 'notification',
          attrs: { id, from: SERVER, type: 'encrypt', t: unixSeconds(now) },
          content: [{ tag: 'count', attrs: { value: String(remaining) } }],
        },
        now,
      };
      const r = await delivery.accept(req);
      delivery.offer(req, r);
    } catch (err) {
      // The fetch itself succeeded; the device will learn at its next `count` query.
      this.ctx.log.warn({ err, user, device }, 'queueing a prekey notification failed');
    }
  }

  private queryJids(q: Node, devices: boolean): { jid: string; user: string; device?: number }[] {
    const kids = children(q);
    if (Object.keys(q.attrs).length > 0 || kids.length === 0 || kids.length > MAX_QUERY_JIDS)
      throw new ParleyError('bad_request', `1 to ${MAX_QUERY_JIDS} <user jid/> expected`);
    const seen = new Set<string>();
    return kids.map((k) => {
      const jid = k.attrs.jid;
      const parsed = jid === undefined ? undefined : parseUserJid(jid);
      if (
        k.tag !== 'user' ||
        !parsed ||
        Object.keys(k.attrs).length !== 1 ||
        k.content !== undefined ||
        (!devices && parsed.device !== undefined) ||
        seen.has(jid!)
      )
        throw new ParleyError('bad_request', `bad <user jid="${jid ?? ''}"/>`);
      seen.add(jid!);
      return parsed.device === undefined
        ? { jid: userJid(parsed.user), user: parsed.user }
        : { jid: jid!, user: parsed.user, device: parsed.device };
    });
  }
}

/** Every key must be a 33-byte Curve25519 key (type 0x05); anything else is refused before storing. */
function checkKeys(u: KeyUpload): void {
  try {
    if (u.identity) checkPublicKey(u.identity.key);
    if (u.signedPrekey) checkPublicKey(u.signedPrekey.publicKey);
    for (const k of u.prekeys ?? []) checkPublicKey(k.publicKey);
  } catch (err) {
    if (isE2EError(err)) throw new ParleyError('bad_request', err.message);
    throw err;
  }
}

function toWire(b: PrekeyBundle): WireBundle {
  const w: WireBundle = {
    user: b.user,
    device: b.device,
    registrationId: b.registrationId,
    identityKey: b.identityKey,
    signedPrekey: {
      id: b.signedPrekey.id,
      publicKey: b.signedPrekey.publicKey,
      signature: b.signedPrekey.signature,
    },
  };
  if (b.prekey) w.prekey = b.prekey;
  return w;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
