-- Schema 2: what the receipt format 2 and the subject model need, and a
-- leaner receipts table.
--
-- The table is rebuilt, rows and seq kept, because SQLite cannot drop a
-- table constraint in place:
--   - n, a receipt's place in its subject's chain, replaces the two
--     indexes (subject, prev_hash) and (subject, seq) by one,
--     UNIQUE (subject, n), and the trigger receipts_chain below checks each
--     new receipt against its predecessor: the chain can still not fork,
--     even if a check in code were ever skipped, and every insert touches
--     one index page less;
--   - hashes are 32-byte BLOBs (any value that is not lowercase hex stays
--     TEXT); the Go step of this migration (backfill2 in migrate.go)
--     converts the rows stored before;
--   - new columns: what the server checks and the console counts, which
--     backfill2 reads out of the bodies of the rows stored before. Those
--     rows keep their body and countersignature byte for byte
--     (body_codec 0).
CREATE TABLE receipts_v2 (
	seq            INTEGER PRIMARY KEY AUTOINCREMENT, -- order of acknowledgement, never reused
	id             TEXT    NOT NULL UNIQUE CHECK (id <> ''),
	subject        TEXT    NOT NULL CHECK (subject <> ''),
	n              INTEGER NOT NULL CHECK (n >= 0), -- place in the subject's chain: 0 for its first receipt
	prev_hash      BLOB    NOT NULL, -- '' for the first receipt
	hash           BLOB    NOT NULL CHECK (hash <> ''),
	policy_version TEXT    NOT NULL,
	surface        TEXT    NOT NULL,
	language       TEXT    NOT NULL,
	decision       TEXT    NOT NULL,
	schema_version INTEGER NOT NULL, -- receipt format: 1 or 2
	device_key     TEXT    NOT NULL, -- RFC 7638 thumbprint; '' when server-attested
	reask          INTEGER NOT NULL, -- 1 when the previous receipt had an older policy version
	issued_at      INTEGER NOT NULL, -- Unix microseconds, UTC
	received_at    INTEGER NOT NULL, -- Unix microseconds, UTC
	shown_at       INTEGER,          -- Unix microseconds, UTC; NULL when unknown
	key_id         TEXT    NOT NULL,
	states         TEXT    NOT NULL, -- JSON object: purpose id -> given | refused | withdrawn
	body_codec     INTEGER NOT NULL, -- 0 raw, 1 DEFLATE with dictionary 1 (store/internal/body)
	body           BLOB    NOT NULL,
	countersig     TEXT    NOT NULL,
	UNIQUE (subject, n)
);

INSERT INTO receipts_v2 (seq, id, subject, n, prev_hash, hash, policy_version, surface, language, decision,
		schema_version, device_key, reask, issued_at, received_at, shown_at, key_id, states, body_codec, body, countersig)
	SELECT seq, id, subject, row_number() OVER (PARTITION BY subject ORDER BY seq) - 1, prev_hash, hash, policy_version, surface, '', '',
		1, '', 0, issued_at, received_at, NULL, key_id, '{}', 0, body, countersig
	FROM receipts ORDER BY seq;

-- AUTOINCREMENT must go on from where the old table was, not from its
-- newest remaining row.
UPDATE sqlite_sequence SET seq = coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'receipts'), seq)
	WHERE name = 'receipts_v2';
INSERT INTO sqlite_sequence (name, seq)
	SELECT 'receipts_v2', seq FROM sqlite_sequence
	WHERE name = 'receipts' AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'receipts_v2');

DROP TABLE receipts;
ALTER TABLE receipts_v2 RENAME TO receipts;

-- A receipt extends its subject's chain from the newest receipt: the first
-- has no predecessor, any other names the hash of receipt n-1.
CREATE TRIGGER receipts_chain BEFORE INSERT ON receipts
WHEN NEW.prev_hash IS NOT coalesce((SELECT hash FROM receipts WHERE subject = NEW.subject AND n = NEW.n - 1), '')
BEGIN
	SELECT RAISE(ABORT, 'receipts_chain: prev_hash is not the hash of the subject''s receipt n-1');
END;

-- Device keys enrolled for a subject: a key signs for one subject only.
-- The first receipt of a subject enrolls its key; later ones need an
-- enrolled key, or a server-minted ticket, or a statement by an enrolled
-- key (store contract in docs/store.md).
CREATE TABLE subject_keys (
	thumbprint  TEXT    PRIMARY KEY CHECK (thumbprint <> ''),
	subject     TEXT    NOT NULL CHECK (subject <> ''),
	enrolled_at INTEGER NOT NULL, -- Unix microseconds, UTC
	enrolled_by TEXT    NOT NULL  -- the receipt id or statement that enrolled it
) WITHOUT ROWID;

CREATE INDEX subject_keys_subject ON subject_keys (subject);

-- Nonces of history proofs, each usable once; a row is kept until the
-- nonce expires, then pruned.
CREATE TABLE nonces (
	nonce      TEXT    PRIMARY KEY CHECK (nonce <> ''),
	expires_at INTEGER NOT NULL -- Unix microseconds, UTC
) WITHOUT ROWID;

CREATE INDEX nonces_expires_at ON nonces (expires_at);
