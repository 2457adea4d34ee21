import type { Node } from '../../wire/index.js';
import type { Session } from './session.js';

export interface StanzaEvent {
  session: Session;
  /** The inbound stanza; the router has already removed any `from` the client put on it. */
  node: Node;
}

/**
 * Every hook the core runs, with its payload. Modules add their own hooks by declaration merging:
 * `declare module '../core/hook-map.js' { interface HookMap { 'my.event': MyEvent } }`.
 */
export interface HookMap {
  /** A device logged in. Handlers deliver its backlog here (in priority order), then it is live. */
  'session.opened': { session: Session };
  'session.closed': { session: Session; reason: string };
  /**
   * A stanza arrived on a session (run as it arrives, before it waits for processing). Only run when a
   * handler is registered; handlers must be cheap and synchronous (the ping module uses it for idleness).
   */
  'session.activity': { session: Session };
  'stanza.message': StanzaEvent;
  'stanza.receipt': StanzaEvent;
  'stanza.ack': StanzaEvent;
  'stanza.presence': StanzaEvent;
  'stanza.chatstate': StanzaEvent;
  'stanza.notification': StanzaEvent;
}
