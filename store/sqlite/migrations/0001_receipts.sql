-- Receipts in the order the server acknowledged them. seq gives the export
-- order; AUTOINCREMENT keeps it from ever reusing a number, even after the
-- newest row is gone.
CREATE TABLE receipts (
	seq            INTEGER PRIMARY KEY AUTOINCREMENT,
	id             TEXT    NOT NULL UNIQUE CHECK (id <> ''),
	subject        TEXT    NOT NULL CHECK (subject <> ''),
	prev_hash      TEXT    NOT NULL,
	hash           TEXT    NOT NULL CHECK (hash <> ''),
	policy_version TEXT    NOT NULL,
	surface        TEXT    NOT NULL,
	issued_at      INTEGER NOT NULL, -- Unix microseconds, UTC
	received_at    INTEGER NOT NULL, -- Unix microseconds, UTC
	body           BLOB    NOT NULL,
	countersig     TEXT    NOT NULL,
	key_id         TEXT    NOT NULL,
	-- A predecessor has at most one successor per subject: the chain
	-- cannot fork even if a check in code were ever skipped.
	UNIQUE (subject, prev_hash)
);

CREATE INDEX receipts_subject_seq ON receipts (subject, seq);
