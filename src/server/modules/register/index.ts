import { ParleyError } from '../../../protocol/errors.js';
import { fromBase64, toBase64 } from '../../../wire/index.js';
import { defineModule, type ModuleContext, type ParleyModule } from '../../core/module.js';
import type { HttpRequest, HttpResult } from '../../http/routes.js';
import { codeMatches, hashCode, newCode, newSalt } from './codes.js';
import { SlidingWindow } from './limits.js';
import { type CodeProvider, createProvider } from './providers.js';
import { CodeRequest, ExistRequest, numberOf, parseBody, RegisterRequest } from './schema.js';

export type { CodeDelivery, CodeProvider, MemoryProvider } from './providers.js';
export { localProvider, memoryProvider, webhookProvider } from './providers.js';

const HOUR = 3_600_000;
/** Registration bodies are a few short fields. */
const BODY_LIMIT = 4096;

export interface RegisterOptions {
  /** Delivers codes instead of the provider `registration.provider` names (tests, embedders). */
  provider?: CodeProvider | ((ctx: ModuleContext) => CodeProvider);
}

/**
 * Registration over HTTP (docs/protocol.md §6): `POST /v1/exist`, `/v1/code`, `/v1/register`. A code
 * binds a number to a device key: it is stored only as a salted scrypt hash, expires, allows
 * `maxGuesses` wrong guesses, and code requests are limited per number and per address per hour.
 */
export function registerModule(opts: RegisterOptions = {}): ParleyModule {
  return defineModule({
    name: 'register',
    setup(ctx) {
      const provider =
        typeof opts.provider === 'function'
          ? opts.provider(ctx)
          : (opts.provider ?? createProvider(ctx.config.registration.provider, ctx.log));
      const r = new Registration(ctx, provider);
      ctx.http.add('POST', '/v1/exist', (req) => r.exist(req));
      ctx.http.add('POST', '/v1/code', (req) => r.code(req));
      ctx.http.add('POST', '/v1/register', (req) => r.register(req));
    },
  });
}

/** The module with the configured provider. */
export const register = registerModule();

class Registration {
  private readonly perNumber: SlidingWindow;
  private readonly perAddress: SlidingWindow;

  constructor(
    private readonly ctx: ModuleContext,
    private readonly provider: CodeProvider,
  ) {
    const cfg = ctx.config.registration;
    this.perNumber = new SlidingWindow(cfg.perNumberPerHour, HOUR, ctx.clock);
    this.perAddress = new SlidingWindow(cfg.perAddressPerHour, HOUR, ctx.clock);
  }

  async exist(req: HttpRequest): Promise<HttpResult> {
    const body = parseBody(ExistRequest, await readBody(req));
    const number = numberOf(body);
    const key = fromBase64(body.key)!;
    const devices = await this.ctx.storage.accounts.listDevices(number);
    const d = devices.find((x) => equalBytes(x.noiseKey, key));
    if (!d) return { status: 200, body: { status: 'fail', reason: 'incorrect' } };
    return { status: 200, body: { status: 'ok', login: number, device: d.device } };
  }

