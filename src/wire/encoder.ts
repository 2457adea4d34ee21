import { Dictionary } from './dictionary.js';
import { WireError } from './errors.js';
import { isName } from './names.js';
import type { Node } from './node.js';
import { PACK_NIBBLE, packKind, writePacked } from './packed.js';
import { DICTIONARY_V1 } from './tables.generated.js';
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
  PACKED_MAX,
  SERVER,
} from './tags.js';

export const defaultDictionary = new Dictionary(DICTIONARY_V1);

/** Deeper nodes are refused on encode for the same reason the decoder refuses them: nobody can read them. */
export const MAX_ENCODE_DEPTH = 64;
const utf8 = new TextEncoder();

/**
 * Writes nodes into one growing buffer that is reused between calls, so encoding a stanza costs one copy
 * out at the end rather than an allocation per field.
 */
export class Encoder {
  private buf: Uint8Array;
  private pos = 0;

  constructor(
    private readonly dict: Dictionary = defaultDictionary,
    initialSize = 4096,
  ) {
    this.buf = new Uint8Array(initialSize);
  }

  /** The node's bytes (a fresh array the caller owns). */
  encode(node: Node): Uint8Array {
    return this.encodeWithPrefix(-1, node);
  }

  /** Like encode, with one leading byte (the transport's flag byte) written before the node. */
  encodeWithPrefix(prefix: number, node: Node): Uint8Array {
    this.pos = 0;
    if (prefix >= 0) {
      this.ensure(1);
      this.buf[this.pos++] = prefix;
    }
    this.writeNode(node, 1);
    const out = this.buf.slice(0, this.pos);
    // A one-off huge stanza must not pin its buffer for the connection's lifetime.
    if (this.buf.length > 1 << 20) this.buf = new Uint8Array(4096);
    return out;
  }

