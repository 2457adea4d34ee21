import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodeFrame, encodeNode, fromXml, STREAM_HEADER } from '../../src/wire/index.js';
import { runParley } from '../helpers/cli.js';

const SEED_XML =
  '<message to="01234567890@s.whatsapp.net" type="text" id="message-1417651059-2" t="1417651059"/>';
const SEED_HEX =
  'f8 09 59 a5 fa ff 86 01 23 45 67 89 0f 91 a7 a2 44 fc 14 ' +
  Buffer.from('message-1417651059-2').toString('hex').replace(/(..)/g, '$1 ') +
  'a1 ff 05 14 17 65 10 59';

test('inspect decodes the seed example from hex on stdin', async () => {
  const r = await runParley(['inspect'], `${SEED_HEX}\n`);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), SEED_XML);
});

test('inspect --encode reproduces the seed example byte for byte', async () => {
  const r = await runParley(['inspect', '--encode'], SEED_XML);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), SEED_HEX.replace(/ /g, ''));
});

test('inspect reads hex from a file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-inspect-'));
  const file = join(dir, 'node.hex');
  writeFileSync(file, SEED_HEX.replace(/ /g, '\n'));
  const r = await runParley(['inspect', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), SEED_XML);
});

test('inspect --frames prints one node per frame, skipping a stream header', async () => {
  const a = fromXml('<iq id="1" type="get" xmlns="w:p"><ping/></iq>');
  const b = fromXml('<receipt id="3EB0" to="15550001111@s.us" type="read"/>');
  const stream = Buffer.concat([STREAM_HEADER, encodeFrame(encodeNode(a)), encodeFrame(encodeNode(b))]);
  const dir = mkdtempSync(join(tmpdir(), 'parley-inspect-'));
  const file = join(dir, 'stream.bin');
  writeFileSync(file, stream);
  const r = await runParley(['inspect', '--frames', '--compact', file]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 3);
  assert.match(lines[0]!, /stream header: protocol 1, dictionary 1/);
  assert.equal(lines[1], '<iq id="1" type="get" xmlns="w:p"><ping/></iq>');
  assert.equal(lines[2], '<receipt id="3EB0" to="15550001111@s.us" type="read"/>');
});

test('inspect --frames --flagged strips the transport flag byte', async () => {
  const n = fromXml('<ack class="message" id="X1" t="1700000000"/>');
  const stream = encodeFrame(Uint8Array.of(0, ...encodeNode(n)));
  const r = await runParley(['inspect', '--frames', '--flagged', '--compact'], stream);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), '<ack class="message" id="X1" t="1700000000"/>');
});

test('bad input is one line on stderr and a non-zero exit, no stack trace', async () => {
  for (const [args, input, pattern] of [
    [['inspect'], 'f8 09 59', /length_past_end/],
    [['inspect'], 'zz', /not hex/],
    [['inspect', '--encode'], '<message', /bad XML/],
    [['inspect', '/nonexistent/file'], '', /cannot read/],
  ] as const) {
    const r = await runParley([...args], input);
    assert.notEqual(r.code, 0);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, pattern);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});
