-- Schema 2: what the receipt format 2 and the subject model need.
--
-- New columns on receipts. Rows stored before keep their body and
-- countersignature exactly as they were; the Go step of this migration
-- (backfill2 in migrate.go) fills these columns from each row's body.
ALTER TABLE receipts
	ADD COLUMN schema_version SMALLINT    NOT NULL DEFAULT 1,   -- receipt format: 1 or 2
	ADD COLUMN language       TEXT        NOT NULL DEFAULT '',
	ADD COLUMN decision       TEXT        NOT NULL DEFAULT '',
	ADD COLUMN device_key     TEXT        NOT NULL DEFAULT '',  -- RFC 7638 thumbprint; '' when server-attested
	ADD COLUMN states         JSONB       NOT NULL DEFAULT '{}', -- purpose id -> state
	ADD COLUMN shown_at       TIMESTAMPTZ,                      -- NULL when unknown
	ADD COLUMN reask          BOOLEAN     NOT NULL DEFAULT false, -- the previous receipt had an older policy
	ADD COLUMN body_codec     SMALLINT    NOT NULL DEFAULT 0;   -- 0 raw, 1 DEFLATE with dictionary 1 (store/internal/body)

-- Device keys enrolled for a subject: a key signs for one subject only.
-- The first receipt of a subject enrolls its key; later ones need an
-- enrolled key, or a server-minted ticket, or a statement by an enrolled
-- key (store contract in docs/store.md).
CREATE TABLE subject_keys (
	thumbprint  TEXT        PRIMARY KEY CHECK (thumbprint <> ''),
	subject     TEXT        NOT NULL CHECK (subject <> ''),
	enrolled_at TIMESTAMPTZ NOT NULL,
	enrolled_by TEXT        NOT NULL -- the receipt id or statement that enrolled it
);

CREATE INDEX subject_keys_subject ON subject_keys (subject);

-- Nonces of history proofs, each usable once; a row is kept until the
-- nonce expires, then pruned.
CREATE TABLE nonces (
	nonce      TEXT        PRIMARY KEY CHECK (nonce <> ''),
	expires_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX nonces_expires_at ON nonces (expires_at);
