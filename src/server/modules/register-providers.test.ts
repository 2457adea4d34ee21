import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { createLogger } from '../core/logger.js';
import { createTestServer, type TestServer } from '../testing/harness.js';
import { type CodeProvider, localProvider, registerModule } from './register/index.js';

const NUMBER = '15550001111';

async function post(
  t: TestServer,
  path: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${t.server.httpPort()}/v1/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A gateway stand-in: records each POST and answers as `answer` says. */
async function gateway(answer: (req: IncomingMessage, res: ServerResponse) => void) {
  const received: { method: string; type: string | undefined; body: unknown }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        type: req.headers['content-type'],
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      });
      answer(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sms`;
  return {
    url,
    received,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('code providers', () => {
  it('local writes the code to the log, unredacted, in the documented line', async () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(s) } });
    await localProvider(log).send({ number: NUMBER, code: '123456', method: 'sms', lg: 'en' });
    assert.equal(lines.length, 1);
    const entry = JSON.parse(lines[0]!);
    assert.equal(entry.msg, `verification code for +${NUMBER}: 123456`);
    assert.equal(entry.level, 30);
  });

  it('webhook: the configured URL receives {number, code, method, lg} as JSON, and the code works', async () => {
    const gw = await gateway((_req, res) => res.writeHead(204).end());
    const t = await createTestServer({
      modules: [registerModule()],
      config: { registration: { provider: { kind: 'webhook', url: gw.url, timeoutMs: 2000 } } },
    });
    try {
      const key = randomBytes(32).toString('base64');
      const sent = await post(t, 'code', { number: NUMBER, key, method: 'voice', lg: 'pt' });
      assert.equal(sent.body.status, 'sent');
      assert.equal(gw.received.length, 1);
      const { method, type, body } = gw.received[0]!;
      assert.equal(method, 'POST');
      assert.equal(type, 'application/json');
      const { code, ...rest } = body as { code: string };
      assert.deepEqual(rest, { number: `+${NUMBER}`, method: 'voice', lg: 'pt' });
      assert.match(code, /^[0-9]{6}$/);
      const done = await post(t, 'register', { number: NUMBER, key, code });
      assert.equal(done.body.status, 'ok');
    } finally {
      await t.stop();
      await gw.close();
    }
  });

  it('webhook failures (error status, timeout) are unavailable, and do not block a retry', async () => {
    let mode: 'fail' | 'hang' | 'ok' = 'fail';
    const gw = await gateway((_req, res) => {
      if (mode === 'fail') res.writeHead(500).end();
      else if (mode === 'ok') res.writeHead(200).end('{}');
      // hang: never answer
    });
    const t = await createTestServer({
      modules: [registerModule()],
      config: {
        registration: { resendSeconds: 60, provider: { kind: 'webhook', url: gw.url, timeoutMs: 300 } },
      },
    });
    try {
      const key = randomBytes(32).toString('base64');
      const failed = await post(t, 'code', { number: NUMBER, key, method: 'sms' });
      assert.equal(failed.status, 503);
      assert.equal(failed.body.reason, 'unavailable');
      assert.equal(
        await t.storage.verification.getCode(NUMBER),
        undefined,
        'an undelivered code is not kept',
      );
      mode = 'hang';
      const hung = await post(t, 'code', { number: NUMBER, key, method: 'sms' });
      assert.equal(hung.body.reason, 'unavailable');
      mode = 'ok';
      const ok = await post(t, 'code', { number: NUMBER, key, method: 'sms' });
      assert.equal(ok.body.status, 'sent', 'not too_recent: nothing was sent before');
      assert.equal(gw.received.length, 3);
    } finally {
      await t.stop();
      await gw.close();
    }
  });

  it('a plugged-in provider replaces the configured one', async () => {
    const calls: string[] = [];
    const provider: CodeProvider = {
      name: 'test',
      async send(d) {
        calls.push(d.number);
        throw new Error('gateway down');
      },
    };
    const t = await createTestServer({ modules: [registerModule({ provider: () => provider })] });
    try {
      const r = await post(t, 'code', {
        number: NUMBER,
        key: randomBytes(32).toString('base64'),
        method: 'sms',
      });
      assert.equal(r.body.reason, 'unavailable');
      assert.deepEqual(calls, [NUMBER]);
    } finally {
      await t.stop();
    }
  });
});
