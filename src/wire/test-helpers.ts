/**
 * Shared helpers for the wire codec's tests (not part of the public API; index.ts does not export it).
 * Expected bytes in the tests are written out from PROTOCOL.md §2, so byte literals here are parsed from
 * the same "F8 09 59 …" notation the spec uses.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WireError, type WireErrorCode } from './errors.js';
import { isName } from './names.js';
import type { Attrs, Node } from './node.js';
import { DICTIONARY_V1 } from './tables.generated.js';

/** "F8 09 59" → bytes. Whitespace between bytes is optional; anything else is a bug in the test. */
export function bytes(spec: string): Uint8Array {
  const clean = spec.replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new Error(`bad hex literal: ${spec}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Bytes → "F8 09 59", upper case, the spec's notation (so assertion diffs are readable). */
export function hexOf(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0').toUpperCase()).join(' ');
}

/** The ASCII bytes of a string, as spaced hex. */
export function asciiHex(s: string): string {
  return hexOf(new TextEncoder().encode(s));
}

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/**
 * Runs `fn`, asserts it throws a WireError with `code` (and, when given, `offset`), and returns the error.
 */
export function expectWireError(fn: () => unknown, code: WireErrorCode, offset?: number): WireError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown !== undefined, `expected a WireError "${code}", but nothing was thrown`);
  assert.ok(
    thrown instanceof WireError,
    `expected a WireError "${code}", got ${(thrown as Error)?.name}: ${(thrown as Error)?.message}`,
  );
  assert.equal(thrown.code, code, `wrong code (${thrown.message})`);
  if (offset !== undefined) assert.equal(thrown.offset, offset, `wrong offset (${thrown.message})`);
  return thrown;
}

/** A plain, order-explicit form of a node for assert.deepStrictEqual (attribute order becomes array order). */
export type Norm = {
  tag: string;
  attrs: [string, string][];
  content: 'none' | { bytes: number[] } | Norm[];
};

export function normalise(n: Node): Norm {
  const c = n.content;
  return {
    tag: n.tag,
    attrs: Object.entries(n.attrs),
    content: c === undefined ? 'none' : Array.isArray(c) ? c.map(normalise) : { bytes: Array.from(c) },
  };
}

/** A small, fast, seeded PRNG (mulberry32), so fuzz failures reproduce from the printed seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every token of both v1 tables, primary first. */
export const ALL_TOKENS: readonly string[] = [
  ...DICTIONARY_V1.primary.filter((t): t is string => t !== undefined),
  ...DICTIONARY_V1.secondary.flatMap((p) => p.filter((t): t is string => t !== undefined)),
];

/** Tokens usable as tags and attribute keys. */
export const NAME_TOKENS: readonly string[] = ALL_TOKENS.filter(isName);

// ---- fast-check arbitraries for nodes ----

const nameChars = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFXYZ0123456789_:-.@'.split('')),
  },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  // Unicode whitespace and separators: not XML whitespace, so a name may hold them and must survive XML.
  { weight: 1, arbitrary: fc.constantFrom('\u00a0', '\u2028', '\u3000', '\ufeff', '\u0085', '\u1680') },
);

/** A random string that isName accepts (so it can be a tag or a key). */
export const arbRandomName: fc.Arbitrary<string> = fc
  .array(nameChars, { minLength: 1, maxLength: 12 })
  .map((cs) => cs.join(''))
  .filter(isName);

export const arbName: fc.Arbitrary<string> = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(...NAME_TOKENS) },
  { weight: 1, arbitrary: arbRandomName },
);

const digits = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789'.split('')), minLength: min, maxLength: max });

const arbUser = fc.oneof(
  digits(1, 15),
  fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 10 }),
  fc.constantFrom(...ALL_TOKENS),
);

/** Attribute values: every string form the encoder has a branch for, and its near misses. */
export const arbValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...ALL_TOKENS),
  digits(0, 20),
  digits(120, 135),
  fc.string({ unit: fc.constantFrom(...'0123456789-.'.split('')), minLength: 1, maxLength: 140 }),
  fc.string({ unit: fc.constantFrom(...'0123456789ABCDEF'.split('')), minLength: 1, maxLength: 140 }),
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'.split('')), minLength: 1, maxLength: 40 }),
  fc
    .tuple(arbUser, fc.constantFrom('s.us', 'g.us', 's.whatsapp.net', 'example.org', ''))
    .map(([u, s]) => `${u}@${s}`),
  fc
    .tuple(digits(1, 15), fc.integer({ min: 0, max: 300 }), fc.constantFrom('s.us', 'g.us'))
    .map(([u, d, s]) => `${u}:${d}@${s}`),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 10 }),
  fc.constant(''),
);

const arbAttrs: fc.Arbitrary<Attrs> = fc
  .uniqueArray(arbName, { maxLength: 5 })
  .chain((keys) =>
    fc.tuple(fc.constant(keys), fc.array(arbValue, { minLength: keys.length, maxLength: keys.length })),
  )
  .map(([keys, values]) => {
    const attrs: Attrs = {};
    keys.forEach((k, i) => {
      attrs[k] = values[i]!;
    });
    return attrs;
  });

const arbBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc.string({ unit: 'binary', maxLength: 20 }).map((s) => new TextEncoder().encode(s)),
  fc.string({ unit: 'grapheme-ascii', maxLength: 20 }).map((s) => new TextEncoder().encode(s)),
  fc.integer({ min: 250, max: 300 }).map((n) => new Uint8Array(n).fill(0x41)),
);

/** Nodes nested up to `maxDepth` levels, with every kind of content. */
export function arbNode(maxDepth = 4): fc.Arbitrary<Node> {
  const { node } = fc.letrec<{ node: Node }>((tie) => ({
    node: fc
      .tuple(
        arbName,
        arbAttrs,
        fc.oneof(
          { depthSize: 'small', maxDepth, withCrossShrink: true },
          fc.constant(undefined),
          arbBytes,
          fc.array(tie('node'), { maxLength: 4 }),
        ),
      )
      .map(
        ([tag, attrs, content]): Node => (content === undefined ? { tag, attrs } : { tag, attrs, content }),
      ),
  }));
  return node;
}
