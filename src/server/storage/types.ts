/**
 * Storage, one interface per concern. Every backend (SQLite now, PostgreSQL later) implements all of them
 * and passes the same contract suite (src/server/storage/contract.ts). Methods are async even where
 * SQLite is synchronous, so a networked backend fits the same shape. Times are Unix milliseconds.
 */

export interface Account {
  user: string;
  createdAt: number;
}

export interface Device {
  user: string;
  device: number;
  /** The device's Noise static public key (32 bytes): what it logs in with. */
  noiseKey: Uint8Array;
  registeredAt: number;
}

export interface AccountStore {
  getAccount(user: string): Promise<Account | undefined>;
  /** Creates the account if missing; returns it either way. */
  ensureAccount(user: string, now: number): Promise<Account>;
  getDevice(user: string, device: number): Promise<Device | undefined>;
  listDevices(user: string): Promise<Device[]>;
  /** Inserts or replaces the device (re-registration on a new phone replaces the key). */
  putDevice(device: Device): Promise<void>;
  removeDevice(user: string, device: number): Promise<boolean>;
}

export interface VerificationCode {
  number: string;
  /** scrypt/SHA-256 hash of the code with a per-code salt; the code itself is never stored. */
  codeHash: Uint8Array;
  salt: Uint8Array;
  method: 'sms' | 'voice';
  createdAt: number;
  expiresAt: number;
  /** Wrong guesses so far. */
  attempts: number;
  /** The device key the code was requested for (base64), so another device cannot complete it. */
  deviceKey: string;
}

export interface VerificationStore {
  putCode(code: VerificationCode): Promise<void>;
  getCode(number: string): Promise<VerificationCode | undefined>;
  /** Adds one wrong guess; returns the new count. */
  addAttempt(number: string): Promise<number>;
  deleteCode(number: string): Promise<void>;
}

export type QueueKind = 'message' | 'receipt' | 'notification';

/** A stanza waiting for one recipient device. */
export interface QueueEntry {
  /** Position in that device's queue: strictly increasing in acceptance order. */
  seq: number;
  user: string;
  device: number;
  kind: QueueKind;
  /** Identifies the entry for the recipient's ack: e.g. `message:<from jid>:<id>`. */
  key: string;
  /** The stanza exactly as it will be sent (binary node). */
  stanza: Uint8Array;
  createdAt: number;
}

export interface Recipient {
  user: string;
  device: number;
}

/** Where a stored entry sits in its device's queue, for delivering it without reading it back. */
export interface StoredEntry {
  seq: number;
  /**
   * The seq of the entry committed for the same device just before this one, when the backend knows it
   * for certain; undefined otherwise. A session that has sent exactly up to `prev` may send this entry
   * straight away: nothing else can lie between.
   */
  prev?: number;
}

export type AcceptResult =
  /** `entries` (index-aligned with the recipients) is optional: a backend may not know the order. */
  | { status: 'stored'; t: number; entries?: StoredEntry[] }
  /** This (sender, id) was accepted before: ack again, store nothing. */
  | { status: 'duplicate'; t: number }
  /** A recipient's queue is at its bound: nothing was stored. */
  | { status: 'full'; user: string; device: number };

export interface AcceptRequest {
  /** The idempotency scope and id: e.g. sender device JID + message id. */
  sender: string;
  id: string;
  kind: QueueKind;
  key: string;
  /** One entry per recipient device; all stored in one transaction or none. */
  recipients: Recipient[];
  /** Stanza bytes per recipient, index-aligned with `recipients`. */
  stanzas: Uint8Array[];
  now: number;
  /** Per-device queue bound. */
  maxQueue: number;
}

export interface OfflineQueue {
  /**
   * Durably stores a stanza for every recipient device in one transaction, recording (sender, id) so a
   * resend is recognised. Resolves only once the data is committed: the caller acks after this.
   */
  accept(req: AcceptRequest): Promise<AcceptResult>;
  /** Entries for a device with seq > afterSeq, oldest first. */
  page(user: string, device: number, afterSeq: number, limit: number): Promise<QueueEntry[]>;
  /** Deletes a delivered entry once the device acked it; false if there was none. */
  remove(user: string, device: number, key: string): Promise<boolean>;
  count(user: string, device: number): Promise<number>;
  /** Drops everything queued for a device (it was replaced or removed). */
  clear(user: string, device: number): Promise<void>;
  /** Forgets idempotency records older than `before` (they only need to outlive resends). */
  pruneAccepted(before: number): Promise<number>;
}

export type LastSeenSetting = 'everyone' | 'contacts' | 'nobody';

