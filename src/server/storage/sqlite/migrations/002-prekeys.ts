/**
 * The prekey directory (docs/protocol.md §7): public keys only. Every row hangs off its device, so
 * removing a device removes its keys; a new identity for a device deletes its prekeys in code.
 */
export const prekeys = `
CREATE TABLE e2e_devices (
  user_id TEXT NOT NULL,
  device INTEGER NOT NULL,
  identity_key BLOB NOT NULL CHECK (length(identity_key) = 33),
  registration_id INTEGER NOT NULL,
  -- 1 once the device was told it is running low on one-time prekeys; cleared by its next upload.
  low_notified INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, device),
  FOREIGN KEY (user_id, device) REFERENCES devices (user_id, device) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE TABLE e2e_signed_prekeys (
  user_id TEXT NOT NULL,
  device INTEGER NOT NULL,
  key_id INTEGER NOT NULL,
  public_key BLOB NOT NULL CHECK (length(public_key) = 33),
  signature BLOB NOT NULL CHECK (length(signature) = 64),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, device, key_id),
  FOREIGN KEY (user_id, device) REFERENCES e2e_devices (user_id, device) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE TABLE e2e_prekeys (
  user_id TEXT NOT NULL,
  device INTEGER NOT NULL,
  key_id INTEGER NOT NULL,
  public_key BLOB NOT NULL CHECK (length(public_key) = 33),
  PRIMARY KEY (user_id, device, key_id),
  FOREIGN KEY (user_id, device) REFERENCES e2e_devices (user_id, device) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
`;
