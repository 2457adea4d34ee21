import { ParleyError } from '../../protocol/errors.js';
import { parseUserJid, userJid } from '../../protocol/jid.js';
import { children, type Node } from '../../wire/index.js';
import { defineModule } from '../core/module.js';

/** Contacts one user may upload; a longer list is refused with `too_large`. */
export const MAX_CONTACTS = 5000;

/**
 * The contact list (docs/protocol.md §5), which the `contacts` privacy setting consults:
 * `<iq type="set" xmlns="w:contacts"><contacts><user jid="<user jid>"/>…</contacts></iq>` replaces it
 * (an empty `<contacts/>` clears it; repeats count once); `get` answers `<contacts><user jid/>…</contacts>`.
 * Every jid must be a bare user jid, or the whole set is refused with `bad_request`.
 */
export const contacts = defineModule({
  name: 'contacts',
  setup(ctx) {
    ctx.router.iq('w:contacts', async ({ session, node }) => {
      if (node.attrs.type === 'get') return [listNode(await ctx.storage.contacts.getContacts(session.user))];
      const list = children(node).find((c) => c.tag === 'contacts');
      if (!list || list.content instanceof Uint8Array) {
        throw new ParleyError('bad_request', 'expected <contacts><user jid/>…</contacts>');
      }
      const items = children(list);
      if (items.length > MAX_CONTACTS) throw new ParleyError('too_large', `at most ${MAX_CONTACTS} contacts`);
      const users = new Set<string>();
      for (const item of items) {
        const jid = item.attrs.jid === undefined ? undefined : parseUserJid(item.attrs.jid);
        if (item.tag !== 'user' || !jid || jid.device !== undefined) {
          throw new ParleyError('bad_request', `not a user jid: ${String(item.attrs.jid).slice(0, 64)}`);
        }
        users.add(jid.user);
      }
      await ctx.storage.contacts.setContacts(session.user, [...users]);
      return undefined;
    });
  },
});

function listNode(users: string[]): Node {
  return {
    tag: 'contacts',
    attrs: {},
    content: users.map((u) => ({ tag: 'user', attrs: { jid: userJid(u) } })),
  };
}
