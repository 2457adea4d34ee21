import { encodeNode, type Node, withAttribute } from '../../../wire/index.js';
import type { ModuleContext } from '../../core/module.js';
import type { Session } from '../../core/session.js';
import type { AcceptResult, QueueKind, Recipient } from '../../storage/types.js';

/** Entries read from the queue per query, during a backlog flush and live delivery alike. */
export const PAGE_SIZE = 100;

/** Where a session's delivery state lives in `session.state`. */
const STATE_KEY = 'delivery';

/** Per-session delivery state: one per device connection, gone with it. */
interface DeviceState {
  /** True once the backlog and its `<ib>` were sent: from then on new entries are sent as they come. */
  live: boolean;
  /** Highest queue seq sent on this session: nothing at or below it is ever sent again on it. */
  lastSeq: number;
  /** A page loop is running; a second one must not start (it would send the same entries). */
  running: boolean;
  /** Something was accepted while the loop ran: it must look again before it stops. */
  again: boolean;
}

export interface DeliverRequest {
  /** Idempotency scope: the sender's device JID. */
  sender: string;
  /** Idempotency id within that scope (unique across kinds: receipts prefix theirs). */
  id: string;
  kind: QueueKind;
  /** The key the recipient's ack names (see `ackKey`). */
  key: string;
  recipients: Recipient[];
  /** The stanza every recipient device gets, exactly as sent live (offline copies add `offline="1"`). */
  stanza: Node;
  /** Per-recipient stanzas (index-aligned with `recipients`) instead of one for all: end-to-end fan-out. */
  stanzas?: Node[];
  /** Acceptance time (Unix ms), the same instant the stanza's `t` was stamped from. */
  now: number;
}

/**
 * The queue key a device's `<ack class id to [type]>` names. Receipts add their type, since a device
 * may hold a delivered and a read receipt for the same message at once.
 */
export function ackKey(kind: QueueKind, from: string, id: string, type?: string): string {
  return kind === 'receipt' ? `${kind}:${from}:${id}:${type ?? 'delivered'}` : `${kind}:${from}:${id}`;
}

/**
 * The delivery heart shared by messaging, receipts and the offline flush. Every stanza goes through the
 * durable queue: `accept` stores it for each recipient device (the caller acks the sender only after it
 * resolves), and sessions are fed *from the queue* by one page loop per session. The queue's `accept`
 * does not return the new entries' seqs, so live delivery cannot tell by itself whether a stanza was
 * already sent by a backlog flush racing with it; reading the queue after the highest seq already sent
 * makes that impossible by construction, and keeps acceptance order across concurrent senders.
 */
export class Delivery {
  /** Each request's stored bytes, per recipient: `offer` sends these rather than encoding again. */
  private readonly encoded = new WeakMap<DeliverRequest, Uint8Array[]>();

  constructor(private readonly ctx: ModuleContext) {}

  /** Stores the stanza for every recipient in one transaction; resolves once it is durable. */
  accept(req: DeliverRequest): Promise<AcceptResult> {
    // Encoded once when every recipient device stores the same bytes.
    const bytes = req.stanzas ? undefined : encodeNode(req.stanza);
    const stanzas = req.stanzas ? req.stanzas.map((n) => encodeNode(n)) : req.recipients.map(() => bytes!);
    this.encoded.set(req, stanzas);
    return this.ctx.storage.queue.accept({
      sender: req.sender,
      id: req.id,
      kind: req.kind,
      key: req.key,
      recipients: req.recipients,
      stanzas,
      now: req.now,
      maxQueue: this.ctx.config.offline.maxQueue,
    });
  }

