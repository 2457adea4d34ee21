/**
 * A deterministic corpus of realistic Parley stanzas (design PROTOCOL.md §4) for the codec benchmark:
 * the mix a busy client sees — E2E messages of typical sizes, acks, receipts, presence, chatstates, iqs,
 * group notifications and a few large ones. Payload bytes come from a seeded PRNG, so every run (and
 * every machine) benchmarks the same bytes.
 */
import { type Node, node } from '../src/wire/index.js';

export interface CorpusEntry {
  /** Short, unique, table-friendly name. */
  name: string;
  node: Node;
}

/** mulberry32: tiny, fast, good enough to fill payloads reproducibly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

export function buildCorpus(seed = 0x9a41e7): CorpusEntry[] {
  const rand = prng(seed);
  const bytes = (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = rand() & 0xff;
    return out;
  };
  /** A stanza id as clients make them: 16 upper-case hex digits, e.g. 3EB0C431E5A2F9D1. */
  const id = (): string =>
    (rand().toString(16).padStart(8, '0') + rand().toString(16).padStart(8, '0')).toUpperCase();
  let clock = 1735689600;
  /** Decimal seconds, advancing a little per stanza. */
  const t = (): string => {
    clock += 1 + (rand() % 40);
    return String(clock);
  };
  const user = (n: number): string => `1555123${String(n).padStart(4, '0')}@s.us`;
  const device = (n: number, d: number): string => `1555123${String(n).padStart(4, '0')}:${d}@s.us`;
  const group = '120363025246125486@g.us';
  const me = 1;

  /** An E2E envelope: ciphertext plus the version and kind, as Signal-style sessions produce. */
  const enc = (type: 'pkmsg' | 'msg' | 'skmsg', size: number): Node =>
    node('enc', { v: '2', type }, bytes(size));
  const message = (to: string, type: string, content: Node[], extra: Record<string, string> = {}): Node =>
    node('message', { to, id: id(), type, t: t(), ...extra }, content);

  const entries: CorpusEntry[] = [];
  const add = (name: string, n: Node): void => {
    entries.push({ name, node: n });
  };

  // Messages, outgoing (the client sends to a user; the server fans out per device).
  add('msg text 60B', message(user(2), 'text', [enc('msg', 60)]));
  add('msg text 150B', message(user(3), 'text', [enc('msg', 150)]));
  add('msg text 400B', message(user(4), 'text', [enc('msg', 400)]));
  add('msg media 1500B', message(user(5), 'media', [enc('msg', 1500)]));
  add('msg pkmsg 500B', message(user(6), 'text', [enc('pkmsg', 500)]));
  // Incoming, as the server stamps it: from a device, flagged offline during a backlog flush.
  add(
    'msg in offline',
    node(
      'message',
      { from: device(7, 3), id: id(), type: 'text', t: t(), offline: '1', notify: 'Ana Lucía' },
      [enc('msg', 120)],
    ),
  );
  // Multi-device fan-out: one envelope per recipient device (and one for our own other device).
  add(
    'msg fanout 3 dev',
    message(user(8), 'text', [
      node('participants', {}, [
        node('to', { jid: device(8, 0) }, [enc('msg', 140)]),
        node('to', { jid: device(8, 2) }, [enc('pkmsg', 520)]),
        node('to', { jid: device(me, 1) }, [enc('msg', 140)]),
      ]),
    ]),
  );
  add('msg group skmsg', message(group, 'text', [enc('skmsg', 180)], { participant: user(9) }));

  // Acks.
  add('ack message', node('ack', { class: 'message', id: id(), t: t() }));
  add('ack receipt', node('ack', { class: 'receipt', id: id(), from: user(2) }));

  // Receipts: delivered (no type), read, played, read in a group, a batch, a retry.
  add('receipt delivered', node('receipt', { from: user(2), id: id(), t: t() }));
  add('receipt read', node('receipt', { to: user(3), id: id(), type: 'read', t: t() }));
  add('receipt played', node('receipt', { to: user(4), id: id(), type: 'played', t: t() }));
  add(
    'receipt read group',
    node('receipt', { to: group, id: id(), type: 'read', participant: user(9), t: t() }),
  );
  add(
    'receipt list 10',
    node('receipt', { to: user(5), id: id(), type: 'read', t: t() }, [
      node(
        'list',
        {},
        Array.from({ length: 10 }, () => node('item', { id: id() })),
      ),
    ]),
  );
  add(
    'receipt retry',
    node('receipt', { to: device(6, 0), id: id(), type: 'retry', t: t() }, [
      node('retry', { count: '1', id: id(), t: t(), v: '1' }),
      node('registration', {}, bytes(4)),
    ]),
  );

  // Presence and chatstates.
  add('presence available', node('presence', { type: 'available', name: 'Ana Lucía' }));
  add('presence in unavail', node('presence', { from: user(3), type: 'unavailable', last: t() }));
  add('presence subscribe', node('presence', { to: user(4), type: 'subscribe' }));
  add('chatstate composing', node('chatstate', { from: user(2) }, [node('composing')]));
  add('chatstate paused', node('chatstate', { to: user(2) }, [node('paused')]));

  // Iqs: ping and its result.
  add('iq ping', node('iq', { id: id(), type: 'get', xmlns: 'w:p', to: 's.us' }, [node('ping')]));
  add('iq result', node('iq', { id: id(), type: 'result', from: 's.us' }));

  // Prekeys: fetch one user's bundles, the bundle answer, a low-count notification, a refill upload.
  add(
    'iq prekey fetch',
    node('iq', { id: id(), type: 'get', xmlns: 'encrypt', to: 's.us' }, [
      node('key', {}, [node('user', { jid: user(6) })]),
    ]),
  );
  const preKey = (tag: string, signed: boolean): Node =>
    node(tag, {}, [
      node('id', {}, bytes(3)),
      node('value', {}, bytes(32)),
      ...(signed ? [node('signature', {}, bytes(64))] : []),
    ]);
  add(
    'iq prekey bundle',
    node('iq', { id: id(), type: 'result', from: 's.us' }, [
      node('list', {}, [
        node('user', { jid: device(6, 0) }, [
          node('registration', {}, bytes(4)),
          node('type', {}, Uint8Array.of(5)),
          node('identity', {}, Uint8Array.of(5, ...bytes(32))),
          preKey('skey', true),
          preKey('key', false),
        ]),
      ]),
    ]),
  );
  add(
    'notif prekeys low',
    node('notification', { from: 's.us', type: 'encrypt', id: id(), t: t() }, [
      node('count', { value: '4' }),
    ]),
  );
  add(
    'iq prekey upload 20',
    node('iq', { id: id(), type: 'set', xmlns: 'encrypt', to: 's.us' }, [
      node(
        'list',
        {},
        Array.from({ length: 20 }, () => preKey('key', false)),
      ),
    ]),
  );

  // Media connection: the request and the server's answer.
  add('iq media_conn', node('iq', { id: id(), type: 'set', xmlns: 'w:m', to: 's.us' }, [node('media_conn')]));
  add(
    'iq media_conn result',
    node('iq', { id: id(), type: 'result', from: 's.us' }, [
      node('media_conn', { auth: 'AZ1x7Qk2n0gV9dTrPb4mWc8sYh3LjEf6uN5oKiRa', ttl: '300' }, [
        node('host', { hostname: 'media.parley.example' }),
      ]),
    ]),
  );

  // Group notifications.
  const groupNotif = (change: Node): Node =>
    node('notification', { from: group, type: 'w:g2', id: id(), participant: user(me), t: t() }, [change]);
  add('notif group add', groupNotif(node('add', {}, [node('participant', { jid: user(10) })])));
  add(
    'notif group remove',
    groupNotif(
      node('remove', {}, [node('participant', { jid: user(11) }), node('participant', { jid: user(12) })]),
    ),
  );
  add('notif group promote', groupNotif(node('promote', {}, [node('participant', { jid: user(13) })])));
  add(
    'notif group subject',
    groupNotif(node('subject', { subject: 'Weekend hike 🥾 — Sat 9:00', s_t: t(), s_o: user(me) })),
  );
  add(
    'iq group create 100',
    node('iq', { id: id(), type: 'set', xmlns: 'w:g2', to: 'g.us' }, [
      node(
        'create',
        { subject: 'Neighbourhood association' },
        Array.from({ length: 100 }, (_, i) => node('participant', { jid: user(100 + i * 7) })),
      ),
    ]),
  );

  // Session control.
  add('ib offline', node('ib', {}, [node('offline', { count: '12' })]));
  add('success', node('success', { t: t() }));

  return entries;
}
