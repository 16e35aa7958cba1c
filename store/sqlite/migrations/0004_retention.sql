-- Schema 4: erasure, retention, legal holds and purge (docs/store.md,
-- "Retention").
--
-- subject_endings holds one row per subject whose chain ended: erased on
-- request (with the server's countersigned erasure record) or, at purge
-- time, withdrawn. The trigger receipts_ended refuses any receipt for such
-- a subject, in the database itself, so that no code path can append after
-- an erasure; the store's single writer runs the erasure and every append
-- one after the other, so the check and the insert cannot interleave.
CREATE TABLE subject_endings (
	subject    TEXT    PRIMARY KEY CHECK (subject <> ''),
	kind       TEXT    NOT NULL CHECK (kind IN ('erased', 'withdrawn')),
	ended_at   INTEGER NOT NULL, -- Unix microseconds, UTC
	head_hash  TEXT    NOT NULL,
	record     BLOB    NOT NULL, -- canonical JSON of the erasure record; empty when withdrawn
	countersig TEXT    NOT NULL,
	key_id     TEXT    NOT NULL,
	purged_at  INTEGER           -- Unix microseconds; NULL until the bodies are deleted
) WITHOUT ROWID;

-- What the purge looks for: ended chains not purged yet, by end.
CREATE INDEX subject_endings_due ON subject_endings (ended_at) WHERE purged_at IS NULL;

CREATE TRIGGER receipts_ended BEFORE INSERT ON receipts
WHEN EXISTS (SELECT 1 FROM subject_endings WHERE subject = NEW.subject)
BEGIN
	SELECT RAISE(ABORT, 'kaiconn: subject chain ended');
END;

-- A legal hold keeps a subject's receipts whatever the retention says.
CREATE TABLE legal_holds (
	subject TEXT    PRIMARY KEY CHECK (subject <> ''),
	reason  TEXT    NOT NULL CHECK (reason <> ''),
	held_by TEXT    NOT NULL,
	held_at INTEGER NOT NULL
) WITHOUT ROWID;

-- A tombstone is a receipts row whose body the purge deleted: ended names
-- the kind of ending, purged_at when.
ALTER TABLE receipts ADD COLUMN ended TEXT NOT NULL DEFAULT '';
ALTER TABLE receipts ADD COLUMN purged_at INTEGER;

-- The purge's runs, for the console's operations page.
CREATE TABLE purge_runs (
	seq         INTEGER PRIMARY KEY AUTOINCREMENT,
	node        TEXT    NOT NULL,
	started_at  INTEGER NOT NULL,
	finished_at INTEGER NOT NULL,
	cutoff      INTEGER NOT NULL,
	subjects    INTEGER NOT NULL,
	receipts    INTEGER NOT NULL,
	held        INTEGER NOT NULL,
	busy        INTEGER NOT NULL,
	error       TEXT    NOT NULL
);
