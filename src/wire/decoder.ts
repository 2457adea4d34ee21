import type { Dictionary } from './dictionary.js';
import { defaultDictionary } from './encoder.js';
import { WireError, type WireErrorCode } from './errors.js';
import { isName } from './names.js';
import type { Attrs, Node } from './node.js';
import { unpack } from './packed.js';
import {
  BINARY_8,
  BINARY_20,
  BINARY_32,
  DEVICE_JID,
  DOMAIN_S_US,
  HEX_8,
  JID_PAIR,
  LIST_8,
  LIST_16,
  LIST_EMPTY,
  NIBBLE_8,
  SECONDARY_FIRST,
  SECONDARY_LAST,
  SERVER,
} from './tags.js';
import { decodeUtf8 } from './utf8.js';

export interface DecodeLimits {
  /** Nesting depth of nodes; the top node is depth 1. */
  maxDepth: number;
  maxAttrs: number;
  /** Children of one node. */
  maxChildren: number;
}

export const DEFAULT_LIMITS: Readonly<DecodeLimits> = Object.freeze({
  maxDepth: 32,
  maxAttrs: 64,
  maxChildren: 16384,
});

export interface DecodeOptions {
  dictionary?: Dictionary;
  limits?: Partial<DecodeLimits>;
}

/** The smallest encoded node: LIST_8, size 1, a one-byte tag. Used to refuse child counts the input can't hold. */
const MIN_NODE_BYTES = 3;

/**
 * Decodes exactly one node from `bytes`. Byte contents in the result are views into `bytes` (no copy):
 * the caller must not reuse the input buffer while it keeps the node.
 * Throws WireError, and nothing else, for any malformed input.
 */
export function decodeNode(bytes: Uint8Array, options?: DecodeOptions): Node {
  const l = options?.limits;
  // `??` per field: a limit given as undefined (an unset config value) keeps its default, never lifts it.
  const limits = l
    ? {
        maxDepth: l.maxDepth ?? DEFAULT_LIMITS.maxDepth,
        maxAttrs: l.maxAttrs ?? DEFAULT_LIMITS.maxAttrs,
        maxChildren: l.maxChildren ?? DEFAULT_LIMITS.maxChildren,
      }
    : DEFAULT_LIMITS;
  const d = new Reader(bytes, options?.dictionary ?? defaultDictionary, limits);
  const node = d.readNode(1);
  if (d.pos !== bytes.length) d.fail('trailing_bytes', `${bytes.length - d.pos} bytes after the node`, d.pos);
  return node;
}

/** Where a node's parts lie in its encoding (see `withAttribute`). */
export interface NodeLayout {
  /** Bytes of the list header (LIST_8 or LIST_16 and the size). */
  header: number;
  /** The list size: 1 + 2·attributes (+1 with content). */
  size: number;
  /** Offset just after the last attribute: the content, if any, starts here. */
  attrsEnd: number;
  keys: string[];
}

/** Reads a node's header, tag and attributes (checked as decodeNode checks them), not its content. */
export function nodeLayout(bytes: Uint8Array, dictionary: Dictionary = defaultDictionary): NodeLayout {
  return new Reader(bytes, dictionary, DEFAULT_LIMITS).readLayout();
}

class Reader {
  pos = 0;
  private readonly end: number;

  constructor(
    private readonly buf: Uint8Array,
    private readonly dict: Dictionary,
    private readonly limits: Readonly<DecodeLimits>,
  ) {
    this.end = buf.length;
  }

  fail(code: WireErrorCode, reason: string, offset = this.pos): never {
    throw new WireError(code, reason, offset);
  }

  private byte(): number {
    if (this.pos >= this.end) this.fail('truncated', 'input ends early');
    return this.buf[this.pos++]!;
  }

  private need(n: number, what: string): void {
    if (this.end - this.pos < n) {
      this.fail('length_past_end', `${what} of ${n} bytes runs past the end (${this.end - this.pos} left)`);
    }
  }

  private listSize(tagOffset: number, tag: number): number {
    if (tag === LIST_EMPTY) return 0;
    if (tag === LIST_8) return this.byte();
    if (tag === LIST_16) {
      const hi = this.byte();
      return (hi << 8) | this.byte();
    }
    return this.fail('unknown_tag', `expected a list, found tag 0x${hex(tag)}`, tagOffset);
  }

  readLayout(): NodeLayout {
    const start = this.pos;
    const size = this.listSize(start, this.byte());
    if (size === 0) this.fail('bad_node', 'empty list where a node was expected', start);
    const header = this.pos - start;
    // No attribute limit here: need(size) bounds the work by the input, and the bytes were a node
    // this process encoded or accepted whole.
    const nattrs = (size - 1) >> 1;
    this.need(size, 'node');
    this.readName('tag');
    const keys: string[] = [];
    for (let i = 0; i < nattrs; i++) {
      keys.push(this.readName('attribute key'));
      this.readString(false);
    }
    return { header, size, attrsEnd: this.pos, keys };
  }

