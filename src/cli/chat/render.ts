import type { MessageStatus, StoredMessage } from '../../client/store.js';
import { type ChatState, isTyping } from './state.js';
import { ellipsize, sanitize, strWidth, tail, truncate, wrap } from './text.js';

/**
 * The screen as a pure function of the state: rows of text (with SGR colours when `color`), each at most
 * `width` columns, and where the cursor goes. The TTY front end only diffs and writes these rows.
 */

export interface Screen {
  lines: string[];
  cursor: { row: number; col: number };
}

/** A run of text and its SGR parameters ('' = plain). */
type Seg = [text: string, sgr?: string];

const DIM = '2';
const REVERSE = '7';
const ME = '36';
const THEM = '33';
const READ = '1;34';

export const HELP = [
  'Enter sends to the open conversation; a line starting with / is a command:',
  '  /open +number   open a conversation (a new one too)',
  '  /back           back to the conversation list',
  '  /quit           leave (also Ctrl-C, or Ctrl-D on an empty line)',
  '  /help           this help',
  'In the list: ↑/↓ and Enter, or type a conversation’s number and Enter.',
  '//text sends a line that starts with /.',
];

const pad2 = (n: number) => String(n).padStart(2, '0');

/** Local time of a Unix-seconds timestamp: HH:MM, or HH:MM:SS. */
export function clock(t: number, seconds = false): string {
  const d = new Date(t * 1000);
  const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  return seconds ? `${hm}:${pad2(d.getSeconds())}` : hm;
}

