import { isPhoneUser } from '../../protocol/jid.js';
import type { Storage } from '../storage/types.js';
import type { Clock } from './clock.js';
import type { LoginRequest, LoginResult } from './host.js';
import type { Logger } from './logger.js';

/** Counts failed logins per address in a sliding minute, so key guessing is slow and costs the guesser. */
export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly perMinute: number,
    private readonly clock: Clock,
  ) {}

  blocked(address: string): boolean {
    return this.recent(address).length >= this.perMinute;
  }

  fail(address: string): void {
    const list = this.recent(address);
    list.push(this.clock.now());
    this.failures.set(address, list);
    if (this.failures.size > 100_000) this.failures.clear();
  }

  private recent(address: string): number[] {
    const cutoff = this.clock.now() - 60_000;
    const list = (this.failures.get(address) ?? []).filter((t) => t > cutoff);
    if (list.length === 0) this.failures.delete(address);
    return list;
  }
}

/** A device may log in only with the static key registered for exactly that user and device. */
export async function authenticate(
  login: LoginRequest,
  storage: Storage,
  limiter: LoginLimiter,
  log: Logger,
): Promise<LoginResult> {
  if (limiter.blocked(login.remoteAddress)) return { ok: false, reason: 'rate_overlimit' };
  const fail = (reason: string): LoginResult => {
    limiter.fail(login.remoteAddress);
    log.info({ user: login.user, device: login.device, addr: login.remoteAddress, reason }, 'login refused');
    return { ok: false, reason };
  };
  if (!isPhoneUser(login.user) || !Number.isInteger(login.device) || login.device < 0 || login.device > 255) {
    return fail('bad_param');
  }
  const device = await storage.accounts.getDevice(login.user, login.device);
  if (!device || !equalBytes(device.noiseKey, login.noiseKey)) return fail('not_authorized');
  return { ok: true };
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
