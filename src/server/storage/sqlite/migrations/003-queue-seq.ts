/**
 * The offline queue without AUTOINCREMENT or trigger-kept counts (docs/benchmarks.md): per message they
 * cost three extra B-tree writes (sqlite_sequence, and queue_counts on insert and on delete), a third
 * of the queue's time. Seqs are now assigned by the server from `queue_seq`, a high-water mark that is
 * never lowered, so a seq is still never reused; counts are kept by the server in memory, from
 * COUNT(*) the first time a device is seen.
 */
export const queueSeq = `
CREATE TABLE queue_seq (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq INTEGER NOT NULL
) STRICT;
INSERT INTO queue_seq (id, seq) VALUES (1, max(
  COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'queue'), 0),
  COALESCE((SELECT max(seq) FROM queue), 0)
));

DROP TRIGGER queue_count_insert;
DROP TRIGGER queue_count_delete;
DROP TABLE queue_counts;

CREATE TABLE queue_new (
  seq INTEGER PRIMARY KEY,
  user_id TEXT NOT NULL,
  device INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('message', 'receipt', 'notification')),
  ack_key TEXT NOT NULL,
  stanza BLOB NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;
INSERT INTO queue_new (seq, user_id, device, kind, ack_key, stanza, created_at)
  SELECT seq, user_id, device, kind, ack_key, stanza, created_at FROM queue;
DROP TABLE queue;
ALTER TABLE queue_new RENAME TO queue;
CREATE UNIQUE INDEX queue_by_device_key ON queue (user_id, device, ack_key);
CREATE INDEX queue_by_device_seq ON queue (user_id, device, seq);
`;
