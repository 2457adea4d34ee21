import { ParleyError } from '../../protocol/errors.js';
import { children, type Node } from '../../wire/index.js';
import { defineModule } from '../core/module.js';
import type { LastSeenSetting, PrivacySettings } from '../storage/types.js';

/** Wire values of `<category name="last" value>` ⇄ stored settings. */
const TO_SETTING: Record<string, LastSeenSetting> = { all: 'everyone', contacts: 'contacts', none: 'nobody' };
const TO_WIRE: Record<LastSeenSetting, string> = { everyone: 'all', contacts: 'contacts', nobody: 'none' };

/**
 * Privacy settings (docs/protocol.md §5): `<iq type="get|set" xmlns="privacy"><privacy><category
 * name="last" value="all|contacts|none"/></privacy></iq>`. Both answer with the settings now in force, in
 * the same shape. A set names one or more categories; an unknown name or value is `bad_request`.
 */
export const privacy = defineModule({
  name: 'privacy',
  setup(ctx) {
    ctx.router.iq('privacy', async ({ session, node }) => {
      if (node.attrs.type === 'get')
        return [settingsNode(await ctx.storage.presence.getPrivacy(session.user))];
      const req = children(node).find((c) => c.tag === 'privacy');
      const categories = req ? children(req) : [];
      if (categories.length === 0)
        throw new ParleyError('bad_request', 'expected <privacy><category/></privacy>');
      const patch: Partial<PrivacySettings> = {};
      for (const c of categories) {
        const { name, value } = c.attrs;
        const setting =
          value !== undefined && Object.hasOwn(TO_SETTING, value) ? TO_SETTING[value] : undefined;
        if (c.tag !== 'category' || name !== 'last' || setting === undefined) {
          throw new ParleyError(
            'bad_request',
            'a category is <category name="last" value="all|contacts|none"/>',
          );
        }
        patch.lastSeen = setting;
      }
      return [settingsNode(await ctx.storage.presence.setPrivacy(session.user, patch))];
    });
  },
});

function settingsNode(s: PrivacySettings): Node {
  return {
    tag: 'privacy',
    attrs: {},
    content: [{ tag: 'category', attrs: { name: 'last', value: TO_WIRE[s.lastSeen] } }],
  };
}
