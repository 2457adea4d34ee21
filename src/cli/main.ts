import { Command, CommanderError } from 'commander';
import { registerChat } from './chat/index.js';
import { CliError } from './errors.js';
import { registerInspect } from './inspect.js';
import { registerMessaging } from './messaging.js';
import { registerRegister } from './register.js';
import { registerServer } from './server.js';
import { registerVerify } from './verify.js';

export function buildProgram(): Command {
  const program = new Command('parley')
    .description('Parley: self-hosted messaging — server, client and protocol inspector')
    .option('--profile <dir>', 'client profile directory (keys, local message store)')
    .exitOverride()
    .configureOutput({ outputError: () => {} });
  registerServer(program);
  registerRegister(program);
  registerMessaging(program);
  registerChat(program);
  registerVerify(program);
  registerInspect(program);
  return program;
}

/** Entry point: runs the command; any failure is one line on stderr and a non-zero exit code. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return;
      process.stderr.write(`parley: ${err.message.replace(/^error: /, '')}\n`);
      process.exitCode = err.exitCode || 2;
      return;
    }
    const msg =
      err instanceof CliError ? err.message : `internal error: ${(err as Error)?.message ?? String(err)}`;
    process.stderr.write(`parley: ${msg}\n`);
    process.exitCode = err instanceof CliError ? err.exitCode : 70;
    if (process.env.PARLEY_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  }
}
