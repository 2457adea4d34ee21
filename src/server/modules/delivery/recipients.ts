import type { UserJid } from '../../../protocol/jid.js';
import type { Session } from '../../core/session.js';
import type { Recipient, Storage } from '../../storage/types.js';

/** Stanza ids clients choose (messages, receipts): 1–64 of A-Za-z0-9._- (docs/protocol.md §5). */
const ID_RE = /^[A-Za-z0-9._-]{1,64}$/;

export function isStanzaId(id: string | undefined): id is string {
  return id !== undefined && ID_RE.test(id);
}

/**
 * The devices a stanza from `sender` addressed to `to` is queued for, or undefined when the addressee
 * does not exist (no account, no devices, or no such device). A user address means all of its devices;
 * a device address means that one device. With `copies`, the sender's other devices are added too, so
 * every device of a user sees what any of them sent. The sending device itself never gets a copy.
 */
export async function recipientsOf(
  storage: Storage,
  sender: Session,
  to: UserJid,
  copies: boolean,
): Promise<Recipient[] | undefined> {
  if (to.device !== undefined) {
    const d = await storage.accounts.getDevice(to.user, to.device);
    if (!d) return undefined;
    return isSender(sender, d) ? [] : [{ user: d.user, device: d.device }];
  }
  const devices = await storage.accounts.listDevices(to.user);
  if (devices.length === 0) return undefined;
  if (copies && to.user !== sender.user) devices.push(...(await storage.accounts.listDevices(sender.user)));
  return devices.filter((d) => !isSender(sender, d)).map((d) => ({ user: d.user, device: d.device }));
}

function isSender(sender: Session, r: Recipient): boolean {
  return r.user === sender.user && r.device === sender.device;
}
