import { parseUserJid, userJid } from '../../protocol/jid.js';
import type { Node } from '../../wire/index.js';
import { defineModule, type ModuleContext } from '../core/module.js';
import { errorAck } from '../core/router.js';
import type { Session } from '../core/session.js';

/** Presence subscriptions one session may hold; one more is refused with `not_allowed`. */
export const MAX_SUBSCRIPTIONS = 1000;

const STATE_KEY = 'presence';

/** Per-session state, in `session.state`: the users this session watches. */
interface SessionState {
  subs: Set<string>;
}

/**
 * Presence and last seen (docs/protocol.md §5). A device is online from its `<presence
 * type="available"/>` until `unavailable` or disconnect; a passive session never is. A user is online
 * while any of their devices is. When the last one goes, last seen is stored and pushed to the sessions
 * that subscribed to the user, each seeing `last` only as the owner's privacy allows (`deny` otherwise).
 * As in WhatsApp, privacy hides last seen, never the online state itself.
 *
 * All state is in this process's memory; a cluster would route subscriptions and online state through
 * the bus.
 */
export const presence = defineModule({
  name: 'presence',
  setup(ctx) {
    const p = new Presence(ctx);
    ctx.hooks.on('stanza.presence', ({ session, node }) => p.stanza(session, node));
    ctx.hooks.on('session.closed', ({ session }) => p.closed(session));
  },
});

class Presence {
  /** user → the sessions subscribed to them. */
  private readonly watchers = new Map<string, Set<Session>>();
  /** user → their active sessions that said `available`. */
  private readonly online = new Map<string, Set<Session>>();

  constructor(private readonly ctx: ModuleContext) {}

  async stanza(session: Session, node: Node): Promise<true> {
    switch (node.attrs.type) {
      case 'available':
        this.available(session);
        break;
      case 'unavailable':
        await this.unavailable(session);
        break;
      case 'subscribe':
        await this.subscribe(session, node);
        break;
      case 'unsubscribe':
        this.unsubscribe(session, node);
        break;
      default:
        session.send(errorAck(node, 'bad_request'));
    }
    return true;
  }

  async closed(session: Session): Promise<void> {
    const st = session.state.get(STATE_KEY) as SessionState | undefined;
    if (st) {
      for (const user of st.subs) this.unwatch(session, user);
      st.subs.clear();
    }
    await this.unavailable(session);
  }

  private available(session: Session): void {
    if (session.passive || session.closed) return;
    let set = this.online.get(session.user);
    if (!set) {
      set = new Set();
      this.online.set(session.user, set);
    }
    if (set.has(session)) return;
    set.add(session);
    if (set.size === 1)
      this.push(session.user, { tag: 'presence', attrs: { from: userJid(session.user), type: 'available' } });
  }

  private async unavailable(session: Session): Promise<void> {
    const set = this.online.get(session.user);
    if (!set?.delete(session) || set.size > 0) return;
    this.online.delete(session.user);
    const user = session.user;
    const now = this.ctx.clock.now();
    await this.ctx.storage.presence.setLastSeen(user, now);
    // Back online while last seen was being written: the `available` push already went out after it.
    if (this.online.has(user)) return;
    const watchers = this.watchers.get(user);
    if (!watchers || watchers.size === 0) return;
    const visible = await this.visibility(user);
    for (const s of [...watchers]) {
      s.send(unavailableNode(user, (await visible(s.user)) ? now : 'deny'));
    }
  }

  private async subscribe(session: Session, node: Node): Promise<void> {
    const to = node.attrs.to === undefined ? undefined : parseUserJid(node.attrs.to);
    if (!to || to.device !== undefined) {
      session.send(errorAck(node, 'bad_request'));
      return;
    }
    let st = session.state.get(STATE_KEY) as SessionState | undefined;
    if (!st) {
      st = { subs: new Set() };
      session.state.set(STATE_KEY, st);
    }
    if (!st.subs.has(to.user) && st.subs.size >= MAX_SUBSCRIPTIONS) {
      session.send(errorAck(node, 'not_allowed'));
      return;
    }
    if (!(await this.ctx.storage.accounts.getAccount(to.user))) {
      session.send(errorAck(node, 'recipient_unknown'));
      return;
    }
    if (session.closed) return; // closed while we looked: `closed` has already cleaned up
    st.subs.add(to.user);
    let set = this.watchers.get(to.user);
    if (!set) {
      set = new Set();
      this.watchers.set(to.user, set);
    }
    set.add(session);
    session.send(await this.current(to.user, session.user));
  }

  private unsubscribe(session: Session, node: Node): void {
    const to = node.attrs.to === undefined ? undefined : parseUserJid(node.attrs.to);
    if (!to || to.device !== undefined) {
      session.send(errorAck(node, 'bad_request'));
      return;
    }
    const st = session.state.get(STATE_KEY) as SessionState | undefined;
    if (st?.subs.delete(to.user)) this.unwatch(session, to.user);
  }

  private unwatch(session: Session, user: string): void {
    const set = this.watchers.get(user);
    if (set?.delete(session) && set.size === 0) this.watchers.delete(user);
  }

  /** The owner's state as this viewer may see it. */
  private async current(owner: string, viewer: string): Promise<Node> {
    const available: Node = { tag: 'presence', attrs: { from: userJid(owner), type: 'available' } };
    if (this.online.has(owner)) return available;
    const visible = await (await this.visibility(owner))(viewer);
    const t = await this.ctx.storage.presence.getLastSeen(owner);
    if (this.online.has(owner)) return available;
    // Never seen online: no `last` at all (there is nothing to hide either).
    return unavailableNode(owner, visible ? t : 'deny');
  }

  /** Whether viewers may see the owner's last seen, per the owner's privacy (contacts looked up once each). */
  private async visibility(owner: string): Promise<(viewer: string) => Promise<boolean>> {
    const { lastSeen } = await this.ctx.storage.presence.getPrivacy(owner);
    const seen = new Map<string, boolean>();
    return async (viewer) => {
      if (viewer === owner || lastSeen === 'everyone') return true;
      if (lastSeen === 'nobody') return false;
      let ok = seen.get(viewer);
      if (ok === undefined) {
        ok = await this.ctx.storage.contacts.hasContact(owner, viewer);
        seen.set(viewer, ok);
      }
      return ok;
    };
  }

  private push(user: string, node: Node): void {
    const watchers = this.watchers.get(user);
    if (watchers) for (const s of watchers) s.send(node);
  }
}

function unavailableNode(user: string, last: number | 'deny' | undefined): Node {
  const attrs: Record<string, string> = { from: userJid(user), type: 'unavailable' };
  if (last !== undefined) attrs.last = last === 'deny' ? 'deny' : String(Math.floor(last / 1000));
  return { tag: 'presence', attrs };
}
