import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ServerProcess } from '../e2e/server-process.js';
import { runParley } from '../helpers/cli.js';

let srv: ServerProcess;
const home = mkdtempSync(join(tmpdir(), 'parley-cli-'));
const alice = join(home, 'alice');
const bob = join(home, 'bob');

before(async () => {
  srv = await ServerProcess.create();
  await srv.start();
});
after(() => srv.stop());

/** The README's two steps: ask for a code (no terminal: nothing typed), then complete with --code. */
async function registerCli(profile: string, number: string): Promise<void> {
  const ask = await runParley(['--profile', profile, 'register', `+${number}`, '--server', srv.httpUrl]);
  assert.match(ask.stdout, /code sent by sms/);
  assert.notEqual(ask.code, 0, 'no code typed');
  const wrong = await runParley(['--profile', profile, 'register', `+${number}`, '--code', '000000']);
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr.trim(), /^parley: bad_code/);
  const code = await srv.codeFor(number);
  const done = await runParley(['--profile', profile, 'register', `+${number}`, '--code', code]);
  assert.equal(done.code, 0, done.stderr);
  assert.match(done.stdout, new RegExp(`registered \\+${number} .*tcp://127\\.0\\.0\\.1:${srv.port}`));
}

test('register, send and sync through the real CLI', async () => {
  await registerCli(alice, '15550005555');
  await registerCli(bob, '15550006666');

  const ids: string[] = [];
  for (const text of ['first', 'second ✓', 'third']) {
    const r = await runParley(['--profile', alice, 'send', '+15550006666', text]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.trim(), /^[0-9A-F]{16}$/);
    ids.push(r.stdout.trim());
  }

  const s = await runParley(['--profile', bob, 'sync', '--json']);
  assert.equal(s.code, 0, s.stderr);
  const lines = s.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const msgs = lines.filter((l) => l.type === 'message');
  assert.deepEqual(
    msgs.map((m) => m.id),
    ids,
  );
  assert.deepEqual(
    msgs.map((m) => m.text),
    ['first', 'second ✓', 'third'],
  );
  assert.equal(msgs[0]!.sender, '15550005555');
  assert.equal(lines.at(-1)!.type, 'synced');
  assert.equal(lines.at(-1)!.count, 3);

  const again = await runParley(['--profile', bob, 'sync']);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout.trim(), '— 0 offline stanza(s) delivered', 'nothing twice');

  // Alice learns her messages were delivered (bob's client sent the receipts during his sync).
  const a = await runParley(['--profile', alice, 'sync', '--json']);
  const receipts = a.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.type === 'receipt');
  assert.deepEqual(receipts.map((r) => r.id).sort(), [...ids].sort());
  assert.ok(receipts.every((r) => r.status === 'delivered'));
});

test('verify: the same 60-digit safety number on both sides, and --mark-verified', async () => {
  // The profiles of the test above have talked, so both know each other's identity key.
  const a = await runParley(['--profile', alice, 'verify', '+15550006666']);
  const b = await runParley(['--profile', bob, 'verify', '+15550005555']);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  const digits = (out: string) => {
    const rows = out.split('\n').filter((l) => /^ {2}[0-9]{5}( [0-9]{5}){3}$/.test(l));
    assert.equal(rows.length, 3, out);
    return rows.join(' ').trim().split(/\s+/);
  };
  assert.equal(digits(a.stdout).length, 12, '12 groups of 5 digits');
  assert.deepEqual(digits(a.stdout), digits(b.stdout));
  assert.match(a.stdout, /\+15550006666 is not verified/);
  const marked = await runParley(['--profile', alice, 'verify', '+15550006666', '--mark-verified']);
  assert.equal(marked.code, 0, marked.stderr);
  assert.match(marked.stdout, /\+15550006666 is verified/);
  assert.deepEqual(digits(marked.stdout), digits(a.stdout));
  const again = await runParley(['--profile', alice, 'verify', '+15550006666']);
  assert.match(again.stdout, /\+15550006666 is verified/);
});

test('CLI errors are one clear line', async () => {
  const r = await runParley(['--profile', join(home, 'nobody'), 'send', '+15550006666', 'x']);
  assert.notEqual(r.code, 0);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /not registered/);
  const bad = await runParley(['--profile', alice, 'send', 'not-a-number', 'x']);
  assert.match(bad.stderr, /not a phone number/);
  const unknown = await runParley(['--profile', alice, 'send', '+15559999999', 'x']);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /recipient_unknown/);
});
