import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { describe as describeAction } from '../../src/cli/chat/lines.js';
import { render } from '../../src/cli/chat/render.js';
import { type Action, type ChatState, initialState, reduce } from '../../src/cli/chat/state.js';
import { sanitize, strWidth, wrap } from '../../src/cli/chat/text.js';
import { ParleyClient } from '../../src/client/client.js';
import type { ClientEvents } from '../../src/client/events.js';
import type { MessageStatus, StoredMessage } from '../../src/client/store.js';
import { openSqliteClientStore } from '../../src/client/store-sqlite.js';
import { nodeCrypto } from '../../src/noise/crypto-node.js';
import { ServerProcess } from '../e2e/server-process.js';
import { PARLEY_BIN, runParley } from '../helpers/cli.js';

// Rendering shows local times; one zone makes the expected strings exact.
process.env.TZ = 'UTC';

const ME = '15550001111';
const BOB = '15550002222';
const CAROL = '15550003333';
// 2025-03-01 12:00:00 UTC
const NOW = Date.UTC(2025, 2, 1, 12, 0, 0);
const T = NOW / 1000;
type Receipt = ClientEvents['receipt'][0];
const plain = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

let seq = 0;
function msg(over: Partial<StoredMessage> = {}): StoredMessage {
  const outgoing = over.outgoing ?? true;
  return {
    chat: BOB,
    id: `ID${++seq}`,
    sender: outgoing ? ME : BOB,
    outgoing,
    text: 'hello',
    t: T - 60,
    status: outgoing ? 'sent' : 'delivered',
    ...over,
  };
}

function run(actions: Action[], s = initialState(ME, NOW), now = NOW): ChatState {
  return actions.reduce((st, a) => reduce(st, a, now), s);
}

const openWith = (messages: StoredMessage[]) => run([{ type: 'open', chat: BOB, messages }]);

describe('chat UI: text', () => {
  test('display width counts wide and combined graphemes', () => {
    assert.equal(strWidth('abc'), 3);
    assert.equal(strWidth('漢字'), 4);
    assert.equal(strWidth('👩‍👩‍👧'), 2);
    assert.equal(strWidth('e\u0301'), 1);
    assert.equal(strWidth('✓✓'), 2);
  });

  test('wrap breaks at spaces, splits long words, keeps newlines, never exceeds the width', () => {
    assert.deepEqual(wrap('the quick brown fox', 10), ['the quick', 'brown fox']);
    assert.deepEqual(wrap('abcdefghijkl', 5), ['abcde', 'fghij', 'kl']);
    assert.deepEqual(wrap('a\nb', 10), ['a', 'b']);
    for (const line of wrap('漢字漢字漢字 👋👋👋 mixed 😀 text that goes on', 7))
      assert.ok(strWidth(line) <= 7);
  });

  test('sanitize defuses escape sequences and bidi overrides from other people', () => {
    assert.equal(sanitize('a\x1b[2Jb\u202ec'), 'a�[2Jb�c');
    assert.equal(sanitize('one\ntwo', false), 'one ↵ two');
  });
});

