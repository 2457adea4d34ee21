import type { Node } from '../../../wire/index.js';
import type { Clock } from '../../core/clock.js';
import type { ServerConfigInput } from '../../core/config.js';
import { createTestServer, type TestServer, type TestSession } from '../../testing/harness.js';
import { messaging } from '../messaging.js';
import { offline } from '../offline.js';
import { receipts } from '../receipts.js';

/** Shared by the messaging, offline and receipts tests: two users and the three delivery modules. */
export const A = '15550001111';
export const B = '15550002222';
export const aJid = `${A}@s.us`;
export const bJid = `${B}@s.us`;
export const dev = (user: string, device = 0): string => `${user}:${device}@s.us`;

export async function deliveryServer(
  opts: {
    config?: ServerConfigInput;
    storagePath?: string;
    clock?: Clock;
    devices?: [string, number][];
  } = {},
): Promise<TestServer> {
  const ts = await createTestServer({ modules: [offline, messaging, receipts], ...opts });
  for (const [user, device] of opts.devices ?? [
    [A, 0],
    [B, 0],
  ]) {
    await ts.addDevice(user, device);
  }
  return ts;
}

const utf8 = new TextEncoder();

export function msg(
  id: string,
  to: string,
  text = `body of ${id}`,
  attrs: Record<string, string> = {},
): Node {
  return {
    tag: 'message',
    attrs: { id, to, type: 'text', ...attrs },
    content: [{ tag: 'body', attrs: {}, content: utf8.encode(text) }],
  };
}

export const isAck =
  (id: string, cls = 'message') =>
  (n: Node): boolean =>
    n.tag === 'ack' && n.attrs.class === cls && n.attrs.id === id;

export const isMsg =
  (id: string) =>
  (n: Node): boolean =>
    n.tag === 'message' && n.attrs.id === id;

export const isIb = (n: Node): boolean => n.tag === 'ib';

/** Everything of one tag the session received, in order. */
export const got = (s: TestSession, tag: string): Node[] => s.received.filter((n) => n.tag === tag);

/** Lets pending deliveries run, so a test can assert that something did *not* arrive. */
export const settle = (ms = 30): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Sends a message and waits for its (positive or error) ack. */
export async function send(s: TestSession, node: Node): Promise<Node> {
  const from = s.received.length;
  await s.write(node);
  return s.waitFor(isAck(node.attrs.id ?? '', node.tag), 2000, from);
}

/** Acks a delivered stanza the way a client does once it stored it. */
export function ackOf(n: Node): Node {
  const attrs: Record<string, string> = { class: n.tag, id: n.attrs.id!, to: n.attrs.from! };
  if (n.attrs.type !== undefined && n.tag === 'receipt') attrs.type = n.attrs.type;
  return { tag: 'ack', attrs };
}
