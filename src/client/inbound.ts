import { isErrorCode, ParleyError } from '../protocol/errors.js';
import { parseUserJid } from '../protocol/jid.js';
import { child, children, contentText, decodeNode, type Node } from '../wire/index.js';
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
      return;
    default:
      return;
  }
}

async function onMessage(c: ParleyClient, node: Node): Promise<void> {
  const { id, from, t } = node.attrs;
  const sender = parseUserJid(from ?? '');
  if (!id || !from || !sender) return;
  const mine = sender.user === c.identity.user;
  // A copy of what another of our devices sent: the conversation is the recipient's.
  const chat = mine ? (parseUserJid(node.attrs.to ?? '')?.user ?? sender.user) : sender.user;
  const body = child(node, 'body');
  const text = body ? (contentText(body) ?? '') : '';
  const isNew = await c.store.addMessage({
    chat,
    id,
    sender: sender.user,
    outgoing: mine,
    text,
    t: Number(t ?? 0),
    status: mine ? 'sent' : 'delivered',
  });
  // Ack only once it is stored: from here on the server may forget it.
  c.write({ tag: 'ack', attrs: { class: 'message', id, to: from } });
  if (!isNew) return;
  const offline = node.attrs.offline !== undefined;
  if (!mine) {
    c.fire('message', {
      chat,
      id,
      sender: sender.user,
      outgoing: false,
      text,
      t: Number(t ?? 0),
      status: 'delivered',
      offline,
    });
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
    await c.store.removePending(key);
    if (cls === 'message') {
      await c.store.updateStatus(chat, id, 'failed');
      c.fire('failed', { chat, id, reason: error });
      c.settle(id, { error: new ParleyError(isErrorCode(error) ? error : 'internal', `message ${id}`) });
    }
    return;
  }
  await c.store.removePending(key);
  if (cls === 'message') {
    const t = Number(node.attrs.t ?? 0);
    await c.store.updateStatus(chat, id, 'sent', t);
    c.fire('sent', { chat, id, t });
    c.settle(id, { t });
  }
}