  async code(req: HttpRequest): Promise<HttpResult> {
    const body = parseBody(CodeRequest, await readBody(req));
    const number = numberOf(body);
    const cfg = this.ctx.config.registration;
    const stored = await this.ctx.storage.verification.getCode(number);
    // From here to recording the request nothing awaits, so two racing requests cannot both pass.
    const now = this.ctx.clock.now();
    const addrWait = this.perAddress.wait(req.remoteAddress);
    if (addrWait > 0)
      throw new ParleyError('rate_overlimit', 'too many codes from this address', seconds(addrWait));
    const last = Math.max(stored?.createdAt ?? 0, this.perNumber.last(number) ?? 0);
    const resendWait = last + cfg.resendSeconds * 1000 - now;
    if (resendWait > 0) throw new ParleyError('too_recent', undefined, seconds(resendWait));
    const numberWait = this.perNumber.wait(number);
    if (numberWait > 0)
      throw new ParleyError('rate_overlimit', 'too many codes for this number', seconds(numberWait));
    this.perAddress.hit(req.remoteAddress, now);
    this.perNumber.hit(number, now);

    const code = newCode(cfg.codeLength);
    const salt = newSalt();
    await this.ctx.storage.verification.putCode({
      number,
      codeHash: await hashCode(code, salt),
      salt,
      method: body.method,
      createdAt: now,
      expiresAt: now + cfg.codeTtlSeconds * 1000,
      attempts: 0,
      deviceKey: body.key,
    });
    try {
      await this.provider.send({ number, code, method: body.method, lg: body.lg ?? 'en' });
    } catch (err) {
      // Not the client's fault: forget the code and the request, so an immediate retry is allowed.
      await this.ctx.storage.verification.deleteCode(number);
      this.perAddress.undo(req.remoteAddress, now);
      this.perNumber.undo(number, now);
      this.ctx.log.warn({ err, provider: this.provider.name, number }, 'verification code delivery failed');
      throw new ParleyError('unavailable', 'the code could not be sent');
    }
    this.ctx.log.info(
      { number, method: body.method, provider: this.provider.name },
      'verification code sent',
    );
    const answer = {
      status: 'sent',
      length: cfg.codeLength,
      method: body.method,
      retry_after: cfg.resendSeconds,
    };
    return { status: 200, body: answer };
  }

  async register(req: HttpRequest): Promise<HttpResult> {
    const body = parseBody(RegisterRequest, await readBody(req));
    const number = numberOf(body);
    const key = fromBase64(body.key)!;
    const cfg = this.ctx.config.registration;
    const guess = body.code.replace(/[\s-]/g, '');
    if (!/^[0-9]+$/.test(guess) || guess.length !== cfg.codeLength) {
      throw new ParleyError('bad_param', `code: ${cfg.codeLength} digits`);
    }
    const verification = this.ctx.storage.verification;
    const stored = await verification.getCode(number);
    if (!stored) throw new ParleyError('no_code');
    if (this.ctx.clock.now() >= stored.expiresAt) {
      await verification.deleteCode(number);
      throw new ParleyError('code_expired');
    }
    if (stored.deviceKey !== body.key)
      throw new ParleyError('no_code', 'the code was requested for another key');
    // Count the guess before checking it, so parallel guesses cannot get more than maxGuesses checks.
    const guesses = await verification.addAttempt(number);
    if (guesses === 0) throw new ParleyError('no_code'); // used or replaced meanwhile
    if (guesses > cfg.maxGuesses || !(await codeMatches(guess, stored))) {
      if (guesses >= cfg.maxGuesses) {
        await verification.deleteCode(number);
        throw new ParleyError('too_many_guesses', 'request a new code');
      }
      throw new ParleyError('bad_code');
    }
    await verification.deleteCode(number);
    await this.bind(number, key);
    this.ctx.log.info({ number }, 'registered');
    const serverKey = toBase64(this.ctx.serverKey);
    return {
      status: 200,
      body: { status: 'ok', login: number, device: 0, server_key: serverKey, chat_port: this.ctx.chatPort() },
    };
  }

  /** Binds the key to device 0; a different older key loses its queue and its live session. */
  private async bind(number: string, key: Uint8Array): Promise<void> {
    const { accounts, queue } = this.ctx.storage;
    const now = this.ctx.clock.now();
    await accounts.ensureAccount(number, now);
    const old = await accounts.getDevice(number, 0);
    if (old && equalBytes(old.noiseKey, key)) return;
    await accounts.putDevice({ user: number, device: 0, noiseKey: key, registeredAt: now });
    if (!old) return;
    this.ctx.sessions.get(number, 0)?.close('conflict');
    await queue.clear(number, 0);
    // The old installation's end-to-end keys must not be handed out for the new one.
    await this.ctx.storage.prekeys.clearDevice(number, 0);
    this.ctx.log.info({ number }, 'device 0 replaced by a new registration');
  }
}

/** The JSON body; unreadable JSON is a bad parameter like any other. */
async function readBody(req: HttpRequest): Promise<unknown> {
  try {
    return await req.json(BODY_LIMIT);
  } catch (err) {
    if (err instanceof ParleyError && err.code === 'bad_request')
      throw new ParleyError('bad_param', 'body is not JSON');
    throw err;
  }
}

function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
