import { SERVER } from '../../wire/index.js';
import { defineModule } from '../core/module.js';
import type { QueueKind } from '../storage/types.js';
import { ackKey, deliveryFor } from './delivery/service.js';

const ACK_CLASSES = new Set<string>(['message', 'receipt', 'notification']);

/**
 * The offline queue's two ends on the device side (docs/protocol.md §5): on login, the backlog in
 * acceptance order followed by `<ib><offline count/></ib>`, after which the session is live; and the
 * device's acks, which delete what it has stored. Unacked entries stay and are sent again next login.
 */
export const offline = defineModule({
  name: 'offline',
  setup(ctx) {
    const delivery = deliveryFor(ctx);

    // Runs before other login handlers (presence pushes and the like), so the backlog comes first.
    ctx.hooks.on('session.opened', ({ session }) => delivery.flush(session), 100);

    ctx.hooks.on('stanza.ack', async ({ session, node }) => {
      const { class: kind, id, to, type } = node.attrs;
      // A malformed ack gets no answer: answering acks invites loops with a confused client.
      if (kind === undefined || !ACK_CLASSES.has(kind) || !id) return true;
      // Notifications come from the server itself; messages and receipts name their sender device.
      const from = to ?? (kind === 'notification' ? SERVER : undefined);
      if (from === undefined) return true;
      // Not awaited: the delete commits with a later batch (nobody waits for it), and this session's
      // next stanza must not wait for that. Until then the entry is hidden from page reads.
      // Resolves false when there was nothing: a stanza re-sent before its first ack was acked twice.
      delivery.remove(session, ackKey(kind as QueueKind, from, id, type)).catch((err: unknown) => {
        // The entry stays and is sent again next login; the client de-duplicates it.
        ctx.log.error({ err, device: session.jid }, 'removing an acked entry failed');
      });
      return true;
    });
  },
});
