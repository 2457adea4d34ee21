import type { Command } from 'commander';
import { normalizeNumber } from '../../protocol/jid.js';
import { CliError } from '../errors.js';
import { startClient } from '../messaging.js';
import { describe, runLineMode } from './lines.js';
import { ChatSession } from './session.js';
import { TtyFront } from './tty.js';

/** `parley chat [+number]`: full screen in a terminal, line mode when piped (or with --plain). */
export function registerChat(program: Command): void {
  program
    .command('chat [number]')
    .description('interactive chat: the conversation list, or straight into one conversation')
    .option('--plain', 'line mode even in a terminal: one line per event, no screen control')
    .action(async (num: string | undefined, flags: { plain?: boolean }) => {
      const initial = num === undefined ? undefined : normalizeNumber(num);
      if (num !== undefined && !initial)
        throw new CliError(`"${num}" is not a phone number in international form, e.g. +15550001111`);
      const tty = !flags.plain && !!process.stdin.isTTY && !!process.stdout.isTTY;
      const client = await startClient(program.opts().profile, false);

      const front = tty ? new TtyFront(process.stdin, process.stdout, !process.env.NO_COLOR) : undefined;
      const out = process.stdout;
      const session = new ChatSession(
        client,
        front
          ? front.view
          : (state, action, before) => {
              for (const line of describe(action, before, state)) out.write(`${line}\n`);
            },
        // A script that ends its input right after a line still wants that line delivered.
        { flushMs: tty ? 1500 : 5000 },
      );
      // Signals end the session like /quit does: the terminal is restored and we show as offline.
      const onSignal = () => void session.quit(0);
      // Whatever ends the process, the shell must not be left in raw mode on the alternate screen.
      const restore = () => front?.detach();
      process.once('exit', restore);
      for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, onSignal);
      try {
        await session.start(initial);
        if (front) front.attach(session);
        else runLineMode(session, process.stdin);
        const { code, error } = await session.done;
        front?.detach();
        if (error) throw new CliError(error, code || 1);
      } catch (err) {
        front?.detach();
        await session.quit(1);
        throw err;
      } finally {
        for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(sig, onSignal);
        process.off('exit', restore);
      }
    });
}
