export { fromBase64, fromHex, toBase64, toHex } from './base64.js';
export { DEFAULT_LIMITS, type DecodeLimits, type DecodeOptions, decodeNode } from './decoder.js';
export { Dictionary, type DictionaryTables, parsePrimaryTsv, parseSecondaryTsv } from './dictionary.js';
export { defaultDictionary, Encoder, encodeNode } from './encoder.js';
export { WireError, type WireErrorCode } from './errors.js';
export {
  DEFAULT_MAX_FRAME,
  encodeFrame,
  FRAME_LENGTH_LIMIT,
  FrameReader,
  writeFrameHeader,
} from './frame.js';
export {
  DICTIONARY_VERSION,
  FLAG_COMPRESSED,
  isStreamHeader,
  PROTOCOL_VERSION,
  STREAM_HEADER,
} from './header.js';
export { isName } from './names.js';
export {
  type Attrs,
  child,
  children,
  contentBytes,
  contentText,
  type Node,
  node,
  nodesEqual,
} from './node.js';
export { withAttribute } from './splice.js';
export { DICTIONARY_V1 } from './tables.generated.js';
export { GROUP_SERVER, SERVER } from './tags.js';
export { B64_MARKER, EMPTY_CHILDREN_MARKER, fromXml, toXml, type XmlOptions } from './xml.js';