/** "14:03" today, else "2025-03-01 14:03" (for last seen and the list). */
export function when(t: number, nowMs: number): string {
  const d = new Date(t * 1000);
  const today = new Date(nowMs);
  if (d.toDateString() === today.toDateString()) return clock(t);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${clock(t)}`;
}

/** An outgoing message's mark; without colour, read needs a word since it looks like delivered. */
export function markOf(status: MessageStatus, color: boolean): Seg {
  switch (status) {
    case 'pending':
      return ['…', DIM];
    case 'sent':
      return ['✓', DIM];
    case 'delivered':
      return ['✓✓', DIM];
    case 'read':
    case 'played':
      return color ? ['✓✓', READ] : [`✓✓ ${status}`];
    case 'failed':
      return ['✗ failed', '31'];
  }
}

/** The contact line of the header: typing…, online, last seen …; '' until the server has told us. */
export function presenceText(s: ChatState): string {
  const p = s.peer;
  if (!p) return '';
  if (isTyping(p, s.now)) return 'typing…';
  if (p.available) return 'online';
  if (p.lastSeen === 'deny') return 'last seen hidden';
  if (p.lastSeen !== undefined) return `last seen ${when(p.lastSeen, s.now)}`;
  return p.available === false ? 'offline' : '';
}

function paint(segs: Seg[], width: number, color: boolean): string {
  let out = '';
  let used = 0;
  for (const [text, sgr] of segs) {
    const t = truncate(text, width - used);
    if (t) out += color && sgr ? `\x1b[${sgr}m${t}\x1b[0m` : t;
    used += strWidth(t);
    if (t.length < text.length) break;
  }
  return out;
}

function header(s: ChatState, width: number, color: boolean): string {
  const title = s.open ? `+${s.open}` : `Parley · +${s.me}`;
  const status = s.open ? presenceText(s) : `${s.chats.length} conversation(s)`;
  const conn =
    s.connection === 'online' ? '' : `⟳ reconnecting${s.connectionNote ? ` (${s.connectionNote})` : ''}`;
  const left = ` ${title}${status ? `  ${status}` : ''}`;
  const right = conn ? `${conn} ` : '';
  const gap = Math.max(1, width - strWidth(left) - strWidth(right));
  const text = ellipsize(`${left}${' '.repeat(gap)}${right}`, width);
  return paint([[text + ' '.repeat(Math.max(0, width - strWidth(text))), REVERSE]], width, color);
}

/** One message as rows: "14:03 me: text ✓✓", continuation rows indented under the text. */
export function messageRows(m: StoredMessage, width: number, color: boolean): string[] {
  const who = m.outgoing ? 'me' : `+${m.sender}`;
  const prefix = `${clock(m.t)} ${who}: `;
  const pw = strWidth(prefix);
  const indent = Math.min(pw, Math.floor(width / 3));
  const body = wrap(sanitize(m.text), width - indent, width - pw);
  const rows: Seg[][] = body.map((text, i) =>
    i === 0
      ? [[clock(m.t), DIM], [' '], [who, m.outgoing ? ME : THEM], [': '], [text]]
      : [[' '.repeat(indent)], [text]],
  );
  if (m.outgoing) {
    const mark = markOf(m.status, color);
    const last = rows[rows.length - 1]!;
    const lastWidth = (rows.length === 1 ? pw : indent) + strWidth(body[body.length - 1]!);
    if (lastWidth + 1 + strWidth(mark[0]) <= width) last.push([' '], mark);
    else rows.push([[' '.repeat(indent)], mark]);
  }
  return rows.map((r) => paint(r, width, color));
}

function conversation(s: ChatState, width: number, rows: number, color: boolean): string[] {
  if (s.messages.length === 0)
    return [paint([['No messages yet: type below and press Enter.', DIM]], width, color)];
  const out: string[] = [];
  // Newest last, bottom-aligned: wrap from the end until the area is full.
  for (let i = s.messages.length - 1; i >= 0 && out.length < rows; i--)
    out.unshift(...messageRows(s.messages[i]!, width, color));
  return out.slice(-rows);
}

function chatList(s: ChatState, width: number, rows: number, color: boolean): string[] {
  if (s.chats.length === 0)
    return [paint([['No conversations yet: /open +number starts one.', DIM]], width, color)];
  const first = Math.max(0, Math.min(s.selected - rows + 1, s.chats.length - rows));
  const nw = String(s.chats.length).length;
  return s.chats.slice(first, first + rows).map((c, k) => {
    const i = first + k;
    const unread = c.unread > 0 ? ` (${c.unread})` : '';
    const who = c.last.outgoing ? 'me: ' : '';
    const head = `${i === s.selected ? '›' : ' '} ${String(i + 1).padStart(nw)}. +${c.chat}`;
    const time = ` ${when(c.last.t, s.now)}  `;
    const used = strWidth(head) + strWidth(unread) + strWidth(time);
    const preview = ellipsize(who + sanitize(c.last.text, false), Math.max(0, width - used));
    const segs: Seg[] = [[head, i === s.selected ? REVERSE : ''], [unread, '1;32'], [time, DIM], [preview]];
    return paint(segs, width, color);
  });
}

function hint(s: ChatState): string {
  if (s.open) return 'Enter: send · /back: list · /help · /quit';
  return '↑/↓ Enter or a number: open · /open +number · /help · /quit';
}

/** The warning under the header when the open contact's identity key changed (until verified). */
export function identityWarning(s: ChatState): string | undefined {
  if (!s.open || !s.peer?.identityChanged) return undefined;
  return `⚠ +${s.open}'s security code changed: parley verify +${s.open}`;
}

export function render(s: ChatState, width: number, height: number, color = false): Screen {
  const w = Math.max(10, width);
  const h = Math.max(3, height);
  const warning = h > 4 ? identityWarning(s) : undefined;
  const area = h - 3 - (warning ? 1 : 0);
  let body: string[];
  if (s.help) body = HELP.flatMap((l) => wrap(l, w - 2, w)).map((l) => paint([[l]], w, color));
  else body = s.open ? conversation(s, w, area, color) : chatList(s, w, area, color);
  body = body.slice(0, area);
  // Messages sit at the bottom, next to the input; the list starts at the top.
  const blank = new Array<string>(area - body.length).fill('');
  const top = [header(s, w, color)];
  if (warning) top.push(paint([[ellipsize(warning, w), '1;33']], w, color));
  const lines = [...top, ...(s.open && !s.help ? [...blank, ...body] : [...body, ...blank])];
  const notice = s.notice !== undefined ? sanitize(s.notice, false) : hint(s);
  lines.push(paint([[ellipsize(notice, w), s.notice !== undefined ? '' : DIM]], w, color));
  // Leave the last column free: the cursor needs a cell and the terminal must not wrap.
  const shown = tail(sanitize(s.input, false), w - 3);
  lines.push(`> ${shown}`);
  return { lines, cursor: { row: h - 1, col: 2 + strWidth(shown) } };
}