export interface PrivacySettings {
  lastSeen: LastSeenSetting;
}

export interface PresenceStore {
  setLastSeen(user: string, t: number): Promise<void>;
  getLastSeen(user: string): Promise<number | undefined>;
  getPrivacy(user: string): Promise<PrivacySettings>;
  setPrivacy(user: string, settings: Partial<PrivacySettings>): Promise<PrivacySettings>;
}

export interface ContactStore {
  /** Replaces the user's contact list (E.164 digit strings). */
  setContacts(user: string, contacts: string[]): Promise<void>;
  getContacts(user: string): Promise<string[]>;
  /** Is `other` in `user`'s contacts? */
  hasContact(user: string, other: string): Promise<boolean>;
}

/** A signed prekey as the directory keeps it: the newest is handed out, a few older ones are kept. */
export interface SignedPrekey {
  id: number;
  /** 33 bytes (0x05 ‖ X25519 key). */
  publicKey: Uint8Array;
  /** The device identity key's XEdDSA signature over `publicKey`. */
  signature: Uint8Array;
  createdAt: number;
}

export interface OneTimePrekey {
  id: number;
  publicKey: Uint8Array;
}

/** A device's long-term end-to-end identity in the directory. */
export interface DeviceKeys {
  user: string;
  device: number;
  /** 33 bytes. */
  identityKey: Uint8Array;
  registrationId: number;
  updatedAt: number;
}

export interface PrekeyBundle {
  user: string;
  device: number;
  registrationId: number;
  identityKey: Uint8Array;
  signedPrekey: SignedPrekey;
  /** Absent when the device has run out of one-time prekeys. */
  prekey?: OneTimePrekey;
}

export interface PrekeyUpload {
  user: string;
  device: number;
  now: number;
  /**
   * Sets the device's identity. A different key than the stored one is a new installation: its
   * signed and one-time prekeys are deleted first (they belong to the old identity).
   */
  identity?: { key: Uint8Array; registrationId: number };
  /** Added as the newest signed prekey (replacing one with the same id). */
  signedPrekey?: { id: number; publicKey: Uint8Array; signature: Uint8Array };
  /** Added (replacing any with the same id). */
  prekeys?: OneTimePrekey[];
  /** Signed prekeys kept per device, newest first; older ones are deleted. */
  keepSigned: number;
  /** One-time prekeys a device may have stored at most; an upload that would exceed it stores nothing. */
  maxPrekeys: number;
}

export type PrekeyUploadResult =
  | { status: 'ok'; count: number }
  /** The device has no identity yet and the upload brings none: nothing stored. */
  | { status: 'no_identity' }
  /** Storing the one-time prekeys would exceed `maxPrekeys`: nothing stored. */
  | { status: 'too_many'; count: number };

/**
 * The prekey directory: per device, an identity key, a few signed prekeys and a pool of one-time
 * prekeys. Only public keys and signatures live here. Rows go with their device (removeDevice).
 */
export interface PrekeyStore {
  /** Applies an upload in one transaction; either all of it is stored or nothing. */
  upload(req: PrekeyUpload): Promise<PrekeyUploadResult>;
  getKeys(user: string, device: number): Promise<DeviceKeys | undefined>;
  /** Ids of the user's devices that can receive (identity and a signed prekey), ascending. */
  readyDevices(user: string): Promise<number[]>;
  /** One-time prekeys the device has left. */
  count(user: string, device: number): Promise<number>;
  /** The device's signed prekeys, newest first. */
  signedPrekeys(user: string, device: number): Promise<SignedPrekey[]>;
  /**
   * In one transaction, one bundle for each listed device that can receive: its identity, newest signed
   * prekey and lowest-numbered one-time prekey, which is deleted (never handed out twice). `remaining`
   * is how many one-time prekeys that device has left afterwards. Devices that cannot receive are left out.
   */
  takeBundles(user: string, devices: number[]): Promise<{ bundle: PrekeyBundle; remaining: number }[]>;
  /**
   * Sets the device's "told it is running low" flag; true if it was clear (so the caller notifies once
   * per shortage). An upload of one-time prekeys clears it.
   */
  markLowNotified(user: string, device: number): Promise<boolean>;
  /** Forgets every key of the device (a new registration replaced it). */
  clearDevice(user: string, device: number): Promise<void>;
}

export interface Storage {
  accounts: AccountStore;
  prekeys: PrekeyStore;
  verification: VerificationStore;
  queue: OfflineQueue;
  presence: PresenceStore;
  contacts: ContactStore;
  close(): Promise<void>;
}
