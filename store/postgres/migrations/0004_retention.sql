-- Schema 4: erasure, retention, legal holds and purge (docs/store.md,
-- "Retention").
--
-- subject_endings holds one row per subject whose chain ended: erased on
-- request (with the server's countersigned erasure record) or, at purge
-- time, withdrawn. The trigger receipts_ended refuses any receipt for such
-- a subject. Instances share the database, so the check and an erasure
-- must not interleave: every insert takes the subject's advisory lock in
-- shared mode before it looks, and Erase, Hold and the purge take it
-- exclusively; under READ COMMITTED the trigger's query, run after the
-- lock is granted, sees an erasure committed meanwhile, and an erasure
-- that waited for an insert sees that insert.
CREATE TABLE subject_endings (
	subject    TEXT        PRIMARY KEY CHECK (subject <> ''),
	kind       TEXT        NOT NULL CHECK (kind IN ('erased', 'withdrawn')),
	ended_at   TIMESTAMPTZ NOT NULL,
	head_hash  TEXT        NOT NULL,
	record     BYTEA       NOT NULL, -- canonical JSON of the erasure record; empty when withdrawn
	countersig TEXT        NOT NULL,
	key_id     TEXT        NOT NULL,
	purged_at  TIMESTAMPTZ           -- NULL until the bodies are deleted
);

CREATE INDEX subject_endings_due ON subject_endings (ended_at) WHERE purged_at IS NULL;

CREATE FUNCTION kaiconn_subject_lock(subject TEXT) RETURNS BIGINT LANGUAGE sql IMMUTABLE AS
	$$ SELECT hashtextextended('kaiconn-subject:' || subject, 0) $$;

CREATE FUNCTION receipts_ended() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_advisory_xact_lock_shared(kaiconn_subject_lock(NEW.subject));
	IF EXISTS (SELECT 1 FROM subject_endings WHERE subject = NEW.subject) THEN
		RAISE EXCEPTION 'kaiconn: subject chain ended' USING ERRCODE = 'KC001';
	END IF;
	RETURN NEW;
END $$;

CREATE TRIGGER receipts_ended BEFORE INSERT ON receipts
	FOR EACH ROW EXECUTE FUNCTION receipts_ended();

CREATE TABLE legal_holds (
	subject TEXT        PRIMARY KEY CHECK (subject <> ''),
	reason  TEXT        NOT NULL CHECK (reason <> ''),
	held_by TEXT        NOT NULL,
	held_at TIMESTAMPTZ NOT NULL
);

-- A tombstone is a receipts row whose body the purge deleted: ended names
-- the kind of ending, purged_at when.
ALTER TABLE receipts ADD COLUMN ended TEXT NOT NULL DEFAULT '';
ALTER TABLE receipts ADD COLUMN purged_at TIMESTAMPTZ;

CREATE TABLE purge_runs (
	seq         BIGSERIAL   PRIMARY KEY,
	node        TEXT        NOT NULL,
	started_at  TIMESTAMPTZ NOT NULL,
	finished_at TIMESTAMPTZ NOT NULL,
	cutoff      TIMESTAMPTZ NOT NULL,
	subjects    INTEGER     NOT NULL,
	receipts    INTEGER     NOT NULL,
	held        INTEGER     NOT NULL,
	busy        BOOLEAN     NOT NULL,
	error       TEXT        NOT NULL
);
