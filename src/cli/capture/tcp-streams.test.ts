import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeTcp, type TcpSegment } from './packet.js';
import { TcpReassembler, type TcpStream } from './tcp-streams.js';
import { ipv4Tcp, type TcpSpec } from './test-packets.js';

const seg = (s: TcpSpec): TcpSegment => decodeTcp(101, ipv4Tcp(s))!;
const text = (s: TcpStream) => s.chunks.map((c) => Buffer.from(c.data).toString()).join('');

function run(specs: TcpSpec[], limits = {}): TcpStream[] {
  const r = new TcpReassembler(limits);
  for (const [i, s] of specs.entries()) r.push(BigInt(i), seg(s));
  return r.finish();
}

test('in-order segments after a SYN; the reverse direction is its own stream', () => {
  const [c, s] = run([
    { seq: 100, syn: true },
    { seq: 900, syn: true, sp: 5222, dp: 40312 },
    { seq: 101, payload: 'hello ' },
    { seq: 901, sp: 5222, dp: 40312, payload: 'hi' },
    { seq: 107, payload: 'world' },
  ]);
  assert.equal(text(c!), 'hello world');
  assert.equal(c!.fromStart, true);
  assert.deepEqual(
    c!.chunks.map((x) => x.t),
    [2n, 4n],
    'each chunk keeps its packet time',
  );
  assert.equal(text(s!), 'hi');
  assert.equal(s!.srcPort, 5222);
});

test('out-of-order segments wait for the hole, then arrive in sequence order', () => {
  const [c] = run([
    { seq: 0, syn: true },
    { seq: 7, payload: 'cc' },
    { seq: 4, payload: 'bbb' },
    { seq: 1, payload: 'aaa' },
    { seq: 9, payload: 'd' },
  ]);
  assert.equal(text(c!), 'aaabbbccd');
  assert.equal(c!.gap, undefined);
  assert.deepEqual(
    c!.chunks.map((x) => x.t),
    [3n, 2n, 1n, 4n],
  );
});

test('retransmitted and overlapping bytes are dropped', () => {
  const [c] = run([
    { seq: 0, syn: true },
    { seq: 0, syn: true },
    { seq: 1, payload: 'abcd' },
    { seq: 1, payload: 'abcd' },
    { seq: 3, payload: 'cdef' },
    { seq: 10, payload: 'j' },
    { seq: 10, payload: 'j' },
    { seq: 7, payload: 'ghi' },
  ]);
  assert.equal(text(c!), 'abcdefghij');
});

test('sequence numbers wrap around 2^32', () => {
  const [c] = run([
    { seq: 0xfffffffd, syn: true },
    { seq: 0xfffffffe, payload: 'ab' },
    { seq: 2, payload: 'ef' },
    { seq: 0, payload: 'cd' },
  ]);
  assert.equal(text(c!), 'abcdef');
});

test('a capture starting mid-stream begins at the first segment seen', () => {
  const [c] = run([
    { seq: 5000, payload: 'middle' },
    { seq: 5006, payload: '!' },
  ]);
  assert.equal(c!.fromStart, false);
  assert.equal(text(c!), 'middle!');
});

test('a hole never filled ends the stream with a gap', () => {
  const [c] = run([
    { seq: 0, syn: true },
    { seq: 1, payload: 'ok' },
    { seq: 10, payload: 'lost before me' },
  ]);
  assert.equal(text(c!), 'ok');
  assert.match(c!.gap!, /missing from the capture after stream offset 2/);
});

test('the out-of-order hold is bounded', () => {
  const specs: TcpSpec[] = [{ seq: 0, syn: true }];
  for (let i = 0; i < 10; i++) specs.push({ seq: 100 + 10 * i, payload: '0123456789' });
  specs.push({ seq: 1, payload: 'x'.repeat(99) });
  const [c] = run(specs, { maxPendingSegments: 5 });
  assert.equal(c!.bytes, 0, 'the hole was declared lost before it could fill');
  assert.match(c!.gap!, /offset 0/);
});

test('a new SYN on the same ports starts a new stream; SYN data counts', () => {
  const streams = run([
    { seq: 10, syn: true, payload: 'first' },
    { seq: 16, payload: '!' },
    { seq: 7000, syn: true },
    { seq: 7001, payload: 'second' },
  ]);
  assert.deepEqual(streams.map(text), ['first!', 'second']);
});
