/**
 * Codec benchmark: Parley's binary encoding against its XML text form (size) and against Baileys'
 * WABinary codec (speed), on the same corpus of node objects, in the same process. Rounds interleave the
 * two codecs so that machine noise (other processes, frequency scaling, GC) falls on both.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { decodeNode, encodeNode, type Node, nodesEqual, toXml } from '../src/wire/index.js';
import { buildCorpus, type CorpusEntry } from './corpus.js';

export interface Table {
  title: string;
  columns: string[];
  rows: string[][];
}

/** What a benchmark part hands to bench/run.ts: tables to print, notes, and raw data for the JSON file. */
export interface BenchReport {
  name: string;
  tables: Table[];
  notes: string[];
  data: Record<string, unknown>;
}

export interface CodecBenchOptions {
  /** Approximate wall-clock budget of the timed rounds (warm-up included), in seconds. */
  seconds: number;
  /** Progress lines (not results); stderr by default. */
  log?: (line: string) => void;
}

export const DEFAULT_CODEC_SECONDS = 15;
const WARMUP_ROUNDS = 2;
const TIMED_ROUNDS = 9;
const SIZE_GOAL = 0.35;
const SPEED_GOAL = 2;

// ---------------------------------------------------------------------------------------------------
// Baileys, from its own little package in bench/baileys (never a dependency of Parley itself).

const BAILEYS_DIR = fileURLToPath(new URL('./baileys/', import.meta.url));
const WABINARY = join(BAILEYS_DIR, 'node_modules', 'baileys', 'lib', 'WABinary');

/** Baileys' BinaryNode, as far as this benchmark relies on it. */
interface BaileysNode {
  tag: string;
  attrs: Record<string, string>;
  content?: BaileysNode[] | string | Uint8Array;
}

interface BaileysCodec {
  version: string;
  /** Without Baileys' leading transport flag byte, so sizes compare with Parley's encodeNode. */
  encode(node: Node): Buffer;
  /** The synchronous decoder under Baileys' async decodeBinaryNode (which only adds inflate). */
  decode(bytes: Buffer): BaileysNode;
}