describe('chat UI: render', () => {
  test('outgoing marks: … pending, ✓ sent, ✓✓ delivered, read distinct, ✗ failed', () => {
    const statuses: MessageStatus[] = ['pending', 'sent', 'delivered', 'read', 'failed'];
    const s = openWith(statuses.map((status) => msg({ status, text: status })));
    const lines = render(s, 80, 24).lines;
    assert.equal(lines.length, 24);
    const row = (text: string) => lines.find((l) => l.includes(`me: ${text}`))!;
    assert.equal(row('pending'), '11:59 me: pending …');
    assert.equal(row('sent'), '11:59 me: sent ✓');
    assert.equal(row('delivered'), '11:59 me: delivered ✓✓');
    assert.equal(row('read'), '11:59 me: read ✓✓ read');
    assert.equal(row('failed'), '11:59 me: failed ✗ failed');
    // In colour, read is the same ✓✓ in blue; delivered stays dim.
    const colored = render(s, 80, 24, true).lines;
    assert.match(colored.find((l) => plain(l).includes('me: read'))!, /\x1b\[1;34m✓✓\x1b\[0m$/);
    assert.match(colored.find((l) => plain(l).includes('me: delivered'))!, /\x1b\[2m✓✓\x1b\[0m$/);
  });

  test('header shows the contact: online, typing…, last seen, hidden, reconnecting', () => {
    const base = openWith([]);
    const header = (actions: Action[], now = NOW) => render(run(actions, base, now), 80, 24).lines[0]!;
    assert.match(header([]), /^ \+15550002222 +$/);
    assert.match(header([{ type: 'presence', user: BOB, available: true, lastSeen: undefined }]), /online/);
    assert.match(header([{ type: 'chatstate', user: BOB, state: 'composing' }]), /typing…/);
    assert.match(
      header([{ type: 'presence', user: BOB, available: false, lastSeen: T - 3600 }]),
      /\+15550002222 {2}last seen 11:00/,
    );
    assert.match(
      header([{ type: 'presence', user: BOB, available: false, lastSeen: T - 86_400 * 2 }]),
      /last seen 2025-02-27 12:00/,
    );
    assert.match(
      header([{ type: 'presence', user: BOB, available: false, lastSeen: 'deny' }]),
      /last seen hidden/,
    );
    const offline = header([{ type: 'connection', online: false, reason: 'closed', retryInMs: 500 }]);
    assert.match(offline, /⟳ reconnecting \(closed\) $/);
    assert.equal(strWidth(offline), 80);
  });

  test('a changed identity key puts a warning line under the header, until verified', () => {
    const changed = run(
      [{ type: 'identity', user: BOB, changed: true }],
      openWith([msg({ text: 'before' })]),
    );
    const lines = render(changed, 80, 10).lines;
    assert.equal(lines.length, 10);
    assert.match(lines[1]!, /^⚠ \+15550002222's security code changed: parley verify \+15550002222 *$/);
    assert.ok(lines.some((l) => l.includes('me: before')));
    assert.match(render(changed, 80, 10, true).lines[1]!, /^\x1b\[1;33m⚠/);
    // Another contact's change does not touch this conversation; verifying clears it.
    const other = run([{ type: 'identity', user: CAROL, changed: true }], openWith([]));
    assert.doesNotMatch(render(other, 80, 10).lines.join('\n'), /security code/);
    const cleared = run([{ type: 'identity', user: BOB, changed: false }], changed);
    assert.doesNotMatch(render(cleared, 80, 10).lines.join('\n'), /security code/);
    // Line mode says it once.
    assert.deepEqual(describeAction({ type: 'identity', user: BOB, changed: true }, openWith([]), changed), [
      "⚠ +15550002222's security code changed: parley verify +15550002222",
    ]);
  });

  test('long and unicode messages wrap under their text, within the width', () => {
    const long = 'word '.repeat(25).trim();
    const s = openWith([
      msg({ text: long, status: 'delivered' }),
      msg({ outgoing: false, text: '漢字👋 '.repeat(12) }),
    ]);
    const { lines, cursor } = render(s, 40, 16);
    assert.equal(lines.length, 16);
    for (const l of lines) assert.ok(strWidth(l) <= 40, `too wide: ${l}`);
    const first = lines.findIndex((l) => l.startsWith('11:59 me: word'));
    assert.ok(first > 0);
    assert.match(lines[first + 1]!, /^ {10}word/, 'continuation indented under the text');
    assert.ok(
      lines.some((l) => l.endsWith('word ✓✓')),
      'the mark ends the last row',
    );
    assert.ok(lines.some((l) => l.startsWith('11:59 +15550002222: 漢字👋')));
    assert.deepEqual(cursor, { row: 15, col: 2 });
  });

  test('only the newest messages that fit are shown, bottom-aligned above the input', () => {
    const s = openWith(Array.from({ length: 50 }, (_, i) => msg({ text: `m${i}` })));
    const lines = render(reduce(s, { type: 'input', text: 'draft' }), 80, 24).lines;
    assert.equal(lines[1], '11:59 me: m29 ✓');
    assert.equal(lines[21], '11:59 me: m49 ✓');
    assert.equal(lines[23], '> draft');
  });

  test('the conversation list: numbers, unread counts, previews, the highlighted row', () => {
    const s = run([
      {
        type: 'list',
        chats: [
          { chat: BOB, last: msg({ outgoing: false, text: 'see you\nat 8' }), unread: 2 },
          { chat: CAROL, last: msg({ chat: CAROL, text: 'x'.repeat(200) }), unread: 0 },
        ],
      },
      { type: 'select', delta: 1 },
    ]);
    const lines = render(s, 60, 10).lines;
    assert.match(lines[0]!, /Parley · \+15550001111 {2}2 conversation\(s\)/);
    assert.equal(lines[1], '  1. +15550002222 (2) 11:59  see you ↵ at 8');
    assert.match(lines[2]!, /^› 2\. \+15550003333 11:59 {2}me: x+…$/);
    assert.equal(strWidth(lines[2]!), 60);
  });
});

describe('chat UI: reducer', () => {
  test('an incoming message in the open conversation is appended and ends the typing indicator', () => {
    const s = run(
      [
        { type: 'chatstate', user: BOB, state: 'composing' },
        { type: 'incoming', m: msg({ outgoing: false, id: 'IN1' }) },
        { type: 'incoming', m: msg({ outgoing: false, id: 'IN1' }) },
      ],
      openWith([]),
    );
    assert.deepEqual(
      s.messages.map((m) => m.id),
      ['IN1'],
    );
    assert.equal(s.peer?.typingSince, undefined);
    assert.equal(s.chats[0]?.unread, 0);
  });

  test('a message for another conversation bumps its unread count and shows a notice', () => {
    const s = run([
      {
        type: 'list',
        chats: [
          { chat: BOB, last: msg(), unread: 0 },
          { chat: CAROL, last: msg({ chat: CAROL }), unread: 1 },
        ],
      },
      { type: 'incoming', m: msg({ chat: CAROL, sender: CAROL, outgoing: false, text: 'psst' }) },
    ]);
    assert.deepEqual(
      s.chats.map((c) => [c.chat, c.unread]),
      [
        [CAROL, 2],
        [BOB, 0],
      ],
    );
    assert.equal(s.selected, 1, 'the highlight stays on the same conversation');
    assert.equal(s.notice, `+${CAROL}: psst`);
  });

  test('statuses only move forward; failed only from pending', () => {
    const m = msg({ id: 'X', status: 'pending' });
    const status = (st: MessageStatus): Action => ({ type: 'status', chat: BOB, id: 'X', status: st, t: T });
    let s = run([{ type: 'outgoing', m }], openWith([]));
    assert.equal(s.messages[0]?.status, 'pending');
    s = run([status('delivered'), status('sent')], s);
    assert.equal(s.messages[0]?.status, 'delivered', 'the ack arriving after the receipt does not undo it');
    s = run([status('read'), status('failed')], s);
    assert.equal(s.messages[0]?.status, 'read');
    assert.equal(
      run([status('failed')], run([{ type: 'outgoing', m }], openWith([]))).messages[0]?.status,
      'failed',
    );
  });

  test('typing expires after 5 s without a new composing, or at paused', () => {
    const typing = run([{ type: 'chatstate', user: BOB, state: 'composing' }], openWith([]));
    assert.notEqual(reduce(typing, { type: 'tick' }, NOW + 4000).peer?.typingSince, undefined);
    assert.equal(reduce(typing, { type: 'tick' }, NOW + 5000).peer?.typingSince, undefined);
    assert.equal(
      reduce(typing, { type: 'chatstate', user: BOB, state: 'paused' }).peer?.typingSince,
      undefined,
    );
    // Someone else's typing is not this conversation's.
    const other = run([{ type: 'chatstate', user: CAROL, state: 'composing' }], openWith([]));
    assert.equal(other.peer?.typingSince, undefined);
  });

  test('line mode prints one line per event, typing only when it changes', () => {
    const s0 = openWith([]);
    const line = (a: Action, s = s0) => describeAction(a, s, reduce(s, a));
    const out = msg({ id: '0123456789ABCDEF', status: 'pending', text: 'hi\nthere' });
    assert.deepEqual(line({ type: 'outgoing', m: out }), [
      '11:59:00 me: hi ↵ there  … 0123456789ABCDEF pending',
    ]);
    assert.deepEqual(line({ type: 'status', chat: BOB, id: 'A', status: 'delivered' }), ['✓✓ A delivered']);
    const composing: Action = { type: 'chatstate', user: BOB, state: 'composing' };
    assert.deepEqual(line(composing), [`+${BOB} is typing…`]);
    assert.deepEqual(line(composing, reduce(s0, composing)), []);
  });
});

// ---- end to end: a real server, real CLI processes ----

/** A CLI child process with piped stdin and everything it printed so far. */
class Cli {
  readonly child: ChildProcess;
  out = '';
  constructor(args: string[]) {
    this.child = spawn(process.execPath, [PARLEY_BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      this.out += d;
    });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      this.out += d;
    });
  }
  write(s: string): void {
    this.child.stdin!.write(s);
  }
  async waitFor(re: RegExp, what: string): Promise<RegExpMatchArray> {
    await until(() => re.test(this.out), `${what}; output so far:\n${this.out}`);
    return this.out.match(re)!;
  }
  exited(): Promise<number | null> {
    if (this.child.exitCode !== null) return Promise.resolve(this.child.exitCode);
    const done = new Promise<number | null>((r) => this.child.once('exit', (code) => r(code)));
    return within(done, 10_000, `exit; output:\n${this.out}`);
  }
}

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function hasTmux(): boolean {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** CI runs as root and may lack tmux: try installing it once; elsewhere just report it missing. */
function ensureTmux(): string | undefined {
  if (hasTmux()) return undefined;
  if (process.getuid?.() === 0) {
    try {
      execFileSync('apt-get', ['install', '-y', '-qq', 'tmux'], { stdio: 'ignore', timeout: 120_000 });
    } catch {}
    if (hasTmux()) return undefined;
  }
  return 'tmux is not installed (and `apt-get install -y tmux` was not possible here)';
}

describe('parley chat against a real server', { timeout: 120_000 }, () => {
  let srv: ServerProcess;
  const home = mkdtempSync(join(tmpdir(), 'parley-chat-'));
  const alice = join(home, 'alice');
  const bob = join(home, 'bob');
  const children: Cli[] = [];
  const tmuxSocket = `parley-chat-test-${process.pid}`;
  const tmuxSkip = ensureTmux();
  let sentId = '';

  async function registerProfile(dir: string, number: string): Promise<void> {
    const args = ['--profile', dir, 'register', `+${number}`, '--server', srv.httpUrl];
    const p = new Cli([...args, '--chat', srv.chatUrl('tcp')]);
    children.push(p);
    await p.waitFor(/code sent by sms/, 'register asks for the code');
    p.write(`${await srv.codeFor(number)}\n`);
    assert.equal(await p.exited(), 0, p.out);
    assert.match(p.out, new RegExp(`registered \\+${number}`));
  }

  /** Bob's own device (his profile's store), in process, for what the CLI does not do: be online, type. */
  async function bobDevice(passive = false, listen?: (c: ParleyClient) => void): Promise<ParleyClient> {
    const store = openSqliteClientStore(join(bob, 'client.db'));
    const c = new ParleyClient({
      store,
      identity: (await store.getIdentity())!,
      crypto: nodeCrypto,
      passive,
    });
    // Before start(): the offline backlog can be emitted before start() resolves.
    listen?.(c);
    await within(c.start(), 10_000, 'bob logs in');
    return c;
  }

  /**
   * Bob receives like `parley sync` would: a passive login that takes what arrives (which answers
   * delivered receipts) until `done`. `parley sync` itself cannot be used yet: it waits for the `synced`
   * event after startClient() returns, but the client emits it before start() resolves, so it always
   * times out (see the report; src/cli/messaging.ts is not this change's to fix).
   */
  async function bobReceives(done: (got: { messages: StoredMessage[]; receipts: Receipt[] }) => boolean) {
    const got = { messages: [] as StoredMessage[], receipts: [] as Receipt[] };
    const b = await bobDevice(true, (c) => {
      c.on('message', (m) => got.messages.push(m));
      c.on('receipt', (r) => got.receipts.push(r));
    });
    try {
      await until(() => done(got), 'bob receives');
      await b.flush(5000);
    } finally {
      await b.close();
    }
    return got;
  }

  before(async () => {
    srv = await ServerProcess.create();
    await srv.start();
    await registerProfile(alice, ME);
    await registerProfile(bob, BOB);
  });

  after(async () => {
    for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
    if (!tmuxSkip) {
      try {
        execFileSync('tmux', ['-L', tmuxSocket, 'kill-server'], { stdio: 'ignore' });
      } catch {}
    }
    await srv?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  test('line mode: send, delivered, reply, read receipt, presence and typing, clean EOF', async () => {
    const chat = new Cli(['--profile', alice, 'chat', `+${BOB}`]);
    children.push(chat);
    await chat.waitFor(new RegExp(`— chat with \\+${BOB} as \\+${ME}`), 'the chat opens');
    await chat.waitFor(new RegExp(`\\+${BOB} offline`), 'bob’s presence (never online yet)');

    chat.write('hello from the chat ✓\n');
    sentId = (
      await chat.waitFor(/\d\d:\d\d:\d\d me: hello from the chat ✓ {2}… ([0-9A-F]{16})/, 'pending')
    )[1]!;
    await chat.waitFor(new RegExp(`^✓ ${sentId} sent$`, 'm'), 'the server ack');

    const got = await bobReceives((g) => g.messages.some((m) => m.id === sentId));
    assert.equal(got.messages.find((m) => m.id === sentId)?.text, 'hello from the chat ✓');
    await chat.waitFor(new RegExp(`^✓✓ ${sentId} delivered$`, 'm'), 'delivered once bob synced');

    const send = await within(
      runParley(['--profile', bob, 'send', `+${ME}`, 'reply from bob 👋']),
      10_000,
      'send',
    );
    assert.equal(send.code, 0, send.stderr);
    const replyId = send.stdout.trim();
    await chat.waitFor(new RegExp(`\\d\\d:\\d\\d:\\d\\d \\+${BOB}: reply from bob 👋`), 'the reply shows');
    // The open conversation marks what it shows as read.
    await bobReceives((g) => g.receipts.some((r) => r.id === replyId && r.status === 'read'));

    const b = await bobDevice();
    try {
      b.setPresence(true);
      await chat.waitFor(new RegExp(`^\\+${BOB} online$`, 'm'), 'bob online');
      b.typing(ME, 'composing');
      await chat.waitFor(new RegExp(`^\\+${BOB} is typing…$`, 'm'), 'bob typing');
      b.typing(ME, 'paused');
      await chat.waitFor(new RegExp(`^\\+${BOB} stopped typing$`, 'm'), 'bob paused');
      await b.markRead(ME, [sentId]);
      await chat.waitFor(new RegExp(`^✓✓ ${sentId} read$`, 'm'), 'read mark');
      b.setPresence(false);
      await chat.waitFor(new RegExp(`^\\+${BOB} last seen \\d\\d:\\d\\d$`, 'm'), 'bob last seen');
      await b.flush(5000);
    } finally {
      await b.close();
    }

    chat.child.stdin!.end();
    assert.equal(await chat.exited(), 0, chat.out);
    assert.ok(!chat.out.includes('\x1b'), 'no screen control in line mode');
  });

  test('full screen under tmux: conversation, marks, resize, /quit', { skip: tmuxSkip }, async (t) => {
    const tmux = (...args: string[]) =>
      execFileSync('tmux', ['-u', '-L', tmuxSocket, ...args], { encoding: 'utf8' });
    const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    // The shell reports the exit code on the screen (tmux's #{pane_dead_status} is not dependable).
    const chatCmd = [process.execPath, PARLEY_BIN, '--profile', alice, 'chat', `+${BOB}`].map(q).join(' ');
    const cmd = `${chatCmd}; echo "[chat exited with $?]"; sleep 30`;
    const cwd = fileURLToPath(new URL('../..', import.meta.url));
    tmux('new-session', '-d', '-s', 'chat', '-x', '100', '-y', '30', '-c', cwd, cmd);
    const screen = () => tmux('capture-pane', '-p', '-t', 'chat');
    await until(() => screen().includes('reply from bob 👋'), `the conversation shows:\n${screen()}`);
    let s = screen();
    assert.match(s.split('\n')[0]!, new RegExp(`^ \\+${BOB} {2}last seen \\d\\d:\\d\\d`));
    assert.match(s, /\d\d:\d\d me: hello from the chat ✓ ✓✓/);
    assert.match(tmux('capture-pane', '-p', '-e', '-t', 'chat'), /34m✓✓/, 'read in blue');

    tmux('send-keys', '-t', 'chat', '-l', 'typed in tmux');
    tmux('send-keys', '-t', 'chat', 'Enter');
    await until(() => /me: typed in tmux ✓$/m.test(screen()), `sent mark:\n${screen()}`);
    await bobReceives((g) => g.messages.some((m) => m.text === 'typed in tmux'));
    await until(() => /me: typed in tmux ✓✓$/m.test(screen()), `delivered mark:\n${screen()}`);
    s = screen();
    t.diagnostic(`screen at 100x30:\n${s}`);
    assert.match(s.split('\n')[29]!, /^>$/, 'the input line is last (capture-pane trims the space)');

    tmux('resize-window', '-t', 'chat', '-x', '60', '-y', '16');
    await until(() => screen().split('\n')[15]?.startsWith('>') === true, `redraw at 60x16:\n${screen()}`);
    s = screen();
    for (const l of s.split('\n')) assert.ok(strWidth(l) <= 60, l);
    assert.match(s, /me: typed in tmux ✓✓/);

    tmux('send-keys', '-t', 'chat', '-l', '/quit');
    tmux('send-keys', '-t', 'chat', 'Enter');
    await until(() => screen().includes('[chat exited with'), `the chat exits:\n${screen()}`);
    assert.match(screen(), /\[chat exited with 0\]/);
  });
});
