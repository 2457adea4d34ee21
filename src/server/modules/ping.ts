import { performance } from 'node:perf_hooks';
import { ParleyError } from '../../protocol/errors.js';
import { child, type Node, SERVER } from '../../wire/index.js';
import { defineModule } from '../core/module.js';
import type { Session } from '../core/session.js';

interface Keepalive {
  /** When the session last sent anything (monotonic ms). */
  last: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

const PING: Node = {
  tag: 'iq',
  attrs: { type: 'get', xmlns: 'w:p', from: SERVER },
  content: [{ tag: 'ping', attrs: {} }],
};

/**
 * Ping (docs/protocol.md §5), both ways. A device's `<iq type="get" xmlns="w:p"><ping/></iq>` is answered
 * with a result. The server pings a device that has sent nothing for `ping.idleSeconds` and closes it
 * with `timeout` when neither the answer nor anything else arrives within `ping.timeoutSeconds`.
 *
 * Idleness is measured on a monotonic clock with real timers (not the server's `Clock`, which tests may
 * freeze). One lazy timer per session: inbound stanzas only record a time, and a timer that fires early
 * sleeps again for what is left.
 */
export const ping = defineModule({
  name: 'ping',
  setup(ctx) {
    const idleMs = ctx.config.ping.idleSeconds * 1000;
    const timeoutMs = ctx.config.ping.timeoutSeconds * 1000;
    const live = new Map<Session, Keepalive>();

    ctx.router.iq('w:p', ({ node }) => {
      if (node.attrs.type !== 'get' || !child(node, 'ping')) {
        throw new ParleyError('bad_request', 'a ping is <iq type="get" xmlns="w:p"><ping/></iq>');
      }
      return undefined;
    });

    const arm = (session: Session, k: Keepalive, ms: number): void => {
      k.timer = setTimeout(() => check(session, k), ms);
    };

    const check = (session: Session, k: Keepalive): void => {
      k.timer = undefined;
      if (live.get(session) !== k) return;
      if (session.closed) {
        live.delete(session);
        return;
      }
      const quiet = performance.now() - k.last;
      if (quiet < idleMs) {
        arm(session, k, idleMs - quiet);
        return;
      }
      const sentAt = performance.now();
      ctx.router.request(session, PING, timeoutMs).then(
        () => {
          if (live.get(session) === k) arm(session, k, idleMs);
        },
        (err: unknown) => {
          if (live.get(session) !== k || session.closed) return;
          // Anything received since the ping proves the line alive (the answer may be queued behind it).
          if (k.last >= sentAt) {
            arm(session, k, idleMs);
            return;
          }
          ctx.log.info(
            { session: session.id, user: session.user, device: session.device, err },
            'ping timed out',
          );
          session.close('timeout');
        },
      );
    };

    ctx.hooks.on('session.opened', ({ session }) => {
      if (session.closed) return; // ended while earlier handlers ran: its `session.closed` has passed
      const k: Keepalive = { last: performance.now(), timer: undefined };
      live.set(session, k);
      arm(session, k, idleMs);
    });
    ctx.hooks.on('session.activity', ({ session }) => {
      const k = live.get(session);
      if (k) k.last = performance.now();
    });
    ctx.hooks.on('session.closed', ({ session }) => {
      const k = live.get(session);
      if (!k) return;
      clearTimeout(k.timer);
      live.delete(session);
    });
    ctx.onStop(() => {
      for (const k of live.values()) clearTimeout(k.timer);
      live.clear();
    });
  },
});
