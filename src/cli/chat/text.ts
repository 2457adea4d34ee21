/**
 * Terminal text: display width, truncation and wrapping by grapheme (so an emoji or an accented letter is
 * never cut in half), and sanitising, because message text comes from other people and must not be able
 * to move our cursor, recolour the screen or reorder the line with bidi controls.
 */

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

export function graphemes(s: string): string[] {
  return Array.from(segmenter.segment(s), (x) => x.segment);
}

/** East Asian Wide/Fullwidth blocks (the common ones; close enough to wcwidth for chat text). */
function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}]+$/u;
const EMOJI = /\p{Emoji_Presentation}|\p{Extended_Pictographic}\uFE0F/u;

/** Columns one grapheme takes in a terminal. */
export function graphemeWidth(g: string): number {
  const cp = g.codePointAt(0) ?? 0;
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || ZERO_WIDTH.test(g)) return 0;
  if (EMOJI.test(g) || isWide(cp)) return 2;
  return 1;
}

export function strWidth(s: string): number {
  let w = 0;
  for (const g of graphemes(s)) w += graphemeWidth(g);
  return w;
}

/** The longest prefix of `s` that fits in `width` columns. */
export function truncate(s: string, width: number): string {
  if (width <= 0) return '';
  let out = '';
  let w = 0;
  for (const g of graphemes(s)) {
    const gw = graphemeWidth(g);
    if (w + gw > width) break;
    out += g;
    w += gw;
  }
  return out;
}

/** Like truncate, but ends with `…` when something was cut, so the reader knows there is more. */
export function ellipsize(s: string, width: number): string {
  if (strWidth(s) <= width) return s;
  return width <= 1 ? truncate('…', width) : `${truncate(s, width - 1)}…`;
}

/** The shortest suffix that fits: the input line shows its end, where the user is typing. */
export function tail(s: string, width: number): string {
  const gs = graphemes(s);
  let w = 0;
  let i = gs.length;
  while (i > 0 && w + graphemeWidth(gs[i - 1]!) <= width) w += graphemeWidth(gs[--i]!);
  return gs.slice(i).join('');
}

// C0 (but \n), DEL, C1, and the bidi embedding/override/isolate controls.
const UNSAFE = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

/** Makes foreign text safe to print: tabs become spaces, other controls a visible `�`. */
export function sanitize(s: string, keepNewlines = true): string {
  const clean = s.replace(/\r\n?/g, '\n').replace(UNSAFE, (c) => (c === '\t' ? '  ' : '�'));
  return keepNewlines ? clean : clean.replace(/\n/g, ' ↵ ');
}

/**
 * Greedy word wrap to `width` columns (`firstWidth` for the first line, which may carry a prefix).
 * Words longer than a line are broken between graphemes; newlines start a new line.
 */
export function wrap(text: string, width: number, firstWidth = width): string[] {
  const out: string[] = [];
  const max = () => Math.max(1, out.length === 0 ? firstWidth : width);
  let line = '';
  let lw = 0;
  const flush = () => {
    out.push(line.trimEnd());
    line = '';
    lw = 0;
  };
  for (const para of text.split('\n')) {
    for (const token of para.split(/( +)/)) {
      if (token === '') continue;
      const tw = strWidth(token);
      if (token.startsWith(' ')) {
        // Spaces at a break are dropped rather than starting the next line.
        if (lw + tw <= max()) {
          line += token;
          lw += tw;
        } else if (lw > 0) flush();
        continue;
      }
      if (lw + tw > max() && lw > 0 && tw <= width) flush();
      for (const g of graphemes(token)) {
        const gw = graphemeWidth(g);
        if (lw + gw > max() && lw > 0) flush();
        line += g;
        lw += gw;
      }
    }
    flush();
  }
  return out;
}
