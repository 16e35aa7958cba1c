-- Schema 3: the console (docs/console.md): its operators, their sessions,
-- the append-only audit log, and the counts its insights read.
--
-- The insights are counts by day, kept in the insight_* tables. Put does
-- not write them: the store's folder adds the receipts stored since it
-- last ran (after insight_state.folded_seq) about once a second, in one
-- transaction with the new watermark, merged, which costs a fraction of
-- counting each receipt as it is stored. A dashboard query reads the
-- counts and adds the few receipts after the watermark, in one snapshot,
-- so its answer is exact. Below, this migration counts the receipts stored
-- before it. A day is a calendar day in China Standard Time (UTC+8),
-- numbered from 1970-01-01 (console.Day).

CREATE TABLE operators (
	name            TEXT    PRIMARY KEY CHECK (name <> ''),
	role            TEXT    NOT NULL CHECK (role IN ('viewer', 'officer')),
	password_hash   TEXT    NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
	disabled        INTEGER NOT NULL DEFAULT 0,
	created_at      INTEGER NOT NULL, -- Unix microseconds, UTC
	failed_attempts INTEGER NOT NULL DEFAULT 0,
	locked_until    INTEGER NOT NULL DEFAULT 0, -- Unix microseconds; 0 when not locked
	last_sign_in    INTEGER NOT NULL DEFAULT 0  -- Unix microseconds; 0 before the first
) WITHOUT ROWID;

-- A session is kept by the hash of its token: a copy of the database
-- signs nobody in.
CREATE TABLE operator_sessions (
	id         TEXT    PRIMARY KEY, -- hex SHA-256 of the cookie's token
	operator   TEXT    NOT NULL REFERENCES operators (name),
	csrf       TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX operator_sessions_operator ON operator_sessions (operator);
CREATE INDEX operator_sessions_expires_at ON operator_sessions (expires_at);

-- The audit log: every console action, chained by hash (console.Entry).
CREATE TABLE audit_log (
	seq       INTEGER PRIMARY KEY CHECK (seq > 0),
	at        INTEGER NOT NULL, -- Unix microseconds, UTC
	operator  TEXT    NOT NULL,
	role      TEXT    NOT NULL,
	action    TEXT    NOT NULL,
	target    TEXT    NOT NULL,
	outcome   TEXT    NOT NULL,
	prev_hash TEXT    NOT NULL,
	hash      TEXT    NOT NULL UNIQUE
);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
	SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
	SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- Decisions per day and kind.
CREATE TABLE insight_decisions (
	day            INTEGER NOT NULL,
	surface        TEXT    NOT NULL,
	language       TEXT    NOT NULL,
	policy_version TEXT    NOT NULL,
	decision       TEXT    NOT NULL,
	reask          INTEGER NOT NULL,
	n              INTEGER NOT NULL,
	PRIMARY KEY (day, surface, language, policy_version, decision, reask)
) WITHOUT ROWID;

-- Purpose states per day.
CREATE TABLE insight_purposes (
	day            INTEGER NOT NULL,
	surface        TEXT    NOT NULL,
	language       TEXT    NOT NULL,
	policy_version TEXT    NOT NULL,
	reask          INTEGER NOT NULL,
	purpose        TEXT    NOT NULL,
	state          TEXT    NOT NULL,
	n              INTEGER NOT NULL,
	PRIMARY KEY (day, surface, language, policy_version, reask, purpose, state)
) WITHOUT ROWID;

-- Times from the surface shown to the decision, in the buckets of
-- console.LatencyBucket, for receipts whose shown_at is known.
CREATE TABLE insight_latency (
	day      INTEGER NOT NULL,
	surface  TEXT    NOT NULL,
	language TEXT    NOT NULL,
	seconds  INTEGER NOT NULL,
	n        INTEGER NOT NULL,
	PRIMARY KEY (day, surface, language, seconds)
) WITHOUT ROWID;

-- The receipts stored before.
INSERT INTO insight_decisions (day, surface, language, policy_version, decision, reask, n)
SELECT (issued_at / 1000000 + 28800) / 86400, surface, language, policy_version, decision, reask, count(*)
FROM receipts GROUP BY 1, 2, 3, 4, 5, 6;

INSERT INTO insight_purposes (day, surface, language, policy_version, reask, purpose, state, n)
SELECT (r.issued_at / 1000000 + 28800) / 86400, r.surface, r.language, r.policy_version, r.reask, j.key, j.value, count(*)
FROM receipts AS r, json_each(r.states) AS j GROUP BY 1, 2, 3, 4, 5, 6, 7;

INSERT INTO insight_latency (day, surface, language, seconds, n)
SELECT day, surface, language,
	CASE WHEN s < 120 THEN s WHEN s < 600 THEN s - s % 10 WHEN s < 3600 THEN s - s % 60
		WHEN s < 86400 THEN s - s % 3600 ELSE 86400 END, count(*)
FROM (SELECT (issued_at / 1000000 + 28800) / 86400 AS day, surface, language, (issued_at - shown_at) / 1000000 AS s
	FROM receipts WHERE shown_at IS NOT NULL) WHERE s >= 0 GROUP BY 1, 2, 3, 4;

-- How far the counts go: every receipt with seq <= folded_seq is counted.
CREATE TABLE insight_state (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	folded_seq INTEGER NOT NULL
);

INSERT INTO insight_state (id, folded_seq) VALUES (1, coalesce((SELECT max(seq) FROM receipts), 0));
