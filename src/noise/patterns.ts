import type { CipherName } from './crypto.js';
import { NoiseError } from './errors.js';

export type Token = 'e' | 's' | 'ee' | 'es' | 'se' | 'ss' | 'psk';
export type PreToken = 'e' | 's';

export interface HandshakePattern {
  /** With modifiers, e.g. `XXpsk3`. */
  name: string;
  /** Keys known before the handshake: the initiator's and the responder's pre-message tokens. */
  initiatorPre: PreToken[];
  responderPre: PreToken[];
  /** Messages in order, alternating senders. */
  messages: Token[][];
  /** True when the responder sends the first message (the `fallback` modifier, spec §10.2). */
  responderFirst: boolean;
  /** One-way patterns (N, K, X): only the initiator ever sends, transport messages included. */
  oneWay: boolean;
}

/*
 * The patterns of Noise rev 34 §7.4 (one-way), §7.5 (fundamental interactive) and §18 (deferred), in
 * the spec's own notation so they can be checked against it by eye: "..." ends the pre-messages and
 * "|" separates messages. Parley uses XX and IK; the others cost a line each and let every cacophony
 * vector for them run.
 */
const SOURCE: Record<string, string> = {
  N: '<- s ... -> e, es',
  K: '-> s | <- s ... -> e, es, ss',
  X: '<- s ... -> e, es, s, ss',
  NN: '-> e | <- e, ee',
  NK: '<- s ... -> e, es | <- e, ee',
  NX: '-> e | <- e, ee, s, es',
  XN: '-> e | <- e, ee | -> s, se',
  XK: '<- s ... -> e, es | <- e, ee | -> s, se',
  XX: '-> e | <- e, ee, s, es | -> s, se',
  KN: '-> s ... -> e | <- e, ee, se',
  KK: '-> s | <- s ... -> e, es, ss | <- e, ee, se',
  KX: '-> s ... -> e | <- e, ee, se, s, es',
  IN: '-> e, s | <- e, ee, se',
  IK: '<- s ... -> e, es, s, ss | <- e, ee, se',
  IX: '-> e, s | <- e, ee, se, s, es',
  NK1: '<- s ... -> e | <- e, ee, es',
  NX1: '-> e | <- e, ee, s | -> es',
  X1N: '-> e | <- e, ee | -> s | <- se',
  X1K: '<- s ... -> e, es | <- e, ee | -> s | <- se',
  XK1: '<- s ... -> e | <- e, ee, es | -> s, se',
  X1K1: '<- s ... -> e | <- e, ee, es | -> s | <- se',
  X1X: '-> e | <- e, ee, s, es | -> s | <- se',
  XX1: '-> e | <- e, ee, s | -> es, s, se',
  X1X1: '-> e | <- e, ee, s | -> es, s | <- se',
  K1N: '-> s ... -> e | <- e, ee | -> se',
  K1K: '-> s | <- s ... -> e, es | <- e, ee | -> se',
  KK1: '-> s | <- s ... -> e | <- e, ee, se, es',
  K1K1: '-> s | <- s ... -> e | <- e, ee, es | -> se',
  K1X: '-> s ... -> e | <- e, ee, s, es | -> se',
  KX1: '-> s ... -> e | <- e, ee, se, s | -> es',
  K1X1: '-> s ... -> e | <- e, ee, s | -> se, es',
  I1N: '-> e, s | <- e, ee | -> se',
  I1K: '<- s ... -> e, es, s | <- e, ee | -> se',
  IK1: '<- s ... -> e, s | <- e, ee, se, es',
  I1K1: '<- s ... -> e, s | <- e, ee, es | -> se',
  I1X: '-> e, s | <- e, ee, s, es | -> se',
  IX1: '-> e, s | <- e, ee, se, s | -> es',
  I1X1: '-> e, s | <- e, ee, s | -> se, es',
};

const ONE_WAY = new Set(['N', 'K', 'X']);

