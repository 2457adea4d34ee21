import { fromBase64, toBase64 } from './base64.js';
import { WireError } from './errors.js';
import { isName } from './names.js';
import type { Attrs, Node } from './node.js';

/**
 * The XML text form of a node, for logs, tests and the inspector. It is exact: text → node → text and
 * node → text → node both round-trip. Conventions (docs/protocol.md §1):
 * - bytes content that is valid UTF-8 without control characters (tab, newline, CR aside) prints as
 *   escaped text: `<body>hello</body>`; any other bytes print as base64 after a marker:
 *   `<enc v="2" type="msg"><!--b64-->MwhE…</enc>`;
 * - `<x/>` has no content, `<x></x>` has empty bytes, `<x><!--children--></x>` an empty child list.
 */
export const B64_MARKER = '<!--b64-->';
export const EMPTY_CHILDREN_MARKER = '<!--children-->';

export interface XmlOptions {
  /** Indent children by this string per level (pretty form); compact when absent. */
  indent?: string;
  /** Show at most this many bytes of base64 content, then an ellipsis (lossy: for logs only). */
  maxBytes?: number;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8 = new TextEncoder();

export function toXml(node: Node, options: XmlOptions = {}): string {
  const parts: string[] = [];
  write(node, 0, options, parts);
  return parts.join('');
}

function write(n: Node, depth: number, o: XmlOptions, out: string[]): void {
  out.push('<', n.tag);
  for (const k in n.attrs) out.push(' ', k, '="', escapeXml(n.attrs[k]!, true), '"');
  const c = n.content;
  if (c === undefined) {
    out.push('/>');
    return;
  }
  out.push('>');
  if (Array.isArray(c)) {
    if (c.length === 0) out.push(EMPTY_CHILDREN_MARKER);
    for (const child of c) {
      if (o.indent !== undefined) out.push('\n', o.indent.repeat(depth + 1));
      write(child, depth + 1, o, out);
    }
    if (o.indent !== undefined && c.length > 0) out.push('\n', o.indent.repeat(depth));
  } else {
    const text = bytesAsText(c);
    if (text !== undefined) out.push(escapeXml(text, false));
    else if (o.maxBytes !== undefined && c.length > o.maxBytes) {
      out.push(B64_MARKER, toBase64(c.subarray(0, o.maxBytes)), `…(${c.length} bytes)`);
    } else out.push(B64_MARKER, toBase64(c));
  }
  out.push('</', n.tag, '>');
}

function bytesAsText(b: Uint8Array): string | undefined {
  for (let i = 0; i < b.length; i++) {
    const x = b[i]!;
    if ((x < 0x20 && x !== 0x09 && x !== 0x0a && x !== 0x0d) || x === 0x7f) return undefined;
  }
  try {
    return strictUtf8.decode(b);
  } catch {
    return undefined;
  }
}

function escapeXml(s: string, attr: boolean): string {
  let out = '';
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | undefined;
    if (c === 0x26) rep = '&amp;';
    else if (c === 0x3c) rep = '&lt;';
    else if (c === 0x3e) rep = '&gt;';
    else if (c === 0x22 && attr) rep = '&quot;';
    else if (c === 0x0d) rep = '&#13;';
    else if (c < 0x20 || c === 0x7f) {
      if (attr || (c !== 0x09 && c !== 0x0a)) rep = `&#${c};`;
    }
    if (rep !== undefined) {
      out += s.slice(last, i) + rep;
      last = i + 1;
    }
  }
  return last === 0 ? s : out + s.slice(last);
}

const MAX_XML_DEPTH = 64;

/** Parses the text form (compact or indented) back into a node. Throws WireError('bad_xml') on bad input. */
export function fromXml(text: string): Node {
  const p = new XmlParser(text);
  p.skipWs();
  const n = p.element(1);
  p.skipWs();
  if (p.pos !== text.length) p.fail('text after the root element');
  return n;
}

class XmlParser {
  pos = 0;
  constructor(private readonly s: string) {}

  fail(reason: string, at = this.pos): never {
    throw new WireError('bad_xml', reason, at);
  }

  /** XML whitespace only (space, tab, CR, LF): names may contain other Unicode spaces such as U+00A0. */
  skipWs(): void {
    while (this.pos < this.s.length && /[ \t\n\r]/.test(this.s[this.pos]!)) this.pos++;
  }

