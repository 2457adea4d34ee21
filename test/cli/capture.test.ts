import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { deflateSync } from 'node:zlib';
import { readCapture } from '../../src/cli/capture/pcap.js';
import { pcapngFile } from '../../src/cli/capture/test-packets.js';
import { CipherState } from '../../src/noise/cipher-state.js';
import { nodeCrypto } from '../../src/noise/crypto-node.js';
import { formatKeyLogLine, type KeyLogEntry } from '../../src/noise/keylog.js';
import { encodeNode, node } from '../../src/wire/index.js';
import { runParley } from '../helpers/cli.js';
import { canCapture, ensureTcpdump, startTcpdump, tcpdumpWritesPcapng } from '../helpers/tcpdump.js';
import { dialers, login, registerKey, transportServer } from '../transport/helpers.js';
import { type Conversation, converse, packetize, parseOutput } from './capture-fixtures.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'parley-capture-'));
const keyLine = (k: KeyLogEntry) => formatKeyLogLine(k);

describe('inspect --keylog on synthetic captures', () => {
  test('decrypts XX and IK connections, reassembling chopped and reordered segments', async () => {
    const xx = converse('XX', ['first hello', 'second <hello> & more']);
    const ik = converse('IK', ['ik hello']);
    const unknown = converse('XX', ['nobody has my keys']);
    // A deflated node, as a peer allowed to compress would send it (Parley itself never does).
    const cs = new CipherState(nodeCrypto, 'AESGCM', xx.keys.initiatorToResponder);
    cs.setNonce(xx.clientTransportFrames);
    const zipped = deflateSync(encodeNode(node('presence', { type: 'available' })));
    const sealed = cs.encrypt(Uint8Array.of(2, ...zipped));
    xx.writes.push({ dir: 'c→s', bytes: Uint8Array.of(0, 0, sealed.length, ...sealed) });
    const dir = tmp();
    const pcap = join(dir, 'synthetic.pcap');
    writeFileSync(pcap, packetize([xx, ik, unknown], { chop: 7, reorder: true }));
    const keylog = join(dir, 'keys.log');
    const decoy: KeyLogEntry = {
      ...xx.keys,
      initiatorToResponder: new Uint8Array(32).fill(1),
      responderToInitiator: new Uint8Array(32).fill(2),
    };
    writeFileSync(keylog, `# comment\n${keyLine(decoy)}${keyLine(ik.keys)}${keyLine(xx.keys)}`);
    const r = await runParley(['inspect', '--keylog', keylog, pcap]);
    assert.equal(r.code, 0, r.stderr);
    const events = parseOutput(r.stdout);
    const conns = [...new Set(events.map((e) => e.connection))];
    assert.equal(conns.length, 3, r.stdout);
    const of = (c: string) => events.filter((e) => e.connection === c);
    const [a, b, c] = conns.map(of) as [typeof events, typeof events, typeof events];
    assert.match(a[0]!.body, /Noise XX handshake; key log entry 3 .*3 transport frames c→s, 3 s→c/);
    assert.deepEqual(
      a.slice(1).map((e) => `${e.dir} ${e.body.split('\n')[0]}`),
      [
        's→c <success t="1" server="s.us"/>',
        'c→s <iq id="m0" type="get" xmlns="test:echo">',
        's→c <iq id="m0" type="result">',
        'c→s <iq id="m1" type="get" xmlns="test:echo">',
        's→c <iq id="m1" type="result">',
        'c→s <presence type="available"/>',
      ],
    );
    assert.match(a[4]!.body, /<note>second &lt;hello&gt; &amp; more<\/note>/);
    assert.match(b[0]!.body, /Noise IK handshake; key log entry 2/);
    assert.match(b[3]!.body, /<note>ik hello<\/note>/);
    assert.match(
      c[0]!.body,
      /Noise XX handshake; no key log entry decrypts it \(1 transport frame c→s, 2 s→c\)/,
    );
    assert.equal(c.length, 1);
  });

  test('a capture with missing packets says where the stream breaks', async () => {
    const xx = converse('XX', ['one', 'two', 'three']);
    const dir = tmp();
    const pcap = join(dir, 'lossy.pcap');
    // c→s writes: header + message 1, message 3, then one per iq: drop the iq saying "two".
    writeFileSync(pcap, packetize([xx], { chop: 0, drop: (i, d) => d === 'c→s' && i === 3 }));
    const keylog = join(dir, 'keys.log');
    writeFileSync(keylog, keyLine(xx.keys));
    const r = await runParley(['inspect', '--keylog', keylog, pcap]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /c→s # capture incomplete: bytes missing from the capture after stream offset \d+/,
    );
    const c2s = parseOutput(r.stdout).filter((e) => e.dir === 'c→s' && e.body.includes('<note>'));
    assert.deepEqual(
      c2s.map((e) => e.body.match(/<note>(.*)<\/note>/)![1]),
      ['one'],
    );
  });

  test('a connection whose start is not in the capture is not taken for Parley', async () => {
    const xx = converse('XX', ['unseen']);
    const dir = tmp();
    const pcap = join(dir, 'late.pcap');
    writeFileSync(pcap, packetize([xx], { chop: 0, drop: (i, d) => d === 'c→s' && i === 0 }));
    writeFileSync(join(dir, 'keys.log'), keyLine(xx.keys));
    const r = await runParley(['inspect', '--keylog', join(dir, 'keys.log'), pcap]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^# no Parley connections in the capture \(\d+ packets, \d+ TCP segments, 2 TCP streams\)\n$/,
    );
  });

  test('errors are one line: truncated capture, bad key log, bad flag mix', async () => {
    const xx: Conversation = converse('XX', ['x']);
    const dir = tmp();
    const pcap = join(dir, 'cut.pcap');
    const whole = packetize([xx], { chop: 0 });
    writeFileSync(pcap, whole.subarray(0, whole.length - 10));
    const keylog = join(dir, 'keys.log');
    writeFileSync(keylog, keyLine(xx.keys));
    const cut = await runParley(['inspect', '--keylog', keylog, pcap]);
    assert.equal(cut.code, 1);
    assert.match(
      cut.stderr,
      /^parley: pcap: record at offset \d+ claims \d+ bytes but only \d+ remain .*\n$/,
    );
    writeFileSync(keylog, 'PARLEY_NOISE nothex\n');
    const bad = await runParley(['inspect', '--keylog', keylog, pcap]);
    assert.match(bad.stderr, /^parley: .*keys\.log: key log line 1: expected/);
    const mix = await runParley(['inspect', '--keylog', keylog, '--frames', pcap]);
    assert.match(mix.stderr, /does not combine with --encode or --frames/);
    const missing = await runParley(['inspect', '--keylog', join(dir, 'nope'), pcap]);
    assert.match(missing.stderr, /^parley: cannot read key log .*nope: ENOENT\n$/);
  });
});

