import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeTcp, ipv6 } from './packet.js';
import { CaptureError, readCapture } from './pcap.js';
import {
  ethernet,
  ipv4Tcp,
  ipv6Tcp,
  nullLoop,
  pcapFile,
  pcapngBlock,
  pcapngFile,
  sll,
  sll2,
} from './test-packets.js';

const T = 1_795_356_185_123_456_789n; // 2026-11-22T…, with nanoseconds
const pkt = (payload: string, seq = 1) => ethernet(ipv4Tcp({ seq, payload }));
const text = (b: Uint8Array) => Buffer.from(b).toString();

describe('classic pcap', () => {
  for (const le of [true, false]) {
    for (const nano of [false, true]) {
      test(`${le ? 'little' : 'big'}-endian, ${nano ? 'nano' : 'micro'}second timestamps`, () => {
        const file = pcapFile(
          [
            { t: T, data: pkt('a') },
            { t: T + 1000n, data: pkt('bc') },
          ],
          { le, nano },
        );
        const ps = readCapture(file);
        assert.equal(ps.length, 2);
        assert.equal(ps[0]!.t, nano ? T : T - 789n);
        assert.equal(ps[1]!.t - ps[0]!.t, 1000n);
        assert.equal(ps[0]!.linkType, 1);
        assert.equal(text(decodeTcp(1, ps[1]!.data)!.payload), 'bc');
      });
    }
  }

  test('a file cut short in a record names the offset', () => {
    const file = pcapFile([
      { t: T, data: pkt('hello') },
      { t: T, data: pkt('world') },
    ]);
    const cutBody = file.subarray(0, file.length - 3);
    assert.throws(() => readCapture(cutBody), /record at offset \d+ claims \d+ bytes but only \d+ remain/);
    const second = 24 + 16 + pkt('hello').length;
    assert.throws(
      () => readCapture(file.subarray(0, second + 5)),
      new RegExp(`header truncated at offset ${second}`),
    );
    assert.throws(() => readCapture(file.subarray(0, 10)), CaptureError);
  });

  test('not a capture at all', () => {
    assert.throws(() => readCapture(new TextEncoder().encode('hello world')), /not a pcap or pcapng file/);
    assert.throws(() => readCapture(new Uint8Array(2)), /shorter than 4 bytes/);
  });

  test('snap-length cut packets are flagged', () => {
    const data = pkt('0123456789');
    const [p] = readCapture(pcapFile([{ t: T, data: data.subarray(0, data.length - 4), orig: data.length }]));
    assert.equal(p!.truncated, true);
    const seg = decodeTcp(1, p!.data)!;
    assert.equal(text(seg.payload), '012345');
    assert.equal(seg.missing, 4);
  });
});

