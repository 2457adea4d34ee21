import { parseUserJid, userJid } from '../../protocol/jid.js';
import { type Attrs, child, type Node } from '../../wire/index.js';
import { unixSeconds } from '../core/clock.js';
import { defineModule } from '../core/module.js';
import { errorAck } from '../core/router.js';
import { isStanzaId, recipientsOf } from './delivery/recipients.js';
import { ackKey, type DeliverRequest, deliveryFor } from './delivery/service.js';

/** Most ids one receipt may carry in its `<list>`: a chat's worth of unread messages, not a flood. */
export const MAX_LIST_ITEMS = 1000;

const TYPES = new Set(['read', 'played', 'retry']);

/**
 * Receipts (docs/protocol.md §5): `<receipt id to [type]>` with no type meaning delivered, optionally
 * more ids in `<list><item id/></list>`. Queued like messages for every device of the addressee, so a
 * sender learns on each of its devices; the reader's other devices get no copy.
 */
export const receipts = defineModule({
  name: 'receipts',
  setup(ctx) {
    const delivery = deliveryFor(ctx);

    ctx.hooks.on('stanza.receipt', async ({ session, node }) => {
      const { id, to, type } = node.attrs;
      const jid = to === undefined ? undefined : parseUserJid(to);
      const retry = type === 'retry';
      if (
        !isStanzaId(id) ||
        !jid ||
        (type !== undefined && !TYPES.has(type)) ||
        !(retry ? validRetry(node) && jid.device !== undefined : validList(node))
      ) {
        session.send(errorAck(node, 'bad_request'));
        return true;
      }
      // Clients may answer a message's `from` (a device JID): a receipt is for the whole user anyway.
      // A retry receipt is for the one device whose message could not be decrypted.
      const recipients = await recipientsOf(ctx.storage, session, retry ? jid : { user: jid.user }, false);
      if (!recipients) {
        session.send(errorAck(node, 'recipient_unknown'));
        return true;
      }
      const now = ctx.clock.now();
      const attrs: Attrs = { id, from: session.jid, to: retry ? to! : userJid(jid.user) };
      if (type !== undefined) attrs.type = type;
      attrs.t = unixSeconds(now);
      const stanza: Node = { tag: 'receipt', attrs };
      if (node.content !== undefined) stanza.content = node.content;
      const ack: Node = {
        tag: 'ack',
        attrs: type === undefined ? { class: 'receipt', id } : { class: 'receipt', id, type },
      };
      try {
        const req: DeliverRequest = {
          sender: session.jid,
          // Receipts share the sender's idempotency scope with its messages: the prefix (a character
          // message ids cannot contain) keeps a receipt from colliding with a message of the same id.
          id: retry
            ? `receipt:retry:${child(node, 'retry')!.attrs.count}:${to}:${id}`
            : `receipt:${type ?? 'delivered'}:${id}`,
          kind: 'receipt',
          key: ackKey('receipt', session.jid, id, type),
          recipients,
          stanza,
          now,
        };
        const r = await delivery.accept(req);
        if (r.status === 'full') {
          session.send(errorAck(node, 'queue_full'));
          return true;
        }
        session.send(ack);
        delivery.offer(req, r);
      } catch (err) {
        ctx.log.error({ err, from: session.jid }, 'storing a receipt failed');
        session.send(errorAck(node, 'internal'));
      }
      return true;
    });
  },
});

/**
 * A retry receipt (docs/protocol.md §7): `<retry count="1-9" [t]/>` and optionally the receiver's
 * `<registration>` id (4 bytes), nothing else.
 */
function validRetry(node: Node): boolean {
  if (!Array.isArray(node.content) || node.content.length < 1 || node.content.length > 2) return false;
  const [r, reg] = node.content;
  if (r?.tag !== 'retry' || r.content !== undefined || !/^[1-9]$/.test(r.attrs.count ?? '')) return false;
  if (Object.keys(r.attrs).some((k) => k !== 'count' && k !== 't')) return false;
  if (r.attrs.t !== undefined && !/^[0-9]{1,12}$/.test(r.attrs.t)) return false;
  if (reg === undefined) return true;
  return (
    reg.tag === 'registration' &&
    Object.keys(reg.attrs).length === 0 &&
    reg.content instanceof Uint8Array &&
    reg.content.length === 4
  );
}

/** No content, or exactly `<list>` holding only `<item id/>` with valid ids. */
function validList(node: Node): boolean {
  if (node.content === undefined) return true;
  if (!Array.isArray(node.content) || node.content.length !== 1) return false;
  const list = node.content[0]!;
  if (list.tag !== 'list' || Object.keys(list.attrs).length > 0 || !Array.isArray(list.content)) return false;
  if (list.content.length > MAX_LIST_ITEMS) return false;
  return list.content.every(
    (item) =>
      item.tag === 'item' &&
      item.content === undefined &&
      Object.keys(item.attrs).length === 1 &&
      isStanzaId(item.attrs.id),
  );
}
