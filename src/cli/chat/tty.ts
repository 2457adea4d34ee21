import { emitKeypressEvents } from 'node:readline';
import { render } from './render.js';
import type { ChatSession } from './session.js';
import type { ChatState } from './state.js';
import { graphemes } from './text.js';

/**
 * The full-screen front end: the alternate screen, raw keys, and a redraw that rewrites only the rows
 * that changed (so tmux and slow links see little traffic), once per tick of the event loop.
 */

interface Key {
  name?: string;
  ctrl?: boolean;
  meta?: boolean;
  sequence?: string;
}

const ESC = '\x1b[';

export class TtyFront {
  private session: ChatSession | undefined;
  private state: ChatState | undefined;
  private previous: string[] = [];
  private scheduled = false;
  private closed = false;
  private readonly onResize = () => {
    this.previous = [];
    this.schedule();
  };
  private readonly onKey = (str: string | undefined, key: Key | undefined) => this.key(str, key ?? {});

  constructor(
    private readonly input: NodeJS.ReadStream,
    private readonly output: NodeJS.WriteStream,
    private readonly color: boolean,
  ) {}

  /** The session's view: remember the state, draw soon (many actions in a row make one frame). */
  readonly view = (state: ChatState): void => {
    this.state = state;
    this.schedule();
  };

  attach(session: ChatSession): void {
    this.session = session;
    // Alternate screen (the shell's scrollback survives), then raw keys.
    this.output.write(`${ESC}?1049h${ESC}2J`);
    emitKeypressEvents(this.input);
    this.input.setRawMode(true);
    this.input.on('keypress', this.onKey);
    this.input.resume();
    this.output.on('resize', this.onResize);
    this.schedule();
  }

  /** Puts the terminal back as it was; safe to call more than once. */
  detach(): void {
    if (this.closed) return;
    this.closed = true;
    this.input.off('keypress', this.onKey);
    this.output.off('resize', this.onResize);
    if (this.input.isTTY) this.input.setRawMode(false);
    this.input.pause();
    this.output.write(`${ESC}0m${ESC}?25h${ESC}?1049l`);
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.draw();
    });
  }

  private draw(): void {
    if (this.closed || !this.state) return;
    const { lines, cursor } = render(
      this.state,
      this.output.columns || 80,
      this.output.rows || 24,
      this.color,
    );
    // Synchronized update (ignored where unsupported), cursor hidden while rows change.
    let out = `${ESC}?2026h${ESC}?25l`;
    lines.forEach((line, i) => {
      if (line !== this.previous[i]) out += `${ESC}${i + 1};1H${ESC}2K${line}`;
    });
    out += `${ESC}${cursor.row + 1};${cursor.col + 1}H${ESC}?25h${ESC}?2026l`;
    this.previous = lines;
    this.output.write(out);
  }

  private key(str: string | undefined, key: Key): void {
    const s = this.session;
    const st = this.state;
    if (!s || !st || key.meta) return;
    const input = st.input;
    const withCtrl: Record<string, () => void> = {
      c: () => void s.quit(0),
      d: () => void (input === '' && s.quit(0)),
      l: this.onResize,
      u: () => s.setInput(''),
      w: () => s.setInput(input.replace(/\S*\s*$/, '')),
    };
    const named: Record<string, () => void> = {
      return: () => s.enter(),
      enter: () => s.enter(),
      backspace: () => s.setInput(graphemes(input).slice(0, -1).join('')),
      up: () => s.dispatch({ type: 'select', delta: -1 }),
      down: () => s.dispatch({ type: 'select', delta: 1 }),
      escape: () => void (st.open && s.submit('/back')),
    };
    const handler = (key.ctrl ? withCtrl : named)[key.name ?? ''];
    if (handler) handler();
    else if (!key.ctrl && str) {
      // Printable text only (a paste arrives as many of these); controls would corrupt the line.
      const text = str.replace(/[\x00-\x1f\x7f]/g, '');
      if (text) s.setInput(input + text);
    }
  }
}
