import type { ParleyClient } from '../../client/client.js';
import type { StoredMessage } from '../../client/store.js';
import { normalizeNumber, userJid } from '../../protocol/jid.js';
import { type Action, type ChatState, initialState, reduce } from './state.js';

/** Called after every state change with the action and the state before it. */
export type View = (state: ChatState, action: Action, before: ChatState) => void;

/** `composing` is repeated at most this often while typing, `paused` sent after this much idleness. */
const TYPING_EVERY_MS = 3000;
const HISTORY = 200;

const key = (m: StoredMessage) => `${m.sender}/${m.id}`;

/**
 * One interactive chat: turns client events and user input into actions, and actions into protocol
 * (subscribe, typing, read receipts, presence). Front ends only render and feed input.
 */
export class ChatSession {
  state: ChatState;
  /** Resolves with the exit code and, for an abnormal end, why. */
  readonly done: Promise<{ code: number; error?: string }>;
  private finish!: (r: { code: number; error?: string }) => void;
  private queue: Promise<void> = Promise.resolve();
  private readonly shown = new Set<string>();
  private readonly offs: (() => void)[] = [];
  private tick: ReturnType<typeof setInterval> | undefined;
  private composing: { chat: string; at: number } | undefined;
  private pauseTimer: ReturnType<typeof setTimeout> | undefined;
  private quitting = false;

  constructor(
    private readonly client: ParleyClient,
    private readonly view: View,
    private readonly o: { flushMs: number; now?: () => number },
  ) {
    this.state = initialState(client.identity.user, this.now());
    this.done = new Promise((r) => {
      this.finish = r;
    });
  }

  /** Store or send failures show as a notice; after quitting (the store closed) they are expected. */
  private readonly warn = (err: Error): void => {
    if (!this.quitting) this.dispatch({ type: 'notice', text: `error: ${err.message}` });
  };

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  dispatch(a: Action): void {
    const before = this.state;
    this.state = reduce(before, a, this.now());
    this.view(this.state, a, before);
  }

  async start(initial?: string): Promise<void> {
    const c = this.client;
    const store = c.store;
    this.offs.push(
      c.on('message', (m) => {
        this.incoming(m);
        void this.catchUp().catch(this.warn);
      }),
      c.on('sent', (e) => this.dispatch({ type: 'status', chat: e.chat, id: e.id, status: 'sent', t: e.t })),
      c.on('receipt', (e) => this.dispatch({ type: 'status', chat: e.chat, id: e.id, status: e.status })),
      c.on('failed', (e) =>
        this.dispatch({ type: 'status', chat: e.chat, id: e.id, status: 'failed', reason: e.reason }),
      ),
      c.on('presence', (e) => this.dispatch({ type: 'presence', ...e })),
      c.on('chatstate', (e) => this.dispatch({ type: 'chatstate', ...e })),
      c.on('identity-changed', (e) => {
        if (e.user === this.state.open) this.dispatch({ type: 'identity', user: e.user, changed: true });
        else this.dispatch({ type: 'notice', text: `⚠ +${e.user}'s security code changed` });
      }),
      c.on('undecryptable', (e) => {
        if (!e.retrying)
          this.dispatch({ type: 'notice', text: `a message from ${e.from} could not be decrypted` });
      }),
      c.on('online', () => {
        // Presence and subscriptions belong to a server session: a reconnect starts a new one.
        c.setPresence(true);
        if (this.state.open) c.subscribe(this.state.open);
        this.dispatch({ type: 'connection', online: true });
      }),
      c.on('offline', (e) => {
        this.dispatch({ type: 'connection', online: false, reason: e.reason, retryInMs: e.retryInMs });
        // No retry means the server refused us for good (e.g. this device logged in elsewhere).
        if (e.retryInMs === undefined) void this.quit(1, `disconnected: ${e.reason}`);
      }),
      // Anything that arrived before our listeners, or while they missed it, is in the store.
      c.on('synced', () => void this.refresh().catch(this.warn)),
    );
    c.setPresence(true);
    // Messages no one has shown yet (the initial conversation's show as its history).
    for (const m of await store.takeUnshown()) {
      this.shown.add(key(m));
      if (m.chat !== initial) this.dispatch({ type: 'incoming', m });
    }
    const chats = await store.chats();
    if (initial) {
      this.dispatch({ type: 'chats', chats });
      await this.open(initial);
    } else this.dispatch({ type: 'list', chats });
    this.tick = setInterval(() => this.dispatch({ type: 'tick' }), 1000);
  }

  /** Input from the user, handled strictly in order. */
  submit(line: string): void {
    if (this.quitting) return;
    this.queue = this.queue.then(() => this.handle(line)).catch(this.warn);
  }

  /** Enter (full-screen mode): the line is cleared now, so keys typed while it is handled are kept. */
  enter(): void {
    const line = this.state.input;
    this.setInput('');
    this.submit(line);
  }

  /** The input line changed (full-screen mode): drives our typing indicator. */
  setInput(text: string): void {
    this.dispatch({ type: 'input', text });
    const chat = this.state.open;
    if (!chat || text.trim() === '' || text.startsWith('/')) {
      this.stopTyping();
      return;
    }
    const now = this.now();
    if (!this.composing || now - this.composing.at >= TYPING_EVERY_MS) {
      this.client.typing(chat, 'composing');
      this.composing = { chat, at: now };
    }
    clearTimeout(this.pauseTimer);
    this.pauseTimer = setTimeout(() => this.stopTyping(), TYPING_EVERY_MS);
  }