  private expect(str: string): void {
    if (!this.s.startsWith(str, this.pos)) this.fail(`expected "${str}"`);
    this.pos += str.length;
  }

  private name(): string {
    const start = this.pos;
    while (this.pos < this.s.length && !/[ \t\n\r/>=<"']/.test(this.s[this.pos]!)) this.pos++;
    const n = this.s.slice(start, this.pos);
    if (!isName(n)) this.fail(`"${n}" is not a valid name`, start);
    return n;
  }

  element(depth: number): Node {
    if (depth > MAX_XML_DEPTH) this.fail(`elements nested deeper than ${MAX_XML_DEPTH}`);
    this.expect('<');
    const tag = this.name();
    const attrs: Attrs = {};
    for (;;) {
      const before = this.pos;
      this.skipWs();
      if (this.s.startsWith('/>', this.pos)) {
        this.pos += 2;
        return { tag, attrs };
      }
      if (this.s[this.pos] === '>') {
        this.pos++;
        break;
      }
      if (this.pos === before) this.fail('expected whitespace, ">" or "/>"');
      const keyAt = this.pos;
      const key = this.name();
      if (Object.hasOwn(attrs, key)) this.fail(`duplicate attribute "${key}"`, keyAt);
      this.expect('=');
      const q = this.s[this.pos];
      if (q !== '"' && q !== "'") this.fail('attribute value must be quoted');
      this.pos++;
      const end = this.s.indexOf(q, this.pos);
      if (end < 0) this.fail('unterminated attribute value');
      attrs[key] = this.unescape(this.pos, end);
      this.pos = end + 1;
    }
    return { tag, attrs, content: this.content(tag, depth) };
  }

  private content(tag: string, depth: number): Node[] | Uint8Array {
    const close = `</${tag}`;
    if (this.s.startsWith(EMPTY_CHILDREN_MARKER, this.pos)) {
      this.pos += EMPTY_CHILDREN_MARKER.length;
      this.closeTag(close);
      return [];
    }
    if (this.s.startsWith(B64_MARKER, this.pos)) {
      this.pos += B64_MARKER.length;
      const end = this.s.indexOf('<', this.pos);
      if (end < 0) this.fail(`missing ${close}>`);
      const bytes = fromBase64(this.s.slice(this.pos, end));
      if (bytes === undefined) this.fail('invalid base64 content');
      this.pos = end;
      this.closeTag(close);
      return bytes;
    }
    const start = this.pos;
    this.skipWs();
    if (this.s[this.pos] === '<' && this.s[this.pos + 1] !== '/') {
      const kids: Node[] = [];
      while (this.s[this.pos] === '<' && this.s[this.pos + 1] !== '/') {
        kids.push(this.element(depth + 1));
        this.skipWs();
      }
      this.closeTag(close);
      return kids;
    }
    const end = this.s.indexOf('<', start);
    if (end < 0) this.fail(`missing ${close}>`);
    const text = this.unescape(start, end);
    this.pos = end;
    this.closeTag(close);
    return utf8.encode(text);
  }

  private closeTag(close: string): void {
    if (!this.s.startsWith(close, this.pos)) this.fail(`expected ${close}>`);
    this.pos += close.length;
    this.skipWs();
    this.expect('>');
  }

  private unescape(start: number, end: number): string {
    const raw = this.s.slice(start, end);
    if (raw.includes('<')) this.fail('"<" inside a value', start + raw.indexOf('<'));
    if (!raw.includes('&')) return raw;
    return raw.replace(/&([^;]*);?/g, (m, ent: string, off: number) => {
      if (!m.endsWith(';')) this.fail('unterminated entity', start + off);
      switch (ent) {
        case 'amp':
          return '&';
        case 'lt':
          return '<';
        case 'gt':
          return '>';
        case 'quot':
          return '"';
        case 'apos':
          return "'";
      }
      const code = /^#x[0-9a-fA-F]{1,6}$/.test(ent)
        ? Number.parseInt(ent.slice(2), 16)
        : /^#[0-9]{1,7}$/.test(ent)
          ? Number(ent.slice(1))
          : -1;
      if (code < 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
        this.fail(`unknown entity "&${ent};"`, start + off);
      }
      return String.fromCodePoint(code);
    });
  }
}
