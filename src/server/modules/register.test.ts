import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { ServerConfigInput } from '../core/config.js';
import { createTestServer, type TestServer } from '../testing/harness.js';
import { type MemoryProvider, memoryProvider, registerModule } from './register/index.js';

const NUMBER = '15550001111';
const newKey = () => randomBytes(32).toString('base64');

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** A registration server over real HTTP, with a fake clock and a provider the test reads codes from. */
class Fixture {
  readonly clock = { t: 1_700_000_000_000, now: () => this.clock.t };
  readonly codes: MemoryProvider = memoryProvider();
  t!: TestServer;

  async start(registration: NonNullable<ServerConfigInput['registration']> = {}): Promise<this> {
    this.t = await createTestServer({
      modules: [registerModule({ provider: this.codes })],
      config: { registration },
      clock: this.clock,
    });
    return this;
  }

  async post(path: string, body: unknown): Promise<Answer> {
    const res = await fetch(`http://127.0.0.1:${this.t.server.httpPort()}/v1/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  requestCode(number: string, key: string, extra: Record<string, unknown> = {}): Promise<Answer> {
    return this.post('code', { number, key, method: 'sms', ...extra });
  }

  async register(number: string, key: string): Promise<Answer> {
    const sent = await this.requestCode(number, key);
    assert.equal(sent.body.status, 'sent', JSON.stringify(sent.body));
    return this.post('register', { number, key, code: this.codes.lastCode(number) });
  }

  /** A code that is certainly not the one sent. */
  wrongCode(number: string): string {
    const code = this.codes.lastCode(number)!;
    return code.replace(/^./, (d) => String((Number(d) + 1) % 10));
  }
}

describe('registration over HTTP', () => {
  let f: Fixture;
  before(async () => {
    f = await new Fixture().start({ resendSeconds: 60, maxGuesses: 3, perNumberPerHour: 100 });
  });
  after(() => f.t.stop());

  it('exist → code → register → exist: binds the key to device 0', async () => {
    const key = newKey();
    assert.deepEqual((await f.post('exist', { number: `+${NUMBER}`, key })).body, {
      status: 'fail',
      reason: 'incorrect',
    });

    const sent = await f.requestCode(`+1 555-000-1111`, key, { method: 'voice', lg: 'de' });
    assert.equal(sent.status, 200);
    assert.deepEqual(sent.body, { status: 'sent', length: 6, method: 'voice', retry_after: 60 });
    const delivery = f.codes.sent.at(-1)!;
    assert.deepEqual(
      { ...delivery, code: undefined },
      { number: NUMBER, code: undefined, method: 'voice', lg: 'de' },
    );
    assert.match(delivery.code, /^[0-9]{6}$/);

    const stored = (await f.t.storage.verification.getCode(NUMBER))!;
    assert.equal(stored.salt.length, 16);
    assert.equal(stored.deviceKey, key);
    assert.ok(
      !Buffer.from(stored.codeHash).toString('latin1').includes(delivery.code),
      'only a hash is stored',
    );

    const done = await f.post('register', { cc: '1', in: '5550001111', key, code: delivery.code });
    assert.equal(done.status, 200);
    assert.deepEqual(done.body, {
      status: 'ok',
      login: NUMBER,
      device: 0,
      server_key: Buffer.from(f.t.server.staticKey.publicKey).toString('base64'),
      chat_port: f.t.server.transportPort('tcp'),
    });
    const device = (await f.t.storage.accounts.getDevice(NUMBER, 0))!;
    assert.deepEqual(Buffer.from(device.noiseKey).toString('base64'), key);
    assert.ok(await f.t.storage.accounts.getAccount(NUMBER));
    assert.equal(await f.t.storage.verification.getCode(NUMBER), undefined, 'a code works once');

    assert.deepEqual((await f.post('exist', { number: NUMBER, key })).body, {
      status: 'ok',
      login: NUMBER,
      device: 0,
    });
    assert.deepEqual((await f.post('exist', { number: NUMBER, key: newKey() })).body, {
      status: 'fail',
      reason: 'incorrect',
    });
    const again = await f.post('register', { number: NUMBER, key, code: delivery.code });
    assert.equal(again.body.reason, 'no_code');
  });

  it('refuses a wrong code, then accepts the right one', async () => {
    const number = '15550002222';
    const key = newKey();
    await f.requestCode(number, key);
    const wrong = await f.post('register', { number, key, code: f.wrongCode(number) });
    assert.equal(wrong.status, 403);
    assert.deepEqual(wrong.body.reason, 'bad_code');
    assert.equal(await f.t.storage.accounts.getDevice(number, 0), undefined);
    const right = await f.post('register', { number, key, code: f.codes.lastCode(number) });
    assert.equal(right.body.status, 'ok');
  });

  it('deletes the code after maxGuesses wrong guesses', async () => {
    const number = '15550003333';
    const key = newKey();
    await f.requestCode(number, key);
    const wrong = f.wrongCode(number);
    assert.equal((await f.post('register', { number, key, code: wrong })).body.reason, 'bad_code');
    assert.equal((await f.post('register', { number, key, code: wrong })).body.reason, 'bad_code');
    const third = await f.post('register', { number, key, code: wrong });
    assert.equal(third.status, 429);
    assert.equal(third.body.reason, 'too_many_guesses');
    assert.equal(await f.t.storage.verification.getCode(number), undefined);
    const right = await f.post('register', { number, key, code: f.codes.lastCode(number) });
    assert.equal(right.body.reason, 'no_code');
  });

  it('parallel guesses get no more than maxGuesses checks', async () => {
    const number = '15550003334';
    const key = newKey();
    await f.requestCode(number, key);
    const wrong = f.wrongCode(number);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => f.post('register', { number, key, code: wrong })),
    );
    const reasons = answers.map((a) => a.body.reason);
    assert.equal(reasons.filter((r) => r === 'bad_code').length, 2, reasons.join());
    assert.ok(reasons.includes('too_many_guesses'), reasons.join());
    assert.ok(reasons.every((r) => r === 'bad_code' || r === 'too_many_guesses' || r === 'no_code'));
    const right = await f.post('register', { number, key, code: f.codes.lastCode(number) });
    assert.equal(right.body.reason, 'no_code');
  });

  it('a code expires after codeTtlSeconds', async () => {
    const number = '15550004444';
    const key = newKey();
    await f.requestCode(number, key);
    f.clock.t += 600_000;
    const late = await f.post('register', { number, key, code: f.codes.lastCode(number) });
    assert.equal(late.status, 410);
    assert.equal(late.body.reason, 'code_expired');
    assert.equal(await f.t.storage.verification.getCode(number), undefined);
  });

  it('a code completes only for the key it was requested for', async () => {
    const number = '15550004445';
    await f.requestCode(number, newKey());
    const other = await f.post('register', { number, key: newKey(), code: f.codes.lastCode(number) });
    assert.equal(other.body.reason, 'no_code');
    assert.equal(await f.t.storage.accounts.getDevice(number, 0), undefined);
  });

  it('answers too_recent with retry_after until resendSeconds passed', async () => {
    const number = '15550005555';
    const key = newKey();
    assert.equal((await f.requestCode(number, key)).body.status, 'sent');
    f.clock.t += 20_000;
    const soon = await f.requestCode(number, key);
    assert.equal(soon.status, 429);
    assert.deepEqual(soon.body, { status: 'fail', reason: 'too_recent', retry_after: 40 });
    assert.equal(f.codes.sent.filter((d) => d.number === number).length, 1);
    f.clock.t += 40_000;
    assert.equal((await f.requestCode(number, key)).body.status, 'sent');
  });

  it('refuses bad parameters with bad_param', async () => {
    const key = newKey();
    const bad: unknown[] = [
      'not json',
      [],
      { number: NUMBER, method: 'sms' },
      { number: NUMBER, key: randomBytes(31).toString('base64'), method: 'sms' },
      { number: NUMBER, key: randomBytes(33).toString('base64'), method: 'sms' },
      { number: NUMBER, key: key.replace(/=$/, ''), method: 'sms' },
      { number: NUMBER, key: randomBytes(32).toString('hex'), method: 'sms' },
      { number: NUMBER, key, method: 'fax' },
      { number: NUMBER, key },
      { number: '12345', key, method: 'sms' },
      { number: 'abc', key, method: 'sms' },
      { key, method: 'sms' },
      { cc: '1', key, method: 'sms' },
      { number: NUMBER, cc: '44', in: '5550001111', key, method: 'sms' },
      { number: NUMBER, key, method: 'sms', lg: 'english' },
      { number: 15550001111, key, method: 'sms' },
    ];
    for (const body of bad) {
      const r = await f.post('code', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.reason, 'bad_param', JSON.stringify(body));
    }
    for (const code of ['12345', '1234567', 'abcdef', '']) {
      const r = await f.post('register', { number: NUMBER, key, code });
      assert.equal(r.body.reason, 'bad_param', code);
    }
    assert.equal((await f.post('exist', { number: NUMBER })).body.reason, 'bad_param');
    assert.equal(f.codes.sent.filter((d) => d.number === NUMBER).length, 1, 'nothing sent for bad requests');
  });
});

describe('registration limits', () => {
  it('limits codes per number per hour', async () => {
    const f = await new Fixture().start({ resendSeconds: 0, perNumberPerHour: 2 });
    try {
      const key = newKey();
      assert.equal((await f.requestCode(NUMBER, key)).body.status, 'sent');
      f.clock.t += 1_000_000;
      assert.equal((await f.requestCode(NUMBER, key)).body.status, 'sent');
      const over = await f.requestCode(NUMBER, key);
      assert.equal(over.status, 429);
      assert.deepEqual(over.body, {
        status: 'fail',
        reason: 'rate_overlimit',
        detail: 'too many codes for this number',
        retry_after: 2600,
      });
      assert.equal(
        (await f.requestCode('15550009999', key)).body.status,
        'sent',
        'other numbers are not affected',
      );
      f.clock.t += 2_600_000;
      assert.equal((await f.requestCode(NUMBER, key)).body.status, 'sent');
    } finally {
      await f.t.stop();
    }
  });

  it('limits codes per address per hour', async () => {
    const f = await new Fixture().start({ resendSeconds: 0, perAddressPerHour: 3 });
    try {
      const key = newKey();
      for (const n of ['15550000001', '15550000002', '15550000003']) {
        assert.equal((await f.requestCode(n, key)).body.status, 'sent');
      }
      const over = await f.requestCode('15550000004', key);
      assert.equal(over.body.reason, 'rate_overlimit');
      assert.equal(over.body.retry_after, 3600);
      f.clock.t += 3_600_000;
      assert.equal((await f.requestCode('15550000004', key)).body.status, 'sent');
    } finally {
      await f.t.stop();
    }
  });
});

describe('re-registration', () => {
  it('a new key replaces device 0: its queue and end-to-end keys are cleared, its session closed', async () => {
    const f = await new Fixture().start({ resendSeconds: 0 });
    try {
      const oldKey = newKey();
      assert.equal((await f.register(NUMBER, oldKey)).body.status, 'ok');
      const old = await f.t.connect(NUMBER, 0);
      await f.t.storage.queue.accept({
        sender: '15550000009:0@s.us',
        id: 'm1',
        kind: 'message',
        key: 'message:15550000009:0@s.us:m1',
        recipients: [{ user: NUMBER, device: 0 }],
        stanzas: [new Uint8Array([1, 2, 3])],
        now: f.clock.now(),
        maxQueue: 100,
      });
      await f.t.storage.prekeys.upload({
        user: NUMBER,
        device: 0,
        now: 1,
        identity: { key: Uint8Array.from({ length: 33 }, (_, i) => (i === 0 ? 5 : i)), registrationId: 9 },
        signedPrekey: { id: 1, publicKey: new Uint8Array(33).fill(5), signature: new Uint8Array(64) },
        keepSigned: 3,
        maxPrekeys: 10,
      });

      // The same key again (a reinstall that kept it): nothing is lost.
      assert.equal((await f.register(NUMBER, oldKey)).body.status, 'ok');
      assert.equal(old.closed, false);
      assert.equal(await f.t.storage.queue.count(NUMBER, 0), 1);
      assert.ok(await f.t.storage.prekeys.getKeys(NUMBER, 0), 'end-to-end keys kept');

      const newer = newKey();
      assert.equal((await f.register(NUMBER, newer)).body.status, 'ok');
      assert.equal(old.closed, true);
      assert.equal(old.closeReason, 'conflict');
      assert.equal(await f.t.storage.queue.count(NUMBER, 0), 0);
      // The old installation's end-to-end keys are gone: nobody may encrypt to them any more.
      assert.equal(await f.t.storage.prekeys.getKeys(NUMBER, 0), undefined);
      const device = (await f.t.storage.accounts.getDevice(NUMBER, 0))!;
      assert.equal(Buffer.from(device.noiseKey).toString('base64'), newer);
      assert.equal((await f.post('exist', { number: NUMBER, key: oldKey })).body.status, 'fail');
      assert.equal((await f.post('exist', { number: NUMBER, key: newer })).body.status, 'ok');
    } finally {
      await f.t.stop();
    }
  });
});
