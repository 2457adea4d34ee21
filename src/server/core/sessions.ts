import type { Session } from './session.js';

/**
 * Which device connections are live. One session per (user, device): a newer login of the same device
 * replaces the older one, which is closed with `conflict` (the device reconnected from elsewhere).
 */
export class SessionRegistry {
  private readonly byUser = new Map<string, Map<number, Session>>();
  private count_ = 0;

  /** Adds a session; returns the session it replaced, if any (already closed). */
  add(session: Session): Session | undefined {
    let devices = this.byUser.get(session.user);
    if (!devices) {
      devices = new Map();
      this.byUser.set(session.user, devices);
    }
    const old = devices.get(session.device);
    devices.set(session.device, session);
    if (old && old !== session) {
      old.close('conflict');
      return old;
    }
    this.count_++;
    return undefined;
  }

  /** Removes the session if it is still the registered one for its device. */
  remove(session: Session): boolean {
    const devices = this.byUser.get(session.user);
    if (!devices || devices.get(session.device) !== session) return false;
    devices.delete(session.device);
    if (devices.size === 0) this.byUser.delete(session.user);
    this.count_--;
    return true;
  }

  get(user: string, device: number): Session | undefined {
    return this.byUser.get(user)?.get(device);
  }

  /** Live sessions of a user's devices. */
  ofUser(user: string): Session[] {
    const devices = this.byUser.get(user);
    return devices ? [...devices.values()] : [];
  }

  isOnline(user: string): boolean {
    const devices = this.byUser.get(user);
    if (!devices) return false;
    for (const s of devices.values()) if (!s.passive) return true;
    return false;
  }

  get size(): number {
    return this.count_;
  }

  all(): IterableIterator<Session> {
    return (function* (m) {
      for (const devices of m.values()) yield* devices.values();
    })(this.byUser);
  }
}