  private stopTyping(): void {
    clearTimeout(this.pauseTimer);
    if (this.composing) this.client.typing(this.composing.chat, 'paused');
    this.composing = undefined;
  }

  private async handle(raw: string): Promise<void> {
    const line = raw.trim();
    if (line.startsWith('/') && !line.startsWith('//')) return this.command(line);
    const { open, chats, selected } = this.state;
    if (open) {
      if (line !== '') await this.send(open, line.startsWith('//') ? raw.trim().slice(1) : raw);
      return;
    }
    // In the list: Enter opens the highlighted conversation, a small number picks one, a phone number opens it.
    const n = Number(line);
    const pick =
      line === '' ? chats[selected]?.chat : Number.isInteger(n) && n >= 1 ? chats[n - 1]?.chat : undefined;
    const chat = pick ?? normalizeNumber(line);
    if (chat) return this.open(chat);
    if (line !== '') this.dispatch({ type: 'notice', text: 'pick a conversation, or /open +number' });
  }

  private async command(line: string): Promise<void> {
    const [cmd, ...args] = line.split(/\s+/);
    switch (cmd) {
      case '/quit':
      case '/exit':
        return void this.quit(0);
      case '/help':
        return this.dispatch({ type: 'help' });
      case '/back':
        return this.back();
      case '/open': {
        const chat = normalizeNumber(args.join(''));
        if (chat) return this.open(chat);
        return this.dispatch({ type: 'notice', text: 'usage: /open +number (international form)' });
      }
      default:
        return this.dispatch({ type: 'notice', text: `unknown command ${cmd}: /help lists them` });
    }
  }

  async open(chat: string): Promise<void> {
    const store = this.client.store;
    this.leave();
    const messages = await store.messages(chat, HISTORY);
    const unread = (await store.chats()).find((c) => c.chat === chat)?.unread ?? 0;
    this.dispatch({ type: 'open', chat, messages });
    const { changed } = await this.client.e2e.identityStatus(chat);
    if (changed) this.dispatch({ type: 'identity', user: chat, changed });
    this.client.subscribe(chat);
    // The store counts the unread; they are the newest incoming messages.
    const ids = messages.filter((m) => !m.outgoing).map((m) => m.id);
    if (unread > 0) await this.client.markRead(chat, ids.slice(-unread));
  }

  private async back(): Promise<void> {
    this.leave();
    this.dispatch({ type: 'list', chats: await this.client.store.chats() });
  }

  /** Stops typing to and watching the conversation we are leaving. */
  private leave(): void {
    this.stopTyping();
    const open = this.state.open;
    if (open) this.client.write({ tag: 'presence', attrs: { type: 'unsubscribe', to: userJid(open) } });
  }

  private async send(chat: string, text: string): Promise<void> {
    this.stopTyping();
    const acked = this.client.sendText(chat, text);
    // sendText stores the message before its first await, so it is the newest row now; with a store that
    // is not synchronous we learn the id from the ack instead (the message then shows once sent).
    const recent = await this.client.store.messages(chat, 5);
    const known = new Set(this.state.messages.map(key));
    const mine = recent.findLast((m) => m.outgoing && m.text === text && !known.has(key(m)));
    if (mine) this.dispatch({ type: 'outgoing', m: mine });
    acked.then(
      async ({ id }) => {
        if (mine) return;
        const m = await this.client.store.getMessage(chat, id, this.state.me);
        if (m) this.dispatch({ type: 'outgoing', m });
      },
      // A refusal arrives as the `failed` event; a close rejects what is still unacked (kept for later).
      () => {},
    );
  }

  private incoming(m: StoredMessage): void {
    if (m.outgoing || this.shown.has(key(m))) return;
    this.shown.add(key(m));
    this.dispatch({ type: 'incoming', m });
    if (m.chat === this.state.open) void this.client.markRead(m.chat, [m.id]).catch(this.warn);
  }

  /** Marks what the store holds as shown, showing whatever the events did not bring. */
  private async catchUp(): Promise<void> {
    for (const m of await this.client.store.takeUnshown()) this.incoming(m);
  }

  private async refresh(): Promise<void> {
    await this.catchUp();
    const store = this.client.store;
    const open = this.state.open;
    if (open) this.dispatch({ type: 'reload', chat: open, messages: await store.messages(open, HISTORY) });
    this.dispatch({ type: 'chats', chats: await store.chats() });
  }

  /** Leaves cleanly: not typing, offline, unacked sends given a moment, connection closed. */
  quit(code = 0, error?: string): Promise<{ code: number; error?: string }> {
    if (this.quitting) return this.done;
    this.quitting = true;
    void (async () => {
      clearInterval(this.tick);
      await this.queue;
      this.stopTyping();
      if (this.client.state === 'online') {
        this.client.setPresence(false);
        await this.client.flush(this.o.flushMs);
      }
      for (const off of this.offs) off();
      await this.client.close();
      this.finish(error ? { code, error } : { code });
    })();
    return this.done;
  }
}
