-- Receipts in the order the server acknowledged them. seq gives the export
-- order and the order of a subject's chain.
CREATE TABLE receipts (
	seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id             TEXT        NOT NULL UNIQUE CHECK (id <> ''),
	subject        TEXT        NOT NULL CHECK (subject <> ''),
	prev_hash      TEXT        NOT NULL,
	hash           TEXT        NOT NULL CHECK (hash <> ''),
	policy_version TEXT        NOT NULL,
	surface        TEXT        NOT NULL,
	issued_at      TIMESTAMPTZ NOT NULL,
	received_at    TIMESTAMPTZ NOT NULL,
	body           BYTEA       NOT NULL,
	countersig     TEXT        NOT NULL,
	key_id         TEXT        NOT NULL,
	-- A predecessor has at most one successor per subject: two writers
	-- racing on the same head cannot both commit.
	CONSTRAINT receipts_chain UNIQUE (subject, prev_hash)
);

CREATE INDEX receipts_subject_seq ON receipts (subject, seq);