function parseSource(name: string, src: string): HandshakePattern {
  const [pre, body] = src.includes('...') ? src.split('...') : ['', src];
  const pattern: HandshakePattern = {
    name,
    initiatorPre: [],
    responderPre: [],
    messages: [],
    responderFirst: false,
    oneWay: ONE_WAY.has(name),
  };
  for (const part of pre!.split('|')) {
    const m = /^\s*(->|<-)(.*)$/.exec(part);
    if (!m) continue;
    const tokens = m[2]!.split(',').map((t) => t.trim()) as PreToken[];
    (m[1] === '->' ? pattern.initiatorPre : pattern.responderPre).push(...tokens);
  }
  for (const part of body!.split('|')) {
    const m = /^\s*(->|<-)(.*)$/.exec(part)!;
    if (pattern.messages.length === 0) pattern.responderFirst = m[1] === '<-';
    pattern.messages.push(m[2]!.split(',').map((t) => t.trim()) as Token[]);
  }
  return pattern;
}

/** The base patterns by name, without modifiers. */
export const PATTERNS: Readonly<Record<string, HandshakePattern>> = Object.fromEntries(
  Object.entries(SOURCE).map(([name, src]) => [name, parseSource(name, src)]),
);

/** `XX` plus modifiers applied left to right, e.g. `XXfallback+psk0`, `NNpsk0+psk2` (spec §9.3, §10.2). */
export function patternByName(fullName: string): HandshakePattern {
  const m = /^([A-Z][A-Z0-9]*)([a-z].*)?$/.exec(fullName);
  const base = m ? PATTERNS[m[1]!] : undefined;
  if (!m || !base) throw new NoiseError('unsupported', `unknown handshake pattern ${fullName}`);
  const p: HandshakePattern = {
    ...base,
    name: fullName,
    initiatorPre: [...base.initiatorPre],
    messages: base.messages.map((msg) => [...msg]),
  };
  for (const mod of m[2] ? m[2].split('+') : []) {
    const psk = /^psk(\d+)$/.exec(mod);
    if (psk) {
      const n = Number(psk[1]);
      const target = p.messages[n === 0 ? 0 : n - 1];
      if (!target) throw new NoiseError('unsupported', `${fullName}: ${mod} is past the last message`);
      if (n === 0) target.unshift('psk');
      else target.push('psk');
    } else if (mod === 'fallback') {
      // Alice's first message becomes a pre-message Bob already holds; Alice stays the initiator.
      const first = p.messages[0]!;
      if (p.responderFirst || p.initiatorPre.length > 0 || !first.every((t) => t === 'e' || t === 's')) {
        throw new NoiseError('unsupported', `${fullName}: fallback needs a first message of only e and s`);
      }
      p.initiatorPre = first as PreToken[];
      p.messages.shift();
      p.responderFirst = true;
    } else {
      throw new NoiseError('unsupported', `${fullName}: unknown modifier ${mod}`);
    }
  }
  return p;
}

export interface ProtocolName {
  /** The full name, e.g. `Noise_XX_25519_AESGCM_SHA256`. */
  name: string;
  pattern: HandshakePattern;
  dh: '25519';
  cipher: CipherName;
  hash: 'SHA256';
}

/** Parses `Noise_<pattern>_<dh>_<cipher>_<hash>`; only 25519, AESGCM or ChaChaPoly, and SHA256 exist here. */
export function parseProtocolName(name: string): ProtocolName {
  const parts = name.split('_');
  if (parts.length !== 5 || parts[0] !== 'Noise') {
    throw new NoiseError('unsupported', `not a Noise protocol name: ${name}`);
  }
  const [, pattern, dh, cipher, hash] = parts as [string, string, string, string, string];
  if (dh !== '25519') throw new NoiseError('unsupported', `${name}: DH ${dh} is not implemented`);
  if (cipher !== 'AESGCM' && cipher !== 'ChaChaPoly') {
    throw new NoiseError('unsupported', `${name}: cipher ${cipher} is not implemented`);
  }
  if (hash !== 'SHA256') throw new NoiseError('unsupported', `${name}: hash ${hash} is not implemented`);
  return { name, pattern: patternByName(pattern), dh, cipher, hash };
}
