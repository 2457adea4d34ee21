/**
 * A stanza: XMPP-shaped, so every layer (codec, XML text form, router, SDK) shares one shape.
 * `attrs` keeps insertion order, which the codec preserves; keys are XML names, never integer-like, so
 * JavaScript's own key ordering can never reorder them. `content` is absent, child nodes, or raw bytes.
 */
export interface Node {
  tag: string;
  attrs: Attrs;
  content?: Node[] | Uint8Array | undefined;
}

export type Attrs = Record<string, string>;

export function node(tag: string, attrs: Attrs = {}, content?: Node[] | Uint8Array | string): Node {
  if (typeof content === 'string') return { tag, attrs, content: utf8Encoder.encode(content) };
  return content === undefined ? { tag, attrs } : { tag, attrs, content };
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

export function children(n: Node): Node[] {
  return Array.isArray(n.content) ? n.content : [];
}

export function child(n: Node, tag: string): Node | undefined {
  return Array.isArray(n.content) ? n.content.find((c) => c.tag === tag) : undefined;
}

export function contentBytes(n: Node): Uint8Array | undefined {
  return n.content instanceof Uint8Array ? n.content : undefined;
}

/** The node's bytes content read as UTF-8 text (lossy), or undefined when it has none. */
export function contentText(n: Node): string | undefined {
  return n.content instanceof Uint8Array ? utf8Decoder.decode(n.content) : undefined;
}

/** Deep structural equality, attribute order included. */
export function nodesEqual(a: Node, b: Node): boolean {
  if (a.tag !== b.tag) return false;
  const ak = Object.keys(a.attrs);
  const bk = Object.keys(b.attrs);
  if (ak.length !== bk.length) return false;
  for (let i = 0; i < ak.length; i++) {
    if (ak[i] !== bk[i] || a.attrs[ak[i]!] !== b.attrs[bk[i]!]) return false;
  }
  const ac = a.content;
  const bc = b.content;
  if (ac === undefined || bc === undefined) return ac === bc;
  if (Array.isArray(ac)) {
    if (!Array.isArray(bc) || ac.length !== bc.length) return false;
    return ac.every((c, i) => nodesEqual(c, bc[i]!));
  }
  if (Array.isArray(bc) || ac.length !== bc.length) return false;
  for (let i = 0; i < ac.length; i++) if (ac[i] !== bc[i]) return false;
  return true;
}
