import { NoiseError } from './errors.js';

export type Token = 'e' | 's' | 'ee' | 'es' | 'se' | 'ss';

export interface HandshakePattern {
  name: string;
  /** Keys known before the handshake: the initiator's and the responder's pre-message tokens. */
  initiatorPre: Token[];
  responderPre: Token[];
  /** Messages in order; even indexes are sent by the initiator. */
  messages: Token[][];
}

const p = (name: string, ip: Token[], rp: Token[], ...messages: Token[][]): HandshakePattern => ({
  name,
  initiatorPre: ip,
  responderPre: rp,
  messages,
});

/** The interactive patterns of the Noise spec §7.4, as data. Parley uses XX and IK; the rest cost nothing. */
export const PATTERNS: Record<string, HandshakePattern> = {
  NN: p('NN', [], [], ['e'], ['e', 'ee']),
  NK: p('NK', [], ['s'], ['e', 'es'], ['e', 'ee']),
  NX: p('NX', [], [], ['e'], ['e', 'ee', 's', 'es']),
  XN: p('XN', [], [], ['e'], ['e', 'ee'], ['s', 'se']),
  XK: p('XK', [], ['s'], ['e', 'es'], ['e', 'ee'], ['s', 'se']),
  XX: p('XX', [], [], ['e'], ['e', 'ee', 's', 'es'], ['s', 'se']),
  KN: p('KN', ['s'], [], ['e'], ['e', 'ee', 'se']),
  KK: p('KK', ['s'], ['s'], ['e', 'es', 'ss'], ['e', 'ee', 'se']),
  KX: p('KX', ['s'], [], ['e'], ['e', 'ee', 'se', 's', 'es']),
  IN: p('IN', [], [], ['e', 's'], ['e', 'ee', 'se']),
  IK: p('IK', [], ['s'], ['e', 'es', 's', 'ss'], ['e', 'ee', 'se']),
  IX: p('IX', [], [], ['e', 's'], ['e', 'ee', 'se', 's', 'es']),
};

export interface ProtocolName {
  pattern: HandshakePattern;
  cipher: 'AESGCM' | 'ChaChaPoly';
}

/** Parses `Noise_XX_25519_AESGCM_SHA256`; only 25519 + SHA256 + AESGCM/ChaChaPoly and no modifiers. */
export function parseProtocolName(name: string): ProtocolName {
  const m = /^Noise_([A-Z]+)_25519_(AESGCM|ChaChaPoly)_SHA256$/.exec(name);
  const pattern = m ? PATTERNS[m[1]!] : undefined;
  if (!m || !pattern) throw new NoiseError('unsupported', `unsupported protocol ${name}`);
  return { pattern, cipher: m[2] as 'AESGCM' | 'ChaChaPoly' };
}
