import { parseUserJid } from '../../protocol/jid.js';
import type { Attrs, Node } from '../../wire/index.js';
import { unixSeconds } from '../core/clock.js';
import { defineModule } from '../core/module.js';
import { errorAck } from '../core/router.js';
import { isStanzaId, recipientsOf } from './delivery/recipients.js';
import { ackKey, deliveryFor } from './delivery/service.js';

/** Attributes only the server sets: a client's values are dropped, never forwarded. */
const SERVER_ATTRS = new Set(['id', 'from', 'to', 'type', 't', 'offline']);

/**
 * One-to-one messages (docs/protocol.md §5): validate, stamp `from` and `t`, store one copy per
 * recipient device durably, ack the sender, then hand the copies to live sessions. The server never
 * looks inside the content. Needs the `offline` module, which makes sessions live and takes acks.
 */
export const messaging = defineModule({
  name: 'messaging',
  setup(ctx) {
    const delivery = deliveryFor(ctx);

    ctx.hooks.on('stanza.message', async ({ session, node }) => {
      const { id, to, type } = node.attrs;
      const jid = to === undefined ? undefined : parseUserJid(to);
      if (!isStanzaId(id) || !jid || !type || node.content instanceof Uint8Array) {
        session.send(errorAck(node, 'bad_request'));
        return true;
      }
      // A device address is a message for that one device (e.g. a re-encryption it asked for): the
      // sender's other devices get no copy of it.
      const recipients = await recipientsOf(ctx.storage, session, jid, jid.device === undefined);
      if (!recipients) {
        session.send(errorAck(node, 'recipient_unknown'));
        return true;
      }
      const now = ctx.clock.now();
      const stanza = stamp(node, session.jid, to!, unixSeconds(now));
      try {
        const r = await delivery.accept({
          sender: session.jid,
          id,
          kind: 'message',
          key: ackKey('message', session.jid, id),
          recipients,
          stanza,
          now,
        });
        if (r.status === 'full') {
          session.send(errorAck(node, 'queue_full'));
          return true;
        }
        // Durable now: only from here may the sender forget the message.
        session.send({ tag: 'ack', attrs: { class: 'message', id, t: unixSeconds(r.t) } });
        if (r.status === 'stored') delivery.offer(recipients);
      } catch (err) {
        ctx.log.error({ err, from: session.jid }, 'storing a message failed');
        session.send(errorAck(node, 'internal'));
      }
      return true;
    });
  },
});

/**
 * The stanza recipients get: `<message id from to type … t>`, the client's other attributes kept in
 * their order between `type` and `t`, its children untouched.
 */
function stamp(node: Node, from: string, to: string, t: string): Node {
  const attrs: Attrs = { id: node.attrs.id!, from, to, type: node.attrs.type! };
  for (const [k, v] of Object.entries(node.attrs)) if (!SERVER_ATTRS.has(k)) attrs[k] = v;
  attrs.t = t;
  const out: Node = { tag: 'message', attrs };
  if (node.content !== undefined) out.content = node.content;
  return out;
}
