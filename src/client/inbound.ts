import { isErrorCode, ParleyError } from '../protocol/errors.js';
import { parseUserJid } from '../protocol/jid.js';
import { child, children, decodeNode, type Node } from '../wire/index.js';
import type { ParleyClient } from './client.js';

const RECEIPT_STATUS = { read: 'read', played: 'played' } as const;
/** Server errors worth waiting out: the message stays pending and goes again on the next connection. */
const RETRY_LATER = new Set(['queue_full', 'rate_overlimit', 'unavailable', 'internal', 'timeout']);

/** Everything the server sends to a device, turned into store updates, acks and events. */
export async function handleInbound(c: ParleyClient, node: Node): Promise<void> {
  switch (node.tag) {
    case 'message':
      return onMessage(c, node);
    case 'receipt':
      return onReceipt(c, node);
    case 'ack':
      return onAck(c, node);
    case 'ib': {
      const off = child(node, 'offline');
      if (off) c.fire('synced', { count: Number(off.attrs.count ?? 0) });
      return;
    }
    case 'presence': {
      const from = parseUserJid(node.attrs.from ?? '');
      if (!from) return;
      const last = node.attrs.last;
      c.fire('presence', {
        user: from.user,
        available: node.attrs.type !== 'unavailable',
        lastSeen: last === 'deny' ? 'deny' : last !== undefined ? Number(last) : undefined,
      });
      return;
    }
    case 'chatstate': {
      const from = parseUserJid(node.attrs.from ?? '');
      const state = children(node)[0]?.tag;
      if (from && (state === 'composing' || state === 'paused'))
        c.fire('chatstate', { user: from.user, state });
      return;
    }
    case 'iq':
      if (node.attrs.type === 'get' && node.attrs.xmlns === 'w:p') {
        c.write({ tag: 'iq', attrs: { id: node.attrs.id ?? '', type: 'result', to: 's.us' } });
      }
      return;
    case 'notification':
      c.write({
        tag: 'ack',
        attrs: { class: 'notification', id: node.attrs.id ?? '', to: node.attrs.from ?? 's.us' },
      });
      // Running low on one-time prekeys: top them up, in the background (it needs the server's answers).
      if (node.attrs.type === 'encrypt')
        c.e2e
          .replenish()
          .catch((err: Error) => c.fire('warning', { message: `replenishing prekeys: ${err.message}` }));
      return;
    default:
      return;
  }
}

async function onMessage(c: ParleyClient, node: Node): Promise<void> {
  const { id, from, t } = node.attrs;
  const sender = parseUserJid(from ?? '');
  if (!id || !from || !sender) return;
  const ack: Node = { tag: 'ack', attrs: { class: 'message', id, to: from } };
  const mine = sender.user === c.identity.user;
  const enc = child(node, 'enc');
  if (!enc || sender.device === undefined) {
    // Not end-to-end encrypted: nothing vouches for it (a server could have written it). Dropped.
    c.write(ack);
    c.fire('warning', { message: `dropped message ${id} from ${from}: not end-to-end encrypted` });
    return;
  }
  // The conversation as the server names it; the decrypted content has the last word for our own copies.
  const chat = mine ? (parseUserJid(node.attrs.to ?? '')?.user ?? sender.user) : sender.user;
  // Delivered again (we stored it, then lost the connection before acking): its keys are used up.
  if (await c.store.getMessage(chat, id, sender.user)) {
    c.write(ack);
    return;
  }
  const r = await c.e2e.decrypt(node, enc, { user: sender.user, device: sender.device });
  // Ack only once it is stored (or known to be undecryptable): from here on the server may forget it.
  // The ack goes before any retry receipt, so the resend it asks for never meets this copy in the queue.
  c.write(ack);
  if (r.status === 'failed') {
    await c.e2e.askRetry({ user: sender.user, device: sender.device }, id, t, chat, r.error);
    return;
  }
  const m = r.message;
  if (!r.isNew || !m) return;
  const offline = node.attrs.offline !== undefined;
  if (!m.outgoing) {
    c.fire('message', { ...m, offline });
    await c.sendReliable(`receipt:${id}:delivery`, {
      tag: 'receipt',
      attrs: { id, to: `${sender.user}@s.us` },
    });
  }
}

async function onReceipt(c: ParleyClient, node: Node): Promise<void> {
  const { id, from, type } = node.attrs;
  const sender = parseUserJid(from ?? '');
  if (!id || !from || !sender) return;
  if (type === 'retry') {
    // Acked first: the resend must not find this receipt still queued (docs/protocol.md §7).
    c.write({ tag: 'ack', attrs: { class: 'receipt', id, to: from, type } });
    await c.e2e.onRetryReceipt(from, id);
    return;
  }
  const status = type === undefined ? 'delivered' : RECEIPT_STATUS[type as keyof typeof RECEIPT_STATUS];
  const ids = [
    id,
    ...children(child(node, 'list') ?? { tag: 'list', attrs: {} }).map((i) => i.attrs.id ?? ''),
  ];
  const offline = node.attrs.offline !== undefined;
  if (status && sender.user !== c.identity.user) {
    for (const mid of ids) {
      if (!mid) continue;
      await c.store.updateStatus(sender.user, mid, status);
      c.fire('receipt', { chat: sender.user, id: mid, status, from: sender.user, offline });
    }
  }
  const ack: Node = { tag: 'ack', attrs: { class: 'receipt', id, to: from } };
  if (type) ack.attrs.type = type;
  c.write(ack);
}

async function onAck(c: ParleyClient, node: Node): Promise<void> {
  const { id, error } = node.attrs;
  const cls = node.attrs.class;
  if (!id) return;
  if (cls === 'message' && node.attrs.retry !== undefined) {
    // A resend for one device (a retry receipt asked for it): the message's status does not change.
    if (error && RETRY_LATER.has(error)) return;
    const removed = await c.dropPending(`retry:${node.attrs.to}:${id}:${node.attrs.retry}`);
    if (removed && error)
      c.fire('warning', { message: `resending ${id} to ${node.attrs.to} failed: ${error}` });
    return;
  }
  const key =
    cls === 'message'
      ? `message:${id}`
      : cls === 'receipt'
        ? `receipt:${id}:${node.attrs.type ?? 'delivery'}`
        : undefined;
  if (!key) return;
  const pending = (await c.store.pending()).find((p) => p.key === key);
  const chat = pending ? (parseUserJid(decodeNode(pending.stanza).attrs.to ?? '')?.user ?? '') : '';
  if (error) {
    if (RETRY_LATER.has(error)) return;
    if (error === 'device_mismatch' && cls === 'message') return c.reencrypt(key, chat);
    await c.dropPending(key);
    if (cls === 'message') {
      await c.store.updateStatus(chat, id, 'failed');
      c.fire('failed', { chat, id, reason: error });
      c.settle(id, { error: new ParleyError(isErrorCode(error) ? error : 'internal', `message ${id}`) });
    }
    return;
  }
  await c.dropPending(key);
  if (cls === 'message') {
    const t = Number(node.attrs.t ?? 0);
    await c.store.updateStatus(chat, id, 'sent', t);
    c.fire('sent', { chat, id, t });
    c.settle(id, { t });
  }
}
