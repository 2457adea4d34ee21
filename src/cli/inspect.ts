import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { type KeyLogEntry, parseKeyLog } from '../noise/keylog.js';
import {
  decodeNode,
  encodeNode,
  FLAG_COMPRESSED,
  FrameReader,
  fromHex,
  fromXml,
  isStreamHeader,
  type Node,
  toHex,
  toXml,
  WireError,
} from '../wire/index.js';
import { CaptureError, inspectCapture } from './capture/index.js';
import { CliError } from './errors.js';
import { readInput } from './io.js';

export interface InspectOptions {
  frames?: boolean;
  flagged?: boolean;
  encode?: boolean;
  compact?: boolean;
  keylog?: string;
}

const PRETTY = { indent: '  ' };

/** `parley inspect`: bytes → XML text, XML text → bytes, framed streams and (with a key log) captures. */
export function registerInspect(program: Command): void {
  program
    .command('inspect [file]')
    .description(
      'print binary stanzas as XML text (hex input, or a framed stream with --frames); --encode does the reverse',
    )
    .option('--frames', 'input is a binary stream of 3-byte-length frames, one node each')
    .option('--flagged', 'with --frames: each frame starts with the transport flag byte')
    .option('--encode', 'read XML text and print the node as hex (no frame header, no flag byte)')
    .option('--compact', 'print each node on one line')
    .option(
      '--keylog <file>',
      'input is a pcap/pcapng capture: decrypt its Parley connections with this key log',
    )
    .action(async (file: string | undefined, opts: InspectOptions) => {
      if (opts.keylog !== undefined && (opts.encode || opts.frames)) {
        throw new CliError('--keylog reads a capture file; it does not combine with --encode or --frames');
      }
      const keys = opts.keylog === undefined ? undefined : readKeyLog(opts.keylog);
      const input = await readInput(file);
      const out = keys ? capture(input, keys) : inspect(input, opts);
      process.stdout.write(out.endsWith('\n') || out === '' ? out : `${out}\n`);
    });
}

export function inspect(input: Uint8Array, opts: InspectOptions): string {
  const xmlOpts = opts.compact ? {} : PRETTY;
  if (opts.encode) {
    const node = wrap(() => fromXml(Buffer.from(input).toString('utf8')), 'XML');
    return toHex(wrap(() => encodeNode(node), 'node'));
  }
  if (opts.frames) return inspectFrames(input, !!opts.flagged, xmlOpts);
  const bytes = fromHex(Buffer.from(input).toString('latin1'));
  if (bytes === undefined)
    throw new CliError(
      'input is not hex (digits 0-9 a-f, whitespace allowed); for a binary framed stream use --frames',
    );
  return toXml(
    wrap(() => decodeNode(bytes), 'node'),
    xmlOpts,
  );
}

function readKeyLog(path: string): KeyLogEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read key log ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    return parseKeyLog(text);
  } catch (err) {
    throw new CliError(`${path}: ${(err as Error).message}`);
  }
}

function capture(input: Uint8Array, keys: KeyLogEntry[]): string {
  try {
    return inspectCapture(input, keys);
  } catch (err) {
    if (err instanceof CaptureError) throw new CliError(err.message);
    throw err;
  }
}

function inspectFrames(input: Uint8Array, flagged: boolean, xmlOpts: { indent?: string }): string {
  let data = input;
  const lines: string[] = [];
  if (isStreamHeader(data)) {
    // A raw dump of a connection starts with the 4-byte stream header.
    lines.push(`<!-- stream header: protocol ${data[2]}, dictionary ${data[3]} -->`);
    data = data.subarray(4);
  }
  const reader = new FrameReader(0xffffff);
  const frames = wrap(() => reader.push(data), 'frame');
  frames.forEach((frame, i) => {
    let payload = frame;
    if (flagged) {
      if (payload.length === 0) throw new CliError(`frame ${i}: empty (no flag byte)`);
      if (payload[0]! & FLAG_COMPRESSED)
        throw new CliError(`frame ${i}: compressed frames need the transport (flag 0x02)`);
      payload = payload.subarray(1);
    }
    const node: Node = wrap(() => decodeNode(payload), `frame ${i}`);
    lines.push(toXml(node, xmlOpts));
  });
  if (reader.buffered > 0) lines.push(`<!-- ${reader.buffered} bytes of an incomplete frame at the end -->`);
  return lines.join('\n');
}

function wrap<T>(f: () => T, what: string): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof WireError) throw new CliError(`bad ${what}: ${err.message} (${err.code})`);
    throw err;
  }
}
