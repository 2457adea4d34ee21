import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LoginError } from '../../src/client/connect.js';
import type { Dialer } from '../../src/client/dial.js';
import { parseKeyLog } from '../../src/noise/index.js';
import type { TestServer } from '../../src/server/testing/harness.js';
import type { TransportKeys } from '../../src/transport/connection.js';
import { type Node, nodesEqual } from '../../src/wire/index.js';
import { dialers, login, registerKey, transportServer } from './helpers.js';

const payload = (n: number) => new Uint8Array(n).map((_, i) => (i * 31 + 7) & 0xff);
const echo = (id: string, bytes: Uint8Array): Node => ({
  tag: 'iq',
  attrs: { id, type: 'get', xmlns: 'test:echo' },
  content: [{ tag: 'blob', attrs: {}, content: bytes }],
});

/** Splits every write into small pieces, so frames span socket writes and WebSocket messages. */
function chopped(dial: Dialer, size: number): Dialer {
  return async (h) => {
    const s = await dial(h);
    return {
      write: (b) => {
        for (let i = 0; i < b.length; i += size) s.write(b.subarray(i, i + size));
      },
      close: () => s.close(),
    };
  };
}

describe('Noise connections over real sockets', () => {
  let ts: TestServer;
  before(async () => {
    ts = await transportServer();
  });
  after(() => ts.stop());

  for (const kind of ['tcp', 'ws'] as const) {
    test(`${kind}: XX login, then nodes both ways`, async () => {
      const key = await registerKey(ts, '15550000001');
      const c = await login(dialers(ts)[kind], '15550000001', key);
      assert.equal(c.open.conn.pattern, 'XX');
      assert.equal(c.open.success.tag, 'success');
      for (const size of [0, 100, 4096, 200_000]) {
        const id = `e${kind}${size}`;
        c.open.send(echo(id, payload(size)));
        const r = await c.next((n) => n.attrs.id === id);
        assert.equal(r.attrs.type, 'result');
        assert.ok(nodesEqual((r.content as Node[])[0]!, { tag: 'blob', attrs: {}, content: payload(size) }));
      }
      c.open.close();
    });

    test(`${kind}: frames split across many small writes still arrive whole`, async () => {
      const key = await registerKey(ts, '15550000002');
      const c = await login(chopped(dialers(ts)[kind], 5), '15550000002', key);
      c.open.send(echo('chop', payload(3000)));
      const r = await c.next((n) => n.attrs.id === 'chop');
      assert.equal(r.attrs.type, 'result');
      c.open.close();
    });

    test(`${kind}: IK with the pinned server key logs in in the first flight`, async () => {
      const key = await registerKey(ts, '15550000003');
      const c = await login(dialers(ts)[kind], '15550000003', key, {
        serverKey: ts.server.staticKey.publicKey,
      });
      assert.equal(c.open.conn.pattern, 'IK');
      c.open.send(echo('ik', payload(10)));
      assert.equal((await c.next((n) => n.attrs.id === 'ik')).attrs.type, 'result');
      c.open.close();
    });
  }

  test('IK against the wrong server key fails; XX then refuses the unexpected server', async () => {
    const key = await registerKey(ts, '15550000004');
    const wrong = new Uint8Array(32).fill(9);
    wrong[0] = 1;
    await assert.rejects(login(dialers(ts).tcp, '15550000004', key, { serverKey: wrong }));
    await assert.rejects(
      login(dialers(ts).tcp, '15550000004', key, { serverKey: wrong, forceXX: true }),
      /server_key_mismatch/,
    );
    const c = await login(dialers(ts).tcp, '15550000004', key, {
      serverKey: ts.server.staticKey.publicKey,
      forceXX: true,
    });
    assert.equal(c.open.conn.pattern, 'XX');
    c.open.close();
  });

  test('a key not registered for the number is refused', async () => {
    await registerKey(ts, '15550000005');
    const other = await registerKey(ts, '15550000006');
    await assert.rejects(
      login(dialers(ts).tcp, '15550000005', other),
      (e) => e instanceof LoginError && e.reason === 'not_authorized',
    );
    await assert.rejects(login(dialers(ts).ws, '15550000099', other), (e) => e instanceof LoginError);
  });

  test('a second login of the same device replaces the first', async () => {
    const key = await registerKey(ts, '15550000007');
    const a = await login(dialers(ts).tcp, '15550000007', key);
    const b = await login(dialers(ts).ws, '15550000007', key);
    const err = await a.next((n) => n.tag === 'stream:error');
    assert.equal(err.attrs.reason, 'conflict');
    await a.closed;
    b.open.send(echo('still', payload(1)));
    assert.equal((await b.next((n) => n.attrs.id === 'still')).attrs.type, 'result');
    b.open.close();
  });
});

describe('key log', () => {
  test('PARLEY_KEYLOG gets one line per connection with the keys both sides use', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-keylog-'));
    const file = join(dir, 'keys.log');
    const ts = await transportServer();
    process.env.PARLEY_KEYLOG = file;
    try {
      const key = await registerKey(ts, '15550000010');
      const c1 = await login(dialers(ts).tcp, '15550000010', key);
      c1.open.close();
      let mine: TransportKeys | undefined;
      const c2 = await login(dialers(ts).ws, '15550000010', key, { onKeys: (k) => (mine = k) });
      const entries = parseKeyLog(readFileSync(file, 'utf8'));
      assert.equal(entries.length, 2);
      assert.deepEqual(entries[1], mine, 'the server logged the same hash and keys the client derived');
      assert.notDeepEqual(entries[0]!.handshakeHash, entries[1]!.handshakeHash);
      c2.open.close();
    } finally {
      delete process.env.PARLEY_KEYLOG;
      await ts.stop();
    }
  });

  test('without PARLEY_KEYLOG nothing is written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-keylog-'));
    const ts = await transportServer();
    try {
      const key = await registerKey(ts, '15550000011');
      const c = await login(dialers(ts).tcp, '15550000011', key);
      c.open.close();
      assert.throws(() => readFileSync(join(dir, 'keys.log')));
    } finally {
      await ts.stop();
    }
  });
});
