import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Node } from '../../wire/index.js';
import { createTestServer, type TestServer, type TestSession } from '../testing/harness.js';
import { ping } from './ping.js';

const ALICE = '15550000001';
/** The smallest the configuration allows: ping after 1 s of quiet, give up 1 s later. */
const config = { ping: { idleSeconds: 1, timeoutSeconds: 1 } };

const isServerPing = (n: Node) =>
  n.tag === 'iq' && n.attrs.type === 'get' && n.attrs.xmlns === 'w:p' && Array.isArray(n.content);

async function withServer(fn: (t: TestServer, s: TestSession) => Promise<void>): Promise<void> {
  const t = await createTestServer({ modules: [ping], config });
  try {
    await t.addDevice(ALICE);
    await fn(t, await t.connect(ALICE));
  } finally {
    await t.stop();
  }
}

async function closedWithin(s: TestSession, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!s.closed && Date.now() < end) await sleep(20);
  return s.closed;
}

describe('ping', { concurrency: true }, () => {
  it("answers a device's ping with a result", () =>
    withServer(async (_t, s) => {
      await s.write({
        tag: 'iq',
        attrs: { id: 'p1', type: 'get', xmlns: 'w:p' },
        content: [{ tag: 'ping', attrs: {} }],
      });
      const r = await s.waitFor((n) => n.attrs.id === 'p1');
      assert.deepEqual(r, { tag: 'iq', attrs: { id: 'p1', type: 'result', from: 's.us' } });
      await s.write({ tag: 'iq', attrs: { id: 'p2', type: 'get', xmlns: 'w:p' } });
      const e = await s.waitFor((n) => n.attrs.id === 'p2');
      assert.equal(e.attrs.type, 'error');
    }));

  it('pings an idle device and closes it with timeout when it does not answer', () =>
    withServer(async (_t, s) => {
      const opened = Date.now();
      const p = await s.waitFor(isServerPing, 2500);
      assert.ok(Date.now() - opened >= 900, 'not before idleSeconds');
      assert.equal((p.content as Node[])[0]?.tag, 'ping');
      assert.match(p.attrs.id ?? '', /.+/);
      const pinged = Date.now();
      assert.equal(await closedWithin(s, 2500), true);
      assert.equal(s.closeReason, 'timeout');
      assert.ok(Date.now() - pinged >= 900, 'not before timeoutSeconds');
    }));

  it('keeps a device that answers, and pings it again after the next quiet spell', () =>
    withServer(async (_t, s) => {
      const p = await s.waitFor(isServerPing, 2500);
      await s.write({ tag: 'iq', attrs: { id: p.attrs.id!, type: 'result' } });
      const again = await s.waitFor((n) => isServerPing(n) && n.attrs.id !== p.attrs.id, 2500);
      assert.equal(s.closed, false);
      await s.write({ tag: 'iq', attrs: { id: again.attrs.id!, type: 'result' } });
      await sleep(1200);
      assert.equal(s.closed, false);
    }));

  it('does not ping a device that keeps talking', () =>
    withServer(async (_t, s) => {
      for (let i = 0; i < 8; i++) {
        await sleep(250);
        await s.write({
          tag: 'iq',
          attrs: { id: `c${i}`, type: 'get', xmlns: 'w:p' },
          content: [{ tag: 'ping', attrs: {} }],
        });
      }
      assert.equal(s.received.filter(isServerPing).length, 0);
      assert.equal(s.closed, false);
    }));
});