describe('pcapng', () => {
  for (const le of [true, false]) {
    test(`${le ? 'little' : 'big'}-endian, per-interface link type and resolution`, () => {
      const ifaces = [{ linkType: 1 }, { linkType: 113, tsresol: 9 }, { linkType: 276, tsresol: 0x80 | 20 }];
      const file = pcapngFile(
        [
          { t: T, data: pkt('eth') },
          { t: T, data: sll(ipv4Tcp({ seq: 5, payload: 'sll' })), iface: 1 },
          { t: T, data: sll2(ipv4Tcp({ seq: 9, payload: 'sll2' })), iface: 2 },
        ],
        { le, ifaces },
      );
      const ps = readCapture(file);
      assert.deepEqual(
        ps.map((p) => p.linkType),
        [1, 113, 276],
      );
      assert.equal(ps[0]!.t, T - 789n, 'default resolution is microseconds');
      assert.equal(ps[1]!.t, T, 'if_tsresol 9 is nanoseconds');
      assert.ok(T - ps[2]!.t >= 0n && T - ps[2]!.t < 1000n, 'if_tsresol 2^-20 is about a microsecond');
      assert.deepEqual(
        ps.map((p) => text(decodeTcp(p.linkType, p.data)!.payload)),
        ['eth', 'sll', 'sll2'],
      );
    });
  }

  test('unknown blocks are skipped and simple packet blocks are read', () => {
    const spb = pcapngBlock(3, Uint8Array.from([0, 0, 0, pkt('spb').length, ...pkt('spb')]), false);
    const unknown = pcapngBlock(0xbad, Uint8Array.of(1, 2, 3, 4, 5), false);
    const file = pcapngFile([{ t: T, data: pkt('epb') }], { le: false, extra: [unknown, spb] });
    const ps = readCapture(file);
    assert.deepEqual(
      ps.map((p) => text(decodeTcp(1, p.data)!.payload)),
      ['spb', 'epb'],
    );
  });

  test('damaged files give an error naming the offset', () => {
    const file = pcapngFile([{ t: T, data: pkt('x') }]);
    assert.throws(
      () => readCapture(file.subarray(0, file.length - 8)),
      /block at offset \d+ has length \d+ \(\d+ bytes remain/,
    );
    const bad = file.slice();
    bad[bad.length - 4] = bad[bad.length - 4]! ^ 1;
    assert.throws(() => readCapture(bad), /trailing length does not match/);
    const noIface = pcapngFile([{ t: T, data: pkt('x') }], { ifaces: [] });
    assert.throws(() => readCapture(noIface), /undeclared interface 0/);
    const badBom = file.slice();
    badBom[8] = 0;
    assert.throws(() => readCapture(badBom), /bad byte-order magic.*offset 0/);
  });
});

describe('link, IP and TCP decoding', () => {
  const ip4 = ipv4Tcp({ src: '10.0.0.1', dst: '10.0.0.2', sp: 1234, dp: 5222, seq: 0xfffffff0, syn: true });
  test('every supported link type reaches the TCP header', () => {
    for (const [lt, frame] of [
      [1, ethernet(ip4)],
      [113, sll(ip4)],
      [276, sll2(ip4)],
      [101, ip4],
      [0, nullLoop(ip4)],
      [0, Uint8Array.of(0, 0, 0, 2, ...ip4)],
    ] as const) {
      const s = decodeTcp(lt, frame);
      assert.ok(s, `link type ${lt}`);
      assert.deepEqual(
        [s.src, s.dst, s.srcPort, s.dstPort, s.seq, s.syn],
        ['10.0.0.1', '10.0.0.2', 1234, 5222, 0xfffffff0, true],
      );
    }
  });

  test('VLAN tags, Ethernet padding, IPv6 with a hop-by-hop header', () => {
    const tagged = Uint8Array.of(
      ...new Uint8Array(12),
      0x81,
      0,
      0,
      5,
      0x08,
      0,
      ...ipv4Tcp({ seq: 1, payload: 'v' }),
    );
    assert.equal(text(decodeTcp(1, tagged)!.payload), 'v');
    const padded = Uint8Array.of(...ethernet(ipv4Tcp({ seq: 1, payload: 'p' })), 0, 0, 0, 0);
    assert.equal(text(decodeTcp(1, padded)!.payload), 'p', 'trailer beyond the IP length is not payload');
    for (const hop of [false, true]) {
      const s = decodeTcp(1, ethernet(ipv6Tcp({ seq: 7, payload: 'six' }, hop), true))!;
      assert.equal(s.src, '::1');
      assert.equal(text(s.payload), 'six');
    }
  });

  test('non-TCP and fragments are ignored', () => {
    const udp = ipv4Tcp({ seq: 1 });
    udp[9] = 17;
    assert.equal(decodeTcp(101, udp), undefined);
    const frag = ipv4Tcp({ seq: 1, payload: 'x' });
    frag[6] = 0x20;
    assert.equal(decodeTcp(101, frag), undefined);
    assert.equal(decodeTcp(147, ip4), undefined, 'unknown link type');
    assert.equal(decodeTcp(1, new Uint8Array(10)), undefined, 'runt frame');
  });

  test('IPv6 text form follows RFC 5952', () => {
    const a = (...g: number[]) => Uint8Array.from(g.flatMap((x) => [x >> 8, x & 0xff]));
    assert.equal(ipv6(a(0, 0, 0, 0, 0, 0, 0, 1)), '::1');
    assert.equal(ipv6(a(0x2001, 0xdb8, 0, 0, 1, 0, 0, 1)), '2001:db8::1:0:0:1');
    assert.equal(ipv6(a(0x2001, 0xdb8, 0, 1, 1, 1, 1, 1)), '2001:db8:0:1:1:1:1:1');
    assert.equal(ipv6(a(0xfe80, 0, 0, 0, 0, 0, 0, 0)), 'fe80::');
  });
});
