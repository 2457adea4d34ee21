/** Tag bytes of the binary encoding (docs/protocol.md §2). */
export const LIST_EMPTY = 0x00;
export const STREAM_START = 0x01;
export const STREAM_END = 0x02;
export const SECONDARY_FIRST = 0xec;
export const SECONDARY_LAST = 0xef;
export const DEVICE_JID = 0xf7;
export const LIST_8 = 0xf8;
export const LIST_16 = 0xf9;
export const JID_PAIR = 0xfa;
export const HEX_8 = 0xfb;
export const BINARY_8 = 0xfc;
export const BINARY_20 = 0xfd;
export const BINARY_32 = 0xfe;
export const NIBBLE_8 = 0xff;

/** Packing applies only to strings of at most this many characters (longer ones are raw bytes). */
export const PACKED_MAX = 127;

/** The device-JID domain byte: 0 is the only one Parley defines. */
export const DOMAIN_S_US = 0;
export const SERVER = 's.us';
export const GROUP_SERVER = 'g.us';