function pinnedBaileysVersion(): string {
  const pkg = JSON.parse(readFileSync(join(BAILEYS_DIR, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  return pkg.dependencies.baileys!;
}

function installedBaileysVersion(): string | undefined {
  const file = join(BAILEYS_DIR, 'node_modules', 'baileys', 'package.json');
  if (!existsSync(file)) return undefined;
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

async function loadBaileys(log: (line: string) => void): Promise<BaileysCodec> {
  const pinned = pinnedBaileysVersion();
  if (installedBaileysVersion() !== pinned) {
    // Only WABinary is used, and it needs no install script (baileys' own only checks the Node version);
    // the non-optional `sharp` peer is skipped via bench/baileys/.npmrc (legacy-peer-deps), as in the lock.
    const args = ['ci', '--ignore-scripts', '--legacy-peer-deps', '--no-audit', '--no-fund'];
    args.push('--prefix', BAILEYS_DIR);
    log(`codec: installing baileys@${pinned} for comparison: npm ${args.join(' ')}`);
    const r = spawnSync('npm', args, { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new Error(`npm ci in ${BAILEYS_DIR} failed (exit ${r.status ?? r.signal})`);
  }
  const load = (file: string): Promise<unknown> => import(pathToFileURL(join(WABINARY, file)).href);
  const encodeMod = (await load('encode.js')) as {
    encodeBinaryNode(node: BaileysNode, opts: unknown, buffer: number[]): Buffer;
  };
  const decodeMod = (await load('decode.js')) as {
    decodeDecompressedBinaryNode(buffer: Buffer, opts: unknown): BaileysNode;
  };
  const constants = await load('constants.js');
  const { encodeBinaryNode } = encodeMod;
  const { decodeDecompressedBinaryNode } = decodeMod;
  if (typeof encodeBinaryNode !== 'function' || typeof decodeDecompressedBinaryNode !== 'function') {
    throw new Error(`baileys@${installedBaileysVersion()}: WABinary encode/decode not found in ${WABINARY}`);
  }
  return {
    version: installedBaileysVersion()!,
    // Parley's Node is structurally a BinaryNode (bytes content as Uint8Array, which Baileys accepts).
    encode: (node) => encodeBinaryNode(node as BaileysNode, constants, []),
    decode: (bytes) => decodeDecompressedBinaryNode(bytes, constants),
  };
}

// ---------------------------------------------------------------------------------------------------
// Timing.

type Impl = 'parley' | 'baileys';
type Op = 'encode' | 'decode' | 'encode+decode';
const OPS: Op[] = ['encode', 'decode', 'encode+decode'];

/** One pass over the corpus; returns a value derived from every output so no work can be optimised away. */
type Pass = () => number;

interface Series {
  impl: Impl;
  op: Op;
  pass: Pass;
  passesPerRound: number;
  /** Seconds per round, one entry per timed round. */
  samples: number[];
}

let sink = 0;

function timePasses(pass: Pass, passes: number): number {
  const start = process.hrtime.bigint();
  let acc = 0;
  for (let i = 0; i < passes; i++) acc += pass();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  sink ^= acc;
  return seconds;
}

/** How many passes fill `target` seconds, measured after a first short warm-up. */
function calibrate(pass: Pass, target: number): number {
  let passes = 1;
  let elapsed = timePasses(pass, passes);
  while (elapsed < 0.05) {
    passes *= 2;
    elapsed = timePasses(pass, passes);
  }
  return Math.max(1, Math.round((passes * target) / elapsed));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

// ---------------------------------------------------------------------------------------------------
// Checks: both codecs must take every stanza; Parley must round-trip exactly.

interface Checked {
  entry: CorpusEntry;
  parleyBin: Uint8Array;
  xmlBytes: number;
  /** The same two sizes with every bytes content emptied: framing and addressing alone. */
  bareParleyBytes: number;
  bareXmlBytes: number;
  baileysBin?: Buffer;
  /** Why Baileys could not encode or decode it. */
  baileysError?: string;
  /** Where Baileys' decoded node differs from the original (it still decodes; reported only). */
  baileysLossy?: string;
}

function firstDifference(a: Node, b: BaileysNode, path: string): string | undefined {
  const here = `${path}/${a.tag}`;
  if (a.tag !== b.tag) return `${here}: tag became "${b.tag}"`;
  const ak = Object.keys(a.attrs);
  const bk = Object.keys(b.attrs);
  if (ak.join() !== bk.join()) return `${here}: attributes [${ak}] became [${bk}]`;
  for (const k of ak) {
    if (a.attrs[k] !== b.attrs[k]) return `${here}@${k}: "${a.attrs[k]}" became "${b.attrs[k]}"`;
  }
  const ac = a.content;
  const bc = b.content;
  if (ac === undefined || bc === undefined) {
    return ac === bc ? undefined : `${here}: content ${ac === undefined ? 'appeared' : 'vanished'}`;
  }
  if (Array.isArray(ac)) {
    if (!Array.isArray(bc) || ac.length !== bc.length) return `${here}: children changed`;
    for (let i = 0; i < ac.length; i++) {
      const d = firstDifference(ac[i]!, bc[i]!, here);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  if (typeof bc === 'string' || Array.isArray(bc) || !Buffer.from(ac).equals(Buffer.from(bc))) {
    return `${here}: bytes content changed`;
  }
  return undefined;
}

const xmlSize = (n: Node): number => Buffer.byteLength(toXml(n), 'utf8');
const NO_BYTES = new Uint8Array(0);

function withoutPayloads(n: Node): Node {
  if (n.content === undefined) return n;
  return { ...n, content: Array.isArray(n.content) ? n.content.map(withoutPayloads) : NO_BYTES };
}

function check(corpus: CorpusEntry[], baileys: BaileysCodec): Checked[] {
  return corpus.map((entry) => {
    const parleyBin = encodeNode(entry.node);
    const back = decodeNode(parleyBin);
    if (!nodesEqual(back, entry.node)) {
      throw new Error(`Parley does not round-trip corpus stanza "${entry.name}": ${toXml(entry.node)}`);
    }
    const bare = withoutPayloads(entry.node);
    const c: Checked = {
      entry,
      parleyBin,
      xmlBytes: xmlSize(entry.node),
      bareParleyBytes: encodeNode(bare).length,
      bareXmlBytes: xmlSize(bare),
    };
    try {
      c.baileysBin = baileys.encode(entry.node);
      const decoded = baileys.decode(c.baileysBin);
      const diff = firstDifference(entry.node, decoded, '');
      if (diff !== undefined) c.baileysLossy = diff;
    } catch (e) {
      c.baileysBin = undefined;
      c.baileysError = e instanceof Error ? e.message : String(e);
    }
    return c;
  });
}

// ---------------------------------------------------------------------------------------------------

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
const int = (x: number): string => Math.round(x).toLocaleString('en-US');
const mb = (x: number): string => (x / 1e6).toFixed(1);

export async function benchCodec(options: CodecBenchOptions): Promise<BenchReport> {
  const log = options.log ?? ((line: string) => console.error(line));
  const baileys = await loadBaileys(log);
  const corpus = buildCorpus();
  const checked = check(corpus, baileys);
  const notes: string[] = [];

  // Sizes.
  const sizeRows: string[][] = [];
  const total = { xml: 0, parley: 0, baileys: 0, bareXml: 0, bareParley: 0 };
  for (const c of checked) {
    total.xml += c.xmlBytes;
    total.parley += c.parleyBin.length;
    total.baileys += c.baileysBin?.length ?? 0;
    total.bareXml += c.bareXmlBytes;
    total.bareParley += c.bareParleyBytes;
    sizeRows.push([
      c.entry.name,
      String(c.xmlBytes),
      String(c.parleyBin.length),
      pct(c.parleyBin.length / c.xmlBytes),
      pct(c.bareParleyBytes / c.bareXmlBytes),
      c.baileysBin ? String(c.baileysBin.length) : 'rejected',
    ]);
  }
  const sizeRatio = total.parley / total.xml;
  const bareRatio = total.bareParley / total.bareXml;
  sizeRows.push([
    `TOTAL (${checked.length} stanzas)`,
    String(total.xml),
    String(total.parley),
    pct(sizeRatio),
    pct(bareRatio),
    String(total.baileys),
  ]);
  notes.push(
    `size: Parley binary is ${pct(sizeRatio)} of compact XML text ` +
      `(goal ≤ ${pct(SIZE_GOAL)}: ${sizeRatio <= SIZE_GOAL ? 'met' : 'NOT met'}); ` +
      `${pct(bareRatio)} with bytes content (E2E payloads, keys) emptied`,
  );

  // Speed, on the stanzas both codecs take.
  const usable = checked.filter((c) => c.baileysBin !== undefined);
  for (const c of checked) {
    if (c.baileysError !== undefined) {
      notes.push(`excluded from both sides' throughput: "${c.entry.name}" (Baileys: ${c.baileysError})`);
    }
    if (c.baileysLossy !== undefined) {
      notes.push(`Baileys decodes "${c.entry.name}" differently (kept in the timing): ${c.baileysLossy}`);
    }
  }
  const nodes = usable.map((c) => c.entry.node);
  const parleyBins = usable.map((c) => c.parleyBin);
  const baileysBins = usable.map((c) => c.baileysBin!);
  const bytesOf = { parley: sum(parleyBins), baileys: sum(baileysBins) };

  const passes: Record<Impl, Record<Op, Pass>> = {
    parley: {
      encode: () => {
        let acc = 0;
        for (const n of nodes) acc += encodeNode(n).length;
        return acc;
      },
      decode: () => {
        let acc = 0;
        for (const b of parleyBins) acc += decodeNode(b).tag.length;
        return acc;
      },
      'encode+decode': () => {
        let acc = 0;
        for (const n of nodes) acc += decodeNode(encodeNode(n)).tag.length;
        return acc;
      },
    },
    baileys: {
      encode: () => {
        let acc = 0;
        for (const n of nodes) acc += baileys.encode(n).length;
        return acc;
      },
      decode: () => {
        let acc = 0;
        for (const b of baileysBins) acc += baileys.decode(b).tag.length;
        return acc;
      },
      'encode+decode': () => {
        let acc = 0;
        for (const n of nodes) acc += baileys.decode(baileys.encode(n)).tag.length;
        return acc;
      },
    },
  };

  const rounds = WARMUP_ROUNDS + TIMED_ROUNDS;
  const target = options.seconds / (rounds * OPS.length * 2);
  log(
    `codec: ${nodes.length} stanzas, ${rounds} rounds (${WARMUP_ROUNDS} warm-up) of ~${(target * 1000).toFixed(0)} ms ` +
      `per codec and operation, ~${options.seconds} s`,
  );
  const series: Series[] = [];
  for (const op of OPS) {
    for (const impl of ['parley', 'baileys'] as const) {
      const pass = passes[impl][op];
      series.push({ impl, op, pass, passesPerRound: calibrate(pass, target), samples: [] });
    }
  }
  for (let r = 0; r < rounds; r++) {
    for (const op of OPS) {
      const pair = series.filter((s) => s.op === op);
      // A B, then B A: interleaved, and neither codec always runs right after the other's garbage.
      if (r % 2 === 1) pair.reverse();
      for (const s of pair) {
        const seconds = timePasses(s.pass, s.passesPerRound);
        if (r >= WARMUP_ROUNDS) s.samples.push(seconds);
      }
    }
  }

  const speedRows: string[][] = [];
  const speed: Record<string, unknown>[] = [];
  const ratios: Partial<Record<Op, number>> = {};
  for (const op of OPS) {
    const per: Partial<Record<Impl, { nodesPerSec: number; mbPerSec: number; spread: number }>> = {};
    for (const impl of ['parley', 'baileys'] as const) {
      const s = series.find((x) => x.impl === impl && x.op === op)!;
      const perPass = s.samples.map((sec) => sec / s.passesPerRound);
      const med = median(perPass);
      const spread = (Math.max(...perPass) - Math.min(...perPass)) / med;
      per[impl] = { nodesPerSec: nodes.length / med, mbPerSec: bytesOf[impl] / med, spread };
      speed.push({
        impl,
        op,
        passesPerRound: s.passesPerRound,
        secondsPerPass: perPass,
        medianSecondsPerPass: med,
        nodesPerSec: nodes.length / med,
        bytesPerSec: bytesOf[impl] / med,
      });
    }
    const p = per.parley!;
    const b = per.baileys!;
    ratios[op] = p.nodesPerSec / b.nodesPerSec;
    speedRows.push([
      op,
      int(p.nodesPerSec),
      mb(p.mbPerSec),
      pct(p.spread),
      int(b.nodesPerSec),
      mb(b.mbPerSec),
      pct(b.spread),
      `${ratios[op]!.toFixed(2)}×`,
    ]);
  }
  const rt = ratios['encode+decode']!;
  notes.push(
    `speed: Parley encode+decode is ${rt.toFixed(2)}× Baileys' ` +
      `(goal ≥ ${SPEED_GOAL}×: ${rt >= SPEED_GOAL ? 'met' : 'NOT met'})`,
  );

  return {
    name: 'codec',
    tables: [
      {
        title: 'Sizes: bytes per stanza (Parley binary vs its compact XML text; Baileys for reference)',
        columns: ['stanza', 'xml', 'parley', 'parley/xml', 'w/o bytes', `baileys ${baileys.version}`],
        rows: sizeRows,
      },
      {
        title:
          `Throughput over ${nodes.length} stanzas (median of ${TIMED_ROUNDS} interleaved rounds; ` +
          `MB/s of each codec's own binary: Parley ${bytesOf.parley} B, Baileys ${bytesOf.baileys} B per pass)`,
        columns: [
          'op',
          'parley nodes/s',
          'MB/s',
          'spread',
          'baileys nodes/s',
          'MB/s',
          'spread',
          'parley/baileys',
        ],
        rows: speedRows,
      },
    ],
    notes,
    data: {
      corpusSeed: '0x9a41e7',
      stanzas: checked.map((c) => ({
        name: c.entry.name,
        xmlBytes: c.xmlBytes,
        parleyBytes: c.parleyBin.length,
        xmlBytesWithoutPayloads: c.bareXmlBytes,
        parleyBytesWithoutPayloads: c.bareParleyBytes,
        baileysBytes: c.baileysBin?.length ?? null,
        baileysError: c.baileysError ?? null,
        baileysLossy: c.baileysLossy ?? null,
      })),
      sizes: { ...total, ratio: sizeRatio, ratioWithoutPayloads: bareRatio, goal: SIZE_GOAL },
      throughput: {
        stanzas: nodes.length,
        warmupRounds: WARMUP_ROUNDS,
        timedRounds: TIMED_ROUNDS,
        bytesPerPass: bytesOf,
        series: speed,
        ratios,
        goal: SPEED_GOAL,
      },
      baileysVersion: baileys.version,
      sink,
    },
  };
}

function sum(bufs: Uint8Array[]): number {
  let n = 0;
  for (const b of bufs) n += b.length;
  return n;
}