  /** The bytes of an attribute key and value as they appear inside an encoded node. */
  encodeAttribute(key: string, value: string): Uint8Array {
    if (!isName(key)) throw invalid(`attribute key "${key.slice(0, 40)}" is not a valid name`);
    this.pos = 0;
    this.writeString(key, false);
    this.writeString(value, false);
    return this.buf.slice(0, this.pos);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  private writeNode(node: Node, depth: number): void {
    if (depth > MAX_ENCODE_DEPTH) throw invalid(`nodes nested deeper than ${MAX_ENCODE_DEPTH}`);
    if (node === null || typeof node !== 'object' || typeof node.tag !== 'string') {
      throw invalid('not a node');
    }
    const attrs = node.attrs;
    const content = node.content;
    let nattrs = 0;
    for (const _ in attrs) nattrs++;
    const size = 1 + 2 * nattrs + (content === undefined ? 0 : 1);
    if (size > 0xffff) throw invalid(`<${node.tag}> has too many attributes to encode`);
    this.writeListHeader(size);
    this.writeName(node.tag);
    for (const key in attrs) {
      const value = attrs[key];
      if (typeof value !== 'string') throw invalid(`<${node.tag}> attribute ${key} is not a string`);
      this.writeName(key);
      this.writeString(value, false);
    }
    if (content === undefined) return;
    if (Array.isArray(content)) {
      const n = content.length;
      if (n === 0) {
        this.ensure(1);
        this.buf[this.pos++] = LIST_EMPTY;
        return;
      }
      if (n > 0xffff) throw invalid(`<${node.tag}> has more than 65535 children`);
      this.writeListHeader(n);
      for (let i = 0; i < n; i++) this.writeNode(content[i]!, depth + 1);
    } else if (content instanceof Uint8Array) {
      this.writeBytes(content);
    } else {
      throw invalid(`<${node.tag}> content is neither children nor bytes`);
    }
  }

  private writeListHeader(size: number): void {
    this.ensure(3);
    if (size < 0x100) {
      this.buf[this.pos++] = LIST_8;
      this.buf[this.pos++] = size;
    } else {
      this.buf[this.pos++] = LIST_16;
      this.buf[this.pos++] = size >> 8;
      this.buf[this.pos++] = size & 0xff;
    }
  }

  private writeName(name: string): void {
    if (typeof name !== 'string' || !isName(name))
      throw invalid(`"${String(name)}" is not a valid tag or key`);
    this.writeString(name, false);
  }

  private writeString(s: string, nested: boolean): void {
    const n = s.length;
    if (n === 0) {
      this.ensure(2);
      this.buf[this.pos++] = BINARY_8;
      this.buf[this.pos++] = 0;
      return;
    }
    const code = this.dict.code(s);
    if (code !== undefined) {
      this.ensure(2);
      if (code < 0x100) this.buf[this.pos++] = code;
      else {
        this.buf[this.pos++] = code >> 8;
        this.buf[this.pos++] = code & 0xff;
      }
      return;
    }
    if (n <= PACKED_MAX) {
      const kind = packKind(s);
      if (kind !== 0) {
        this.ensure(2 + (n >> 1) + 1);
        this.buf[this.pos++] = kind === PACK_NIBBLE ? NIBBLE_8 : HEX_8;
        this.pos = writePacked(s, this.buf, this.pos);
        return;
      }
    }
    if (!nested && this.tryWriteJid(s)) return;
    this.writeRawString(s);
  }

  /** `user@server` as a JID pair, `user:device@s.us` as a device JID; anything else is not a JID here. */
  private tryWriteJid(s: string): boolean {
    const at = s.indexOf('@');
    if (at < 1 || at === s.length - 1 || s.indexOf('@', at + 1) !== -1) return false;
    const user = s.slice(0, at);
    const server = s.slice(at + 1);
    const colon = user.indexOf(':');
    if (colon > 0 && server === SERVER && user.indexOf(':', colon + 1) === -1) {
      const device = user.slice(colon + 1);
      if (/^(0|[1-9][0-9]{0,2})$/.test(device) && Number(device) <= 255) {
        this.ensure(3);
        this.buf[this.pos++] = DEVICE_JID;
        this.buf[this.pos++] = DOMAIN_S_US;
        this.buf[this.pos++] = Number(device);
        this.writeString(user.slice(0, colon), true);
        return true;
      }
    }
    this.ensure(1);
    this.buf[this.pos++] = JID_PAIR;
    this.writeString(user, true);
    this.writeString(server, true);
    return true;
  }

  private writeRawString(s: string): void {
    const n = s.length;
    for (let i = 0; i < n; i++) {
      if (s.charCodeAt(i) >= 0x80) {
        if (!s.isWellFormed()) throw invalid('string has an unpaired surrogate');
        this.writeBytes(utf8.encode(s));
        return;
      }
    }
    this.writeBinaryHeader(n);
    this.ensure(n);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < n; i++) buf[pos++] = s.charCodeAt(i);
    this.pos = pos;
  }

  private writeBinaryHeader(n: number): void {
    this.ensure(5);
    const buf = this.buf;
    if (n < 0x100) {
      buf[this.pos++] = BINARY_8;
      buf[this.pos++] = n;
    } else if (n < 0x100000) {
      buf[this.pos++] = BINARY_20;
      buf[this.pos++] = n >> 16;
      buf[this.pos++] = (n >> 8) & 0xff;
      buf[this.pos++] = n & 0xff;
    } else {
      if (n > 0xffffffff) throw invalid('bytes longer than 2^32-1');
      buf[this.pos++] = BINARY_32;
      buf[this.pos++] = n >>> 24;
      buf[this.pos++] = (n >> 16) & 0xff;
      buf[this.pos++] = (n >> 8) & 0xff;
      buf[this.pos++] = n & 0xff;
    }
  }

  private writeBytes(bytes: Uint8Array): void {
    this.writeBinaryHeader(bytes.length);
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }
}

function invalid(reason: string): WireError {
  return new WireError('invalid_node', reason, -1);
}

const shared = new Encoder();

/** Encodes one node with the default (v1) dictionaries. */
export function encodeNode(node: Node): Uint8Array {
  return shared.encode(node);
}
