import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { deflateSync } from 'node:zlib';
import type { Dialer } from '../../src/client/dial.js';
import type { CipherState } from '../../src/noise/index.js';
import type { TestServer } from '../../src/server/testing/harness.js';
import { encodeFrame, encodeNode, STREAM_HEADER } from '../../src/wire/index.js';
import { type Client, dialers, login, registerKey, transportServer } from './helpers.js';

/** A raw TCP socket that records whether and when the server closed it. */
function raw(port: number): Promise<{ s: Socket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ host: '127.0.0.1', port });
    const closed = new Promise<void>((r) => s.on('close', () => r()));
    s.on('error', () => {});
    s.once('connect', () => resolve({ s, closed }));
    s.once('error', reject);
  });
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, rej) => setTimeout(() => rej(new Error(`${what}: not within ${ms} ms`)), ms)),
  ]);
}

/** A TCP dialer that hands the test the socket and every byte string the client wrote. */
function tapped(port: number) {
  const writes: Uint8Array[] = [];
  let sock: Socket | undefined;
  const dial: Dialer = (h) =>
    new Promise((resolve) => {
      const s = netConnect({ host: '127.0.0.1', port });
      sock = s;
      s.on('error', () => {});
      s.on('data', (d) => h.onData(d));
      s.on('close', () => h.onClose('closed'));
      s.once('connect', () =>
        resolve({
          write: (b) => {
            writes.push(b.slice());
            s.write(b);
          },
          close: () => s.destroy(),
        }),
      );
    });
  return { dial, writes, socket: () => sock! };
}

const sendCipher = (c: Client) => (c.open.conn as unknown as { sendCipher: CipherState }).sendCipher;

describe('hostile peers cost only their own connection', () => {
  let ts: TestServer;
  before(async () => {
    ts = await transportServer({ handshakeTimeoutMs: 300, maxFrame: 64 * 1024, sendQueueBytes: 64 * 1024 });
  });
  after(() => ts.stop());

  async function stillServes(user: string): Promise<void> {
    const key = await registerKey(ts, user);
    const c = await login(dialers(ts).tcp, user, key);
    c.open.send({ tag: 'iq', attrs: { id: 'ok', type: 'get', xmlns: 'test:echo' } });
    assert.equal((await c.next((n) => n.attrs.id === 'ok')).attrs.type, 'result');
    c.open.close();
  }

  test('a wrong stream header is closed at once', async () => {
    const { s, closed } = await raw(ts.server.transportPort('tcp'));
    s.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    await within(closed, 1000, 'close');
    await stillServes('15550001001');
  });

  test('a declared frame above the maximum is refused before its body', async () => {
    const { s, closed } = await raw(ts.server.transportPort('tcp'));
    s.write(Buffer.concat([STREAM_HEADER, Buffer.from([0xff, 0xff, 0xff])]));
    await within(closed, 1000, 'close');
  });

  test('a silent peer is dropped at the handshake timeout', async () => {
    const { s, closed } = await raw(ts.server.transportPort('tcp'));
    s.write(STREAM_HEADER);
    const t0 = Date.now();
    await within(closed, 3000, 'close');
    assert.ok(Date.now() - t0 >= 250, 'not before the timeout');
  });

  test('a garbage first handshake message is refused', async () => {
    const { s, closed } = await raw(ts.server.transportPort('tcp'));
    s.write(Buffer.concat([STREAM_HEADER, encodeFrame(new Uint8Array(96).fill(7))]));
    await within(closed, 1000, 'close');
  });

  test('a forged transport frame (bad MAC) closes that connection only', async () => {
    const key = await registerKey(ts, '15550001002');
    const t = tapped(ts.server.transportPort('tcp'));
    const c = await login(t.dial, '15550001002', key);
    const bystanderKey = await registerKey(ts, '15550001003');
    const bystander = await login(dialers(ts).ws, '15550001003', bystanderKey);
    t.socket().write(encodeFrame(new Uint8Array(40).fill(1)));
    await within(c.closed, 2000, 'close');
    bystander.open.send({ tag: 'iq', attrs: { id: 'b', type: 'get', xmlns: 'test:echo' } });
    assert.equal((await bystander.next((n) => n.attrs.id === 'b')).attrs.type, 'result');
    bystander.open.close();
  });

  test('a replayed transport frame is refused', async () => {
    const key = await registerKey(ts, '15550001004');
    const t = tapped(ts.server.transportPort('tcp'));
    const c = await login(t.dial, '15550001004', key);
    c.open.send({ tag: 'iq', attrs: { id: 'r1', type: 'get', xmlns: 'test:echo' } });
    await c.next((n) => n.attrs.id === 'r1');
    t.socket().write(t.writes[t.writes.length - 1]!);
    await within(c.closed, 2000, 'close');
  });

  test('a zlib bomb is refused without inflating it', async () => {
    const key = await registerKey(ts, '15550001005');
    const t = tapped(ts.server.transportPort('tcp'));
    const c = await login(t.dial, '15550001005', key);
    // A valid stanza once inflated, so only the inflate bound (not a decode error) can stop it.
    const node = encodeNode({
      tag: 'iq',
      attrs: { id: 'z', type: 'get', xmlns: 'test:echo' },
      content: new Uint8Array(50 << 20),
    });
    const bomb = deflateSync(node);
    assert.ok(bomb.length < 64 * 1024);
    const sealed = sendCipher(c).encrypt(Uint8Array.of(0x02, ...bomb));
    t.socket().write(encodeFrame(sealed));
    await within(c.closed, 3000, 'close');
    await stillServes('15550001006');
  });

  test('a reader that stops reading is dropped once its send queue passes the bound', async () => {
    const key = await registerKey(ts, '15550001007');
    const t = tapped(ts.server.transportPort('tcp'));
    const c = await login(t.dial, '15550001007', key);
    t.socket().pause();
    const blob = new Uint8Array(60 * 1024);
    for (let i = 0; i < 200; i++) {
      c.open.send({
        tag: 'iq',
        attrs: { id: `big${i}`, type: 'get', xmlns: 'test:echo' },
        content: [{ tag: 'b', attrs: {}, content: blob }],
      });
    }
    const deadline = Date.now() + 5000;
    while (ts.server.sessions.get('15550001007', 0) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal(ts.server.sessions.get('15550001007', 0), undefined, 'the stalled session was dropped');
    t.socket().destroy();
    await stillServes('15550001008');
  });
});