describe('inspect --keylog on a real tcpdump capture', () => {
  const texts = ['alpha from the client', 'bravo, with <angle> brackets', 'charlie the last one'];

  interface Real {
    pcap: string;
    keylog: string;
    start: number;
    end: number;
  }

  async function capture(iface: string, extra: string[]): Promise<Real> {
    const dir = tmp();
    const pcap = join(dir, 'real.cap');
    const keylog = join(dir, 'keys.log');
    const ts = await transportServer();
    const start = Date.now();
    const dump = await startTcpdump(pcap, ts.server.transportPort('tcp'), iface, extra);
    const before = process.env.PARLEY_KEYLOG;
    const restoreEnv = () => {
      if (before === undefined) delete process.env.PARLEY_KEYLOG;
      else process.env.PARLEY_KEYLOG = before;
    };
    let stats = { dropped: 0, summary: '' };
    try {
      const key = await registerKey(ts, '15550009001');
      process.env.PARLEY_KEYLOG = keylog;
      const c = await login(dialers(ts).tcp, '15550009001', key);
      restoreEnv();
      for (const [i, text] of texts.entries()) {
        c.open.send(
          node('iq', { id: `real${i}`, type: 'get', xmlns: 'test:echo' }, [node('note', {}, text)]),
        );
        await c.next((n) => n.attrs.id === `real${i}`);
      }
      c.open.close();
      // A connection whose keys were never logged must be reported, not break the rest.
      const k2 = await registerKey(ts, '15550009002');
      const c2 = await login(dialers(ts).tcp, '15550009002', k2, {
        serverKey: ts.server.staticKey.publicKey,
      });
      c2.open.close();
      await new Promise((r) => setTimeout(r, 300)); // let tcpdump see the last packets
    } finally {
      restoreEnv();
      stats = await dump.stop();
      await ts.stop();
    }
    assert.equal(stats.dropped, 0, `tcpdump lost packets, so the capture is incomplete: ${stats.summary}`);
    return { pcap, keylog, start, end: Date.now() };
  }

  async function check(real: Real, file = real.pcap): Promise<string> {
    const r = await runParley(['inspect', '--keylog', real.keylog, file]);
    assert.equal(r.code, 0, r.stderr);
    const events = parseOutput(r.stdout);
    const shown = events
      .filter((e) => e.body.includes('<note>'))
      .map((e) => `${e.dir} ${e.body.match(/<note>(.*)<\/note>/)![1]}`);
    assert.deepEqual(
      shown,
      texts.flatMap((t) => [`c→s ${t}`, `s→c ${t}`].map((s) => s.replace('<angle>', '&lt;angle&gt;'))),
      r.stdout,
    );
    for (const e of events) {
      assert.ok(e.ms >= real.start - 1000 && e.ms <= real.end + 1000, `timestamp ${e.time} in range`);
    }
    assert.ok(
      events.every((e, i) => i === 0 || e.ms >= events[i - 1]!.ms),
      'events in time order',
    );
    assert.match(r.stdout, /127\.0\.0\.1:\d+ → 127\.0\.0\.1:\d+ # Noise XX handshake; key log entry 1/);
    assert.match(r.stdout, /# Noise IK handshake; no key log entry decrypts it/);
    assert.match(r.stdout, /s→c\n<success t="\d+" server="s.us"\/>/);
    return r.stdout;
  }

  test('pcap written by tcpdump -i lo', async (t) => {
    const why = ensureTcpdump() ?? canCapture();
    if (why) return t.skip(why);
    const real = await capture('lo', []);
    const out = await check(real);
    t.diagnostic(out.split('\n').slice(0, 12).join('\n'));
    // The same real packets as pcapng with nanosecond resolution exercise the other reader on real data.
    const packets = readCapture(readFileSync(real.pcap));
    const ng = join(tmp(), 'rewrapped.pcapng');
    const ifaces = [{ linkType: packets[0]!.linkType, tsresol: 9 }];
    writeFileSync(ng, pcapngFile(packets, { le: false, ifaces }));
    await check(real, ng);
  });

  for (const link of ['LINUX_SLL2', 'LINUX_SLL']) {
    test(`-i any as ${link}, nanosecond pcap`, async (t) => {
      const why = ensureTcpdump() ?? canCapture();
      if (why) return t.skip(why);
      const real = await capture('any', ['-y', link, '--time-stamp-precision', 'nano']);
      const packets = readCapture(readFileSync(real.pcap));
      assert.equal(packets[0]!.linkType, link === 'LINUX_SLL' ? 113 : 276);
      await check(real);
    });
  }

  test('pcapng written by tcpdump itself', async (t) => {
    const why = ensureTcpdump() ?? canCapture();
    if (why) return t.skip(why);
    if (!tcpdumpWritesPcapng()) {
      return t.skip(
        'this tcpdump cannot write pcapng (no --pcapng option); real packets re-wrapped as pcapng are checked above',
      );
    }
    await check(await capture('lo', ['--pcapng']));
  });
});
