import { type NodeLayout, nodeLayout } from './decoder.js';
import { defaultDictionary, Encoder } from './encoder.js';
import { WireError } from './errors.js';
import { LIST_8, LIST_16 } from './tags.js';

const encoder = new Encoder(defaultDictionary, 256);

/**
 * An encoded node with one more attribute, last, without decoding and re-encoding the rest: the server
 * flags a stored stanza `offline="1"` on its way out of the queue this way. The result is byte for byte
 * what encodeNode gives for the node with the attribute added. Throws WireError for malformed input or
 * a key the node already has.
 */
export function withAttribute(bytes: Uint8Array, key: string, value: string): Uint8Array {
  const at: NodeLayout = nodeLayout(bytes);
  if (at.keys.includes(key)) throw new WireError('bad_node', `duplicate attribute "${key}"`, at.header);
  const extra = encoder.encodeAttribute(key, value);
  const size = at.size + 2;
  if (size > 0xffff) throw new WireError('too_many_attrs', 'node too large for another attribute', 0);
  const header = size < 256 ? 2 : 3;
  const out = new Uint8Array(
    header + (at.attrsEnd - at.header) + extra.length + (bytes.length - at.attrsEnd),
  );
  if (header === 2) {
    out[0] = LIST_8;
    out[1] = size;
  } else {
    out[0] = LIST_16;
    out[1] = size >> 8;
    out[2] = size & 0xff;
  }
  out.set(bytes.subarray(at.header, at.attrsEnd), header);
  let p = header + at.attrsEnd - at.header;
  out.set(extra, p);
  p += extra.length;
  out.set(bytes.subarray(at.attrsEnd), p);
  return out;
}