  /**
   * Sends what was just stored to the live sessions of its recipient devices. When the queue says which
   * entry came just before (`result.entries[i].prev`) and the session has sent exactly up to it, the stanza
   * goes out at once; otherwise (a page loop running, an entry in between, a backend that cannot tell)
   * the session reads its queue after what it has sent, which is always right, only slower.
   */
  offer(req: DeliverRequest, result: AcceptResult): void {
    if (result.status !== 'stored') return;
    const entries = result.entries;
    const stanzas = this.encoded.get(req);
    req.recipients.forEach((r, i) => {
      const session = this.ctx.sessions.get(r.user, r.device);
      if (!session || session.closed) return;
      const st = state(session);
      // Not live yet: the backlog flush reads the queue to its end, and looks once more after
      // going live, so this entry reaches the device either way.
      if (!st?.live) return;
      const e = entries?.[i];
      if (e && e.prev !== undefined && !st.running && st.lastSeq === e.prev) {
        const sent = stanzas
          ? session.sendEncoded(stanzas[i]!)
          : session.send(req.stanzas?.[i] ?? req.stanza);
        if (sent) st.lastSeq = e.seq;
        return;
      }
      void this.pump(session, st);
    });
  }

  /**
   * Sends a freshly logged-in device its backlog, oldest first, flagged `offline="1"`, then
   * `<ib><offline count="N"/></ib>`, then switches it to live delivery.
   */
  async flush(session: Session): Promise<void> {
    const st: DeviceState = { live: false, lastSeq: 0, running: true, again: false };
    session.state.set(STATE_KEY, st);
    let sent: number | undefined;
    try {
      sent = await this.drain(session, st, true);
    } catch (err) {
      this.fail(session, err);
    } finally {
      st.running = false;
    }
    if (sent === undefined || session.closed) return;
    session.send({ tag: 'ib', attrs: {}, content: [{ tag: 'offline', attrs: { count: String(sent) } }] });
    st.live = true;
    // Entries committed after the flush's last page but offered before `live` was set were skipped by
    // `offer`; this pass sends them, as live traffic after the `<ib>`. Not awaited: it is live delivery
    // now, and a steady stream of new entries would otherwise hold up the login hook indefinitely.
    void this.pump(session, st);
  }

  /** Removes an entry the device acked; false when there was none (a re-sent stanza acked twice). */
  remove(session: Session, key: string): Promise<boolean> {
    return this.ctx.storage.queue.remove(session.user, session.device, key);
  }

  /** Runs the page loop unless one is running; then that one is told to look again before stopping. */
  private async pump(session: Session, st: DeviceState): Promise<void> {
    if (st.running) {
      st.again = true;
      return;
    }
    st.running = true;
    try {
      do {
        st.again = false;
        if ((await this.drain(session, st, false)) === undefined) return;
      } while (st.again);
    } catch (err) {
      this.fail(session, err);
    } finally {
      st.running = false;
    }
  }

  /**
   * Sends every queued entry after `lastSeq`, page by page, until a page comes back short. Returns how
   * many were sent, or undefined when the session stopped taking them (closed, or its send queue full).
   */
  private async drain(session: Session, st: DeviceState, offline: boolean): Promise<number | undefined> {
    let sent = 0;
    for (;;) {
      const page = await this.ctx.storage.queue.page(session.user, session.device, st.lastSeq, PAGE_SIZE);
      for (const entry of page) {
        if (session.closed) return undefined;
        // The stored bytes go out as they are; a backlog copy gets its flag spliced in (withAttribute).
        const bytes = offline ? withAttribute(entry.stanza, 'offline', '1') : entry.stanza;
        if (!session.sendEncoded(bytes)) return undefined;
        st.lastSeq = entry.seq;
        sent++;
      }
      if (page.length < PAGE_SIZE) return sent;
    }
  }

  /** A storage failure mid-delivery: the device reconnects and gets everything unacked again. */
  private fail(session: Session, err: unknown): void {
    this.ctx.log.error({ err, session: session.id }, 'delivery failed; closing the session');
    session.close('unavailable');
  }
}

function state(session: Session): DeviceState | undefined {
  return session.state.get(STATE_KEY) as DeviceState | undefined;
}

// One service per server: the modules that share it get the same ModuleContext parts, and the session
// registry is unique to its server.
const services = new WeakMap<object, Delivery>();

/** The delivery service of the server this module context belongs to. */
export function deliveryFor(ctx: ModuleContext): Delivery {
  let d = services.get(ctx.sessions);
  if (!d) {
    d = new Delivery(ctx);
    services.set(ctx.sessions, d);
  }
  return d;
}
