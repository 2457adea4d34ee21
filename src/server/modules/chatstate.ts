import { parseUserJid, userJid } from '../../protocol/jid.js';
import type { Node } from '../../wire/index.js';
import { defineModule } from '../core/module.js';
import { errorAck } from '../core/router.js';
import type { Session } from '../core/session.js';

/** Chatstates one session may send per second (a token bucket of this size); the excess is dropped. */
export const CHATSTATES_PER_SECOND = 10;

const STATE_KEY = 'chatstate';
const STATES = new Set(['composing', 'paused']);

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Typing notifications (docs/protocol.md §5): `<chatstate to="<user jid>"><composing/>|<paused/></chatstate>`
 * goes to the recipient's live sessions as `<chatstate from="<sender device jid>" to="<user jid>">…`. Best
 * effort and never stored: nobody to deliver to (the user is offline or unknown) means it is dropped
 * silently, which also keeps storage out of a keystroke's path. Malformed ones get `<ack error="bad_request">`.
 */
export const chatstate = defineModule({
  name: 'chatstate',
  setup(ctx) {
    const allow = (session: Session): boolean => {
      const now = ctx.clock.now();
      let b = session.state.get(STATE_KEY) as Bucket | undefined;
      if (!b) {
        b = { tokens: CHATSTATES_PER_SECOND, at: now };
        session.state.set(STATE_KEY, b);
      }
      const refill = ((now - b.at) / 1000) * CHATSTATES_PER_SECOND;
      b.tokens = Math.min(CHATSTATES_PER_SECOND, b.tokens + Math.max(0, refill));
      b.at = now;
      if (b.tokens < 1) return false;
      b.tokens -= 1;
      return true;
    };

    ctx.hooks.on('stanza.chatstate', ({ session, node }) => {
      if (!allow(session)) return true;
      const to = node.attrs.to === undefined ? undefined : parseUserJid(node.attrs.to);
      const kids = Array.isArray(node.content) ? node.content : [];
      const state = kids.length === 1 ? kids[0]!.tag : undefined;
      if (!to || to.device !== undefined || state === undefined || !STATES.has(state)) {
        session.send(errorAck(node, 'bad_request'));
        return true;
      }
      const out: Node = {
        tag: 'chatstate',
        attrs: { from: session.jid, to: userJid(to.user) },
        content: [{ tag: state, attrs: {} }],
      };
      for (const s of ctx.sessions.ofUser(to.user)) if (s !== session) s.send(out);
      return true;
    });
  },
});