  readNode(depth: number): Node {
    if (depth > this.limits.maxDepth)
      this.fail('too_deep', `nodes nested deeper than ${this.limits.maxDepth}`);
    const start = this.pos;
    const size = this.listSize(start, this.byte());
    if (size === 0) this.fail('bad_node', 'empty list where a node was expected', start);
    const nattrs = (size - 1) >> 1;
    if (nattrs > this.limits.maxAttrs)
      this.fail('too_many_attrs', `${nattrs} attributes (limit ${this.limits.maxAttrs})`, start);
    this.need(size, 'node');
    const tag = this.readName('tag');
    const attrs: Attrs = {};
    for (let i = 0; i < nattrs; i++) {
      const keyAt = this.pos;
      const key = this.readName('attribute key');
      if (Object.hasOwn(attrs, key)) this.fail('bad_node', `duplicate attribute "${key}"`, keyAt);
      attrs[key] = this.readString(false);
    }
    if ((size & 1) === 1) return { tag, attrs };
    return { tag, attrs, content: this.readContent(depth) };
  }

  private readContent(depth: number): Node[] | Uint8Array {
    const at = this.pos;
    const tag = this.byte();
    switch (tag) {
      case LIST_EMPTY:
        return [];
      case LIST_8:
      case LIST_16: {
        const n = this.listSize(at, tag);
        if (n > this.limits.maxChildren)
          this.fail('too_many_children', `${n} children (limit ${this.limits.maxChildren})`, at);
        this.need(n * MIN_NODE_BYTES, `${n} children`);
        const out: Node[] = [];
        for (let i = 0; i < n; i++) out.push(this.readNode(depth + 1));
        return out;
      }
      case BINARY_8:
      case BINARY_20:
      case BINARY_32: {
        const n = this.binaryLength(tag);
        const s = this.pos;
        this.pos += n;
        return this.buf.subarray(s, s + n);
      }
      default:
        // Older encoders wrote textual content as a token or packed string; accept it as its UTF-8 bytes.
        this.pos = at;
        return new TextEncoder().encode(this.readString(false));
    }
  }

  private binaryLength(tag: number): number {
    let n: number;
    if (tag === BINARY_8) n = this.byte();
    else if (tag === BINARY_20) {
      const at = this.pos;
      const b0 = this.byte();
      if (b0 > 0x0f) this.fail('bad_node', 'BINARY_20 length above 20 bits', at);
      n = (b0 << 16) | (this.byte() << 8) | this.byte();
    } else {
      n = this.byte() * 0x1000000 + ((this.byte() << 16) | (this.byte() << 8) | this.byte());
    }
    this.need(n, 'bytes');
    return n;
  }

  private readName(what: string): string {
    const at = this.pos;
    const s = this.readString(false);
    if (!isName(s)) this.fail('bad_node', `${what} "${s.slice(0, 40)}" is not a valid name`, at);
    return s;
  }

  /** `inJid`: JID parts may not themselves be JIDs, which bounds the recursion without a depth counter. */
  private readString(inJid: boolean): string {
    const at = this.pos;
    const tag = this.byte();
    if (tag >= 0x03 && tag < SECONDARY_FIRST) {
      const tok = this.dict.primary[tag];
      return tok ?? this.fail('unknown_token', `no primary token 0x${hex(tag)}`, at);
    }
    switch (tag) {
      case BINARY_8:
      case BINARY_20:
      case BINARY_32: {
        const n = this.binaryLength(tag);
        const s = decodeUtf8(this.buf, this.pos, this.pos + n);
        if (s === undefined) this.fail('bad_utf8', 'text is not valid UTF-8', at);
        this.pos += n;
        return s;
      }
      case NIBBLE_8:
      case HEX_8:
        return this.readPacked(tag === HEX_8);
      case JID_PAIR: {
        if (inJid) this.fail('bad_node', 'JID nested inside a JID', at);
        let user: string | undefined;
        if (this.buf[this.pos] === LIST_EMPTY && this.pos < this.end) this.pos++;
        else user = this.readString(true);
        const server = this.readString(true);
        return user === undefined ? server : `${user}@${server}`;
      }
      case DEVICE_JID: {
        if (inJid) this.fail('bad_node', 'JID nested inside a JID', at);
        const domain = this.byte();
        if (domain !== DOMAIN_S_US) this.fail('bad_node', `unknown device-JID domain ${domain}`, at + 1);
        const device = this.byte();
        return `${this.readString(true)}:${device}@${SERVER}`;
      }
      case LIST_EMPTY:
        // A null string; Parley writes "" as BINARY_8 0, but older encoders wrote null here.
        return '';
      default:
        if (tag >= SECONDARY_FIRST && tag <= SECONDARY_LAST) {
          const index = this.byte();
          const tok = this.dict.secondary[tag - SECONDARY_FIRST]?.[index];
          return (
            tok ??
            this.fail('unknown_token', `no secondary token ${tag - SECONDARY_FIRST}:0x${hex(index)}`, at)
          );
        }
        return this.fail('unknown_tag', `unexpected tag 0x${hex(tag)} where a string was expected`, at);
    }
  }

  private readPacked(isHex: boolean): string {
    const at = this.pos;
    const header = this.byte();
    const nbytes = header & 0x7f;
    const odd = header >= 0x80;
    if (nbytes === 0) this.fail('bad_packed', 'packed string of zero bytes', at);
    this.need(nbytes, 'packed string');
    const s = unpack(this.buf, this.pos, nbytes, odd, isHex);
    if (s === undefined) this.fail('bad_packed', `invalid ${isHex ? 'hex' : 'nibble'} data`, at);
    this.pos += nbytes;
    return s;
  }
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0').toUpperCase();
}
