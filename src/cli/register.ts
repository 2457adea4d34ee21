import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { register, requestCode } from '../client/registration.js';
import { ParleyError } from '../protocol/errors.js';
import { normalizeNumber } from '../protocol/jid.js';
import { CliError } from './errors.js';
import { startClient } from './messaging.js';
import {
  clearPending,
  newDeviceKey,
  openProfileStore,
  pendingKey,
  profileDir,
  readPending,
  writePending,
} from './profile.js';

interface RegisterFlags {
  server: string;
  code?: string;
  method: string;
  chat?: string;
}

export function registerRegister(program: Command): void {
  program
    .command('register <number>')
    .description('register this profile (device) for a phone number: request a code, then enter it')
    .option('--server <url>', 'the server’s HTTP address', 'http://127.0.0.1:8080')
    .option('--code <code>', 'complete a registration whose code was requested before')
    .option('--method <sms|voice>', 'how to receive the code', 'sms')
    .option('--chat <url>', 'chat address (default: tcp://<server host>:<chat_port from the server>)')
    .action(async (num: string, flags: RegisterFlags) => {
      const dir = profileDir(program.opts().profile);
      const number = normalizeNumber(num);
      if (!number)
        throw new CliError(`"${num}" is not a phone number in international form, e.g. +15550001111`);
      if (flags.method !== 'sms' && flags.method !== 'voice')
        throw new CliError('--method must be sms or voice');
      let pending = readPending(dir);
      let code = flags.code;
      if (code === undefined) {
        if (!pending || pending.number !== number || pending.httpUrl !== flags.server) {
          pending = writePending(dir, number, flags.server, newDeviceKey());
        }
        const a = await wrap(requestCode(flags.server, number, pendingKey(pending).publicKey, flags.method));
        process.stdout.write(`code sent by ${a.method} to +${number}\n`);
        code = await ask(`enter the ${a.length}-digit code: `);
      } else if (!pending || pending.number !== number) {
        throw new CliError(
          `no code was requested for +${number} from this profile: run without --code first`,
        );
      }
      const key = pendingKey(pending);
      const r = await wrap(register(pending.httpUrl, number, key.publicKey, code.trim()));
      const http = new URL(pending.httpUrl);
      const chatUrl = flags.chat ?? `tcp://${http.hostname}:${r.chat_port ?? 5222}`;
      const store = openProfileStore(dir);
      await store.setIdentity({
        user: r.login,
        device: r.device,
        noisePrivate: key.privateKey,
        noisePublic: key.publicKey,
        serverKey: new Uint8Array(Buffer.from(r.server_key, 'base64')),
        httpUrl: pending.httpUrl,
        chatUrl,
      });
      await store.close();
      clearPending(dir);
      process.stdout.write(`registered +${r.login} (device ${r.device}); chat at ${chatUrl}\n`);
      // Others can only write to this device once its end-to-end keys are in the server's directory:
      // generate them and log in once to upload them (later logins keep them topped up).
      try {
        const client = await startClient(dir);
        try {
          await client.keysUploaded();
        } finally {
          await client.close();
        }
        process.stdout.write('end-to-end encryption keys uploaded\n');
      } catch (err) {
        process.stderr.write(
          `parley: warning: encryption keys not uploaded yet (${(err as Error).message}); ` +
            'they are uploaded at the next login, until then nobody can write to this device\n',
        );
      }
    });
}

async function ask(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) {
    // Piped input: read one line (scripts can also pass --code).
    const rl = createInterface({ input: process.stdin });
    for await (const line of rl) {
      rl.close();
      return line;
    }
    throw new CliError('no code given: pass --code <code> or type it');
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return await rl.question(prompt);
  } finally {
    rl.close();
  }
}

async function wrap<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof ParleyError) {
      const retry = err.retryAfter !== undefined ? ` (retry after ${err.retryAfter} s)` : '';
      throw new CliError(`${err.code}: ${err.detail ?? err.message}${retry}`);
    }
    throw err;
  }
}
