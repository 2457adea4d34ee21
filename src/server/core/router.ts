import { ERRORS, type ErrorCode, ParleyError } from '../../protocol/errors.js';
import { type Node, SERVER } from '../../wire/index.js';
import type { HookMap, StanzaEvent } from './hook-map.js';
import type { Hooks } from './hooks.js';
import type { Logger } from './logger.js';
import type { Session } from './session.js';

export interface IqContext {
  session: Session;
  node: Node;
}
/** Returns the result's children (or nothing); throws ParleyError for an error reply. */
export type IqHandler = (ctx: IqContext) => Promise<Node[] | undefined> | Node[] | undefined;

/** How many inbound stanzas may wait for processing on one session before it is cut off as a flood. */
export const MAX_PENDING_INBOUND = 1000;

interface Pending {
  resolve(node: Node): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Turns inbound stanzas into hook runs, one session's stanzas strictly in order (so a conversation's
 * messages are accepted in the order they were sent), and answers iqs through handlers registered per
 * namespace. The router knows no feature: modules register hooks and iq handlers.
 */
export class Router {
  private readonly iqHandlers = new Map<string, IqHandler>();
  private readonly chains = new WeakMap<Session, { tail: Promise<void>; pending: number }>();
  /** Server-initiated iqs waiting for an answer, per session, by id. */
  private readonly requests = new Map<Session, Map<string, Pending>>();
  private nextId = 1;

  constructor(
    private readonly hooks: Hooks<HookMap>,
    private readonly log: Logger,
  ) {}

  iq(xmlns: string, handler: IqHandler): void {
    if (this.iqHandlers.has(xmlns)) throw new Error(`iq namespace ${xmlns} already has a handler`);
    this.iqHandlers.set(xmlns, handler);
  }

  /** Queues a stanza from a session for processing; resolves when it has been handled. */
  inbound(session: Session, node: Node): Promise<void> {
    if (this.hooks.has('session.activity')) void this.hooks.run('session.activity', { session });
    let chain = this.chains.get(session);
    if (!chain) {
      chain = { tail: Promise.resolve(), pending: 0 };
      this.chains.set(session, chain);
    }
    if (chain.pending >= MAX_PENDING_INBOUND) {
      session.close('rate_overlimit');
      return Promise.resolve();
    }
    chain.pending++;
    const c = chain;
    c.tail = c.tail.then(async () => {
      try {
        if (!session.closed) await this.dispatch(session, node);
      } catch (err) {
        this.log.error({ err, tag: node.tag }, 'stanza handling failed');
      } finally {
        c.pending--;
      }
    });
    return c.tail;
  }

  private async dispatch(session: Session, node: Node): Promise<void> {
    if ('from' in node.attrs) {
      // Never trust a client's `from`: the server stamps it from the authenticated session.
      const { from: _ignored, ...rest } = node.attrs;
      node = { ...node, attrs: rest };
    }
    if (node.tag === 'iq') return this.dispatchIq(session, node);
    const hook = `stanza.${node.tag}` as keyof HookMap;
    const event: StanzaEvent = { session, node };
    const outcome = this.hooks.has(hook) ? await this.hooks.run(hook, event as never) : 'unhandled';
    if (outcome === 'unhandled') session.send(errorAck(node, 'feature_not_implemented'));
    else if (outcome === 'failed') session.send(errorAck(node, 'internal'));
  }

  private async dispatchIq(session: Session, node: Node): Promise<void> {
    const { id, type, xmlns } = node.attrs;
    if (type === 'result' || type === 'error') {
      const pending = this.requests.get(session);
      const p = id === undefined ? undefined : pending?.get(id);
      if (p) {
        this.forget(session, id!);
        clearTimeout(p.timer);
        p.resolve(node);
      }
      return;
    }
    if (id === undefined || id.length === 0 || id.length > 64 || (type !== 'get' && type !== 'set')) {
      session.send(iqError(id ?? '', 'bad_request', 'an iq needs an id and type get or set'));
      return;
    }
    const handler = xmlns === undefined ? undefined : this.iqHandlers.get(xmlns);
    if (!handler) {
      session.send(iqError(id, 'feature_not_implemented', `no handler for xmlns ${xmlns ?? '(none)'}`));
      return;
    }
    try {
      const content = await handler({ session, node });
      const reply: Node = { tag: 'iq', attrs: { id, type: 'result', from: SERVER } };
      if (content !== undefined) reply.content = content;
      session.send(reply);
    } catch (err) {
      if (err instanceof ParleyError) session.send(iqError(id, err.code, err.detail));
      else {
        this.log.error({ err, xmlns }, 'iq handler failed');
        session.send(iqError(id, 'internal'));
      }
    }
  }

  /** Sends a server-initiated iq and waits for the device's answer. */
  request(session: Session, iq: Node, timeoutMs: number): Promise<Node> {
    const id = `s${this.nextId++}`;
    const node: Node = { ...iq, attrs: { ...iq.attrs, id } };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.forget(session, id);
        reject(new ParleyError('timeout', `iq ${id}`));
      }, timeoutMs);
      let pending = this.requests.get(session);
      if (!pending) {
        pending = new Map();
        this.requests.set(session, pending);
      }
      pending.set(id, { resolve, reject, timer });
      if (!session.send(node)) {
        clearTimeout(timer);
        this.forget(session, id);
        reject(new ParleyError('unavailable', 'session closed'));
      }
    });
  }

  /** The session ended: its unanswered requests fail now instead of holding timers until they time out. */
  sessionClosed(session: Session): void {
    const pending = this.requests.get(session);
    if (!pending) return;
    this.requests.delete(session);
    for (const p of pending.values()) {
      clearTimeout(p.timer);
      p.reject(new ParleyError('unavailable', 'session closed'));
    }
  }

  private forget(session: Session, id: string): void {
    const pending = this.requests.get(session);
    if (pending?.delete(id) && pending.size === 0) this.requests.delete(session);
  }
}

export function iqError(id: string, code: ErrorCode, text?: string): Node {
  const attrs: Record<string, string> = { code: String(ERRORS[code].status), reason: code };
  if (text) attrs.text = text;
  return { tag: 'iq', attrs: { id, type: 'error', from: SERVER }, content: [{ tag: 'error', attrs }] };
}

/** The negative answer to a stanza the server could not accept: `<ack class=tag id error=code/>`. */
export function errorAck(node: Node, code: ErrorCode, retryAfter?: number): Node {
  const attrs: Record<string, string> = { class: node.tag };
  if (node.attrs.id !== undefined) attrs.id = node.attrs.id;
  attrs.error = code;
  if (retryAfter !== undefined) attrs.retry_after = String(retryAfter);
  return { tag: 'ack', attrs };
}
