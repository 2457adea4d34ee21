import { GROUP_SERVER, SERVER } from '../wire/tags.js';

/**
 * Addresses: a user is `<E.164 digits>@s.us`, one of its devices `<digits>:<device>@s.us` (device 0 is the
 * primary), a group `<id>@g.us`, the server `s.us`. Parsed only here, never with ad-hoc splits elsewhere.
 */
export interface UserJid {
  user: string;
  /** Undefined for a bare user address. */
  device?: number;
}

const USER_RE = /^[1-9][0-9]{5,14}$/;
export const MAX_DEVICE = 255;

export function isPhoneUser(user: string): boolean {
  return USER_RE.test(user);
}

/** Parses `user@s.us` or `user:device@s.us`; undefined for anything else. */
export function parseUserJid(jid: string): UserJid | undefined {
  const at = jid.indexOf('@');
  if (at < 0 || jid.slice(at + 1) !== SERVER) return undefined;
  const local = jid.slice(0, at);
  const colon = local.indexOf(':');
  const user = colon < 0 ? local : local.slice(0, colon);
  if (!isPhoneUser(user)) return undefined;
  if (colon < 0) return { user };
  const dev = local.slice(colon + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(dev) || Number(dev) > MAX_DEVICE) return undefined;
  return { user, device: Number(dev) };
}

export function userJid(user: string): string {
  return `${user}@${SERVER}`;
}

export function deviceJid(user: string, device: number): string {
  return `${user}:${device}@${SERVER}`;
}

/** Accepts `+1 555-000 1111`-style input and returns the E.164 digits, or undefined. */
export function normalizeNumber(input: string): string | undefined {
  const digits = input.replace(/[\s().-]/g, '').replace(/^\+/, '');
  return isPhoneUser(digits) ? digits : undefined;
}

export function isGroupJid(jid: string): boolean {
  return jid.endsWith(`@${GROUP_SERVER}`) && /^[0-9]{6,32}$/.test(jid.slice(0, -GROUP_SERVER.length - 1));
}
