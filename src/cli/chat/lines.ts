import { createInterface } from 'node:readline';
import type { StoredMessage } from '../../client/store.js';
import { clock, HELP, identityWarning, presenceText } from './render.js';
import type { ChatSession } from './session.js';
import type { Action, ChatState } from './state.js';
import { isTyping } from './state.js';
import { sanitize } from './text.js';

/**
 * Line mode, for pipes and scripts: no screen control, one plain line per event, every input line is
 * sent (or run as a /command), end of input quits. The lines are stable enough to grep:
 *   12:00:01 +15550002222: hi        12:00:02 me: hello  … 0123456789ABCDEF pending
 *   ✓ <id> sent   ✓✓ <id> delivered   ✓✓ <id> read   ✗ <id> failed: <reason>
 */

/** How many messages of history opening a conversation prints. */
const HISTORY = 10;

const MARK = { sent: '✓', delivered: '✓✓', read: '✓✓', played: '✓✓', failed: '✗', pending: '…' };

/** A message as one line; ours end with their mark, id and status, as the status lines name them. */
export function messageLine(m: StoredMessage): string {
  const who = m.outgoing ? 'me' : `+${m.sender}`;
  const line = `${clock(m.t, true)} ${who}: ${sanitize(m.text, false)}`;
  return m.outgoing ? `${line}  ${MARK[m.status]} ${m.id} ${m.status}` : line;
}

/** The lines an action prints, given the state before and after it. */
export function describe(a: Action, before: ChatState, after: ChatState): string[] {
  switch (a.type) {
    case 'open':
      return [
        `— chat with +${a.chat} as +${after.me} (/help lists commands)`,
        ...a.messages.slice(-HISTORY).map(messageLine),
      ];
    case 'list':
      return [
        `— ${a.chats.length} conversation(s); a number or /open +number opens one`,
        ...a.chats.map((c, i) => `${i + 1}. +${c.chat}${c.unread ? ` (${c.unread} unread)` : ''}`),
      ];
    case 'incoming':
      return [messageLine(a.m)];
    case 'outgoing':
      return [messageLine(a.m)];
    case 'status':
      return [`${MARK[a.status]} ${a.id} ${a.status}${a.reason ? `: ${a.reason}` : ''}`];
    case 'presence': {
      const text = presenceText(after);
      return a.user === after.open && text && text !== presenceText(before) ? [`+${a.user} ${text}`] : [];
    }
    case 'chatstate': {
      const was = isTyping(before.peer, before.now);
      const is = isTyping(after.peer, after.now);
      if (a.user !== after.open || was === is) return [];
      return [is ? `+${a.user} is typing…` : `+${a.user} stopped typing`];
    }
    case 'identity':
      return a.changed && !before.peer?.identityChanged && identityWarning(after)
        ? [identityWarning(after)!]
        : [];
    case 'connection':
      if (a.online) return before.connection === 'online' ? [] : ['— connected'];
      // Each failed retry is another `offline`: say it once, until connected again.
      if (before.connection !== 'online') return [];
      return [
        `— connection lost (${a.reason ?? 'closed'})${a.retryInMs !== undefined ? `; reconnecting in ${(a.retryInMs / 1000).toFixed(1)} s` : ''}`,
      ];
    case 'notice':
      return a.text ? [sanitize(a.text, false)] : [];
    case 'help':
      return HELP;
    default:
      return [];
  }
}

/** Runs the session over lines of `input`; resolves once the session has ended. */
export function runLineMode(session: ChatSession, input: NodeJS.ReadableStream): void {
  const rl = createInterface({ input, terminal: false, crlfDelay: Number.POSITIVE_INFINITY });
  rl.on('line', (line) => session.submit(line));
  rl.on('close', () => void session.quit(0));
  void session.done.then(() => rl.close());
}
