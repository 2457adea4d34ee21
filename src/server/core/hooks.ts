import type { Logger } from './logger.js';

type Handler<E> = (event: E) => unknown;

interface Entry<E> {
  handler: Handler<E>;
  priority: number;
  seq: number;
}

/**
 * Typed hooks in the Prosody/ejabberd style: handlers run in priority order (higher first, then in order
 * of registration); a handler that returns `true` has handled the event and stops the rest. A handler
 * that throws is logged and skipped, never the server.
 */
export class Hooks<M extends object> {
  private readonly table = new Map<keyof M, Entry<never>[]>();
  private seq = 0;

  constructor(private readonly log: Logger) {}

  on<K extends keyof M>(name: K, handler: Handler<M[K]>, priority = 0): () => void {
    if (typeof handler !== 'function') throw new TypeError(`hook ${String(name)}: handler is not a function`);
    const list = (this.table.get(name) ?? []) as Entry<M[K]>[];
    const entry: Entry<M[K]> = { handler, priority, seq: this.seq++ };
    list.push(entry);
    list.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
    this.table.set(name, list as Entry<never>[]);
    return () => {
      const i = list.indexOf(entry);
      if (i >= 0) list.splice(i, 1);
    };
  }

  has(name: keyof M): boolean {
    return (this.table.get(name)?.length ?? 0) > 0;
  }

  /**
   * Runs the handlers in order. Resolves 'handled' if one of them returned true, 'failed' if none did and
   * one threw (so a caller can answer `internal` rather than "unknown request"), else 'unhandled'.
   */
  async run<K extends keyof M>(name: K, event: M[K]): Promise<'handled' | 'unhandled' | 'failed'> {
    const list = this.table.get(name) as Entry<M[K]>[] | undefined;
    if (!list) return 'unhandled';
    let failed = false;
    for (const { handler } of [...list]) {
      try {
        if ((await handler(event)) === true) return 'handled';
      } catch (err) {
        failed = true;
        this.log.error({ err, hook: String(name) }, 'hook handler failed');
      }
    }
    return failed ? 'failed' : 'unhandled';
  }
}
