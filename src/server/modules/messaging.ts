import type { ErrorCode } from '../../protocol/errors.js';
import { deviceJid, parseUserJid } from '../../protocol/jid.js';
import type { Attrs, Node } from '../../wire/index.js';
import { unixSeconds } from '../core/clock.js';
import { defineModule } from '../core/module.js';
import { errorAck } from '../core/router.js';
import type { Recipient, Storage } from '../storage/types.js';
import { isStanzaId, recipientsOf } from './delivery/recipients.js';
import { ackKey, type DeliverRequest, deliveryFor } from './delivery/service.js';

/** Attributes only the server sets: a client's values are dropped, never forwarded. */
const SERVER_ATTRS = new Set(['id', 'from', 'to', 'type', 't', 'offline']);
/** `<to>` entries one message may carry: every device of two users, with room to spare. */
export const MAX_PARTICIPANTS = 512;
const ENC_TYPES = new Set(['pkmsg', 'msg']);

/**
 * One-to-one messages (docs/protocol.md §5, §7): validate, stamp `from` and `t`, store one copy per
 * recipient device durably, ack the sender, then hand the copies to live sessions. The server never
 * looks inside the content. An end-to-end encrypted message carries one `<enc>` per device in
 * `<participants><to jid><enc/></to>…</participants>`: it must name exactly the devices that can
 * receive, and each device is sent only its own `<enc>`. Needs the `offline` module, which makes
 * sessions live and takes acks.
 */
export const messaging = defineModule({
  name: 'messaging',
  setup(ctx) {
    const delivery = deliveryFor(ctx);

    ctx.hooks.on('stanza.message', async ({ session, node }) => {
      const { id, to, type, retry } = node.attrs;
      // A refused resend names its device and count too, so the sender knows which one failed.
      const refuse = (code: ErrorCode): void => {
        const ack = errorAck(node, code);
        if (retry !== undefined && to !== undefined) Object.assign(ack.attrs, { retry, to });
        session.send(ack);
      };
      const jid = to === undefined ? undefined : parseUserJid(to);
      const parts = participantsOf(node);
      if (
        !isStanzaId(id) ||
        !jid ||
        !type ||
        node.content instanceof Uint8Array ||
        parts === 'bad' ||
        // A resend asked for by a retry receipt goes to that one device.
        (retry !== undefined && (!/^[1-9]$/.test(retry) || jid.device === undefined))
      ) {
        refuse('bad_request');
        return true;
      }
      // A device address is a message for that one device (e.g. a re-encryption it asked for): the
      // sender's other devices get no copy of it.
      let recipients = await recipientsOf(ctx.storage, session, jid, jid.device === undefined);
      if (!recipients) {
        refuse('recipient_unknown');
        return true;
      }
      const now = ctx.clock.now();
      const t = unixSeconds(now);
      let stanzas: Node[] | undefined;
      if (parts) {
        // Only devices with keys can decrypt; the sender must have encrypted for each of them, and for
        // nothing else (a stale device list is answered so the client fetches it again).
        recipients = await ready(ctx.storage, recipients);
        const jids = recipients.map((r) => deviceJid(r.user, r.device));
        if (jids.length !== parts.size || !jids.every((j) => parts.has(j))) {
          refuse('device_mismatch');
          return true;
        }
        stanzas = jids.map((j) => stamp(node, session.jid, to!, t, parts.get(j)));
      }
      const stanza = stamp(node, session.jid, to!, t);
      try {
        const req: DeliverRequest = {
          sender: session.jid,
          // A resend for one device is a new delivery of the same message id: its own idempotency entry.
          id: retry === undefined ? id : `retry:${retry}:${to}:${id}`,
          kind: 'message',
          key: ackKey('message', session.jid, id),
          recipients,
          stanza,
          ...(stanzas ? { stanzas } : {}),
          now,
        };
        const r = await delivery.accept(req);
        if (r.status === 'full') {
          refuse('queue_full');
          return true;
        }
        // Durable now: only from here may the sender forget the message.
        const ack: Attrs = { class: 'message', id, t: unixSeconds(r.t) };
        if (retry !== undefined) Object.assign(ack, { retry, to: to! });
        session.send({ tag: 'ack', attrs: ack });
        delivery.offer(req, r);
      } catch (err) {
        ctx.log.error({ err, from: session.jid }, 'storing a message failed');
        refuse('internal');
      }
      return true;
    });
  },
});

/**
 * The per-device ciphertexts of `<participants>`, by device JID; undefined when the message has none
 * (its content is relayed as it is), 'bad' when malformed: more than one `<participants>`, an entry
 * that is not `<to jid="<device jid>"><enc v type>bytes</enc></to>`, a device named twice.
 */
function participantsOf(node: Node): Map<string, Node> | undefined | 'bad' {
  if (!Array.isArray(node.content)) return undefined;
  const found = node.content.filter((c) => c.tag === 'participants');
  if (found.length === 0) return undefined;
  const p = found[0]!;
  if (found.length > 1 || Object.keys(p.attrs).length > 0 || p.content instanceof Uint8Array) return 'bad';
  const entries = p.content ?? [];
  if (entries.length > MAX_PARTICIPANTS) return 'bad';
  const out = new Map<string, Node>();
  for (const e of entries) {
    const jid = e.attrs.jid;
    const parsed = jid === undefined ? undefined : parseUserJid(jid);
    if (e.tag !== 'to' || !parsed || parsed.device === undefined || Object.keys(e.attrs).length !== 1)
      return 'bad';
    const canonical = deviceJid(parsed.user, parsed.device);
    if (out.has(canonical) || !Array.isArray(e.content) || e.content.length !== 1) return 'bad';
    const enc = e.content[0]!;
    const body = enc.content;
    if (enc.tag !== 'enc' || !enc.attrs.v || !ENC_TYPES.has(enc.attrs.type ?? '')) return 'bad';
    if (!(body instanceof Uint8Array) || body.length === 0) return 'bad';
    out.set(canonical, enc);
  }
  return out;
}

/** The recipients whose devices can receive end-to-end encrypted messages (they have keys). */
async function ready(storage: Storage, recipients: Recipient[]): Promise<Recipient[]> {
  const byUser = new Map<string, Set<number>>();
  for (const r of recipients) {
    if (!byUser.has(r.user)) byUser.set(r.user, new Set(await storage.prekeys.readyDevices(r.user)));
  }
  return recipients.filter((r) => byUser.get(r.user)!.has(r.device));
}

/**
 * The stanza recipients get: `<message id from to type … t>`, the client's other attributes kept in
 * their order between `type` and `t`, its children untouched — except that `<participants>` is
 * replaced by the one `<enc>` meant for this device.
 */
function stamp(node: Node, from: string, to: string, t: string, enc?: Node): Node {
  const attrs: Attrs = { id: node.attrs.id!, from, to, type: node.attrs.type! };
  for (const [k, v] of Object.entries(node.attrs)) if (!SERVER_ATTRS.has(k)) attrs[k] = v;
  attrs.t = t;
  const out: Node = { tag: 'message', attrs };
  if (Array.isArray(node.content))
    out.content = enc
      ? node.content.map((c) => (c.tag === 'participants' ? enc : c))
      : node.content.filter((c) => c.tag !== 'participants');
  else if (node.content !== undefined) out.content = node.content;
  return out;
}
