-- Schema 3: the console (docs/console.md): its operators, their sessions,
-- the append-only audit log, and the counts its insights read.
--
-- The insights are counted when a receipt is stored, inside the
-- transaction that stores it: the store merges the counts of a group
-- commit and sends them with the commit (store/internal/tally), so that
-- they can never disagree with the receipts and no dashboard query reads
-- the receipts table. Below, this migration counts the receipts stored
-- before it. A day is a calendar day in China Standard Time (UTC+8),
-- numbered from 1970-01-01 (console.Day).

CREATE TABLE operators (
	name            TEXT        PRIMARY KEY CHECK (name <> ''),
	role            TEXT        NOT NULL CHECK (role IN ('viewer', 'officer')),
	password_hash   TEXT        NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
	disabled        BOOLEAN     NOT NULL DEFAULT false,
	created_at      TIMESTAMPTZ NOT NULL,
	failed_attempts INTEGER     NOT NULL DEFAULT 0,
	locked_until    TIMESTAMPTZ,          -- NULL when not locked
	last_sign_in    TIMESTAMPTZ           -- NULL before the first
);

-- A session is kept by the hash of its token: a copy of the database
-- signs nobody in.
CREATE TABLE operator_sessions (
	id         TEXT        PRIMARY KEY, -- hex SHA-256 of the cookie's token
	operator   TEXT        NOT NULL REFERENCES operators (name),
	csrf       TEXT        NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	expires_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX operator_sessions_operator ON operator_sessions (operator);
CREATE INDEX operator_sessions_expires_at ON operator_sessions (expires_at);

-- The audit log: every console action, chained by hash (console.Entry).
CREATE TABLE audit_log (
	seq       BIGINT      PRIMARY KEY CHECK (seq > 0),
	at        TIMESTAMPTZ NOT NULL,
	operator  TEXT        NOT NULL,
	role      TEXT        NOT NULL,
	action    TEXT        NOT NULL,
	target    TEXT        NOT NULL,
	outcome   TEXT        NOT NULL,
	prev_hash TEXT        NOT NULL,
	hash      TEXT        NOT NULL UNIQUE
);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit_log is append-only';
END
$$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
	FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
	FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Decisions per day and kind.
CREATE TABLE insight_decisions (
	day            INTEGER NOT NULL,
	surface        TEXT    NOT NULL,
	language       TEXT    NOT NULL,
	policy_version TEXT    NOT NULL,
	decision       TEXT    NOT NULL,
	reask          BOOLEAN NOT NULL,
	n              BIGINT  NOT NULL,
	PRIMARY KEY (day, surface, language, policy_version, decision, reask)
);

-- Purpose states per day.
CREATE TABLE insight_purposes (
	day            INTEGER NOT NULL,
	surface        TEXT    NOT NULL,
	language       TEXT    NOT NULL,
	policy_version TEXT    NOT NULL,
	reask          BOOLEAN NOT NULL,
	purpose        TEXT    NOT NULL,
	state          TEXT    NOT NULL,
	n              BIGINT  NOT NULL,
	PRIMARY KEY (day, surface, language, policy_version, reask, purpose, state)
);

-- Times from the surface shown to the decision, in the buckets of
-- console.LatencyBucket, for receipts whose shown_at is known.
CREATE TABLE insight_latency (
	day      INTEGER NOT NULL,
	surface  TEXT    NOT NULL,
	language TEXT    NOT NULL,
	seconds  BIGINT  NOT NULL,
	n        BIGINT  NOT NULL,
	PRIMARY KEY (day, surface, language, seconds)
);

CREATE FUNCTION insight_day(t TIMESTAMPTZ) RETURNS INTEGER LANGUAGE sql IMMUTABLE AS $$
	SELECT ((floor(extract(epoch FROM t))::bigint + 28800) / 86400)::integer
$$;

CREATE FUNCTION insight_bucket(s BIGINT) RETURNS BIGINT LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN s < 120 THEN s WHEN s < 600 THEN s - s % 10 WHEN s < 3600 THEN s - s % 60
		WHEN s < 86400 THEN s - s % 3600 ELSE 86400 END
$$;

-- The receipts stored before.
INSERT INTO insight_decisions (day, surface, language, policy_version, decision, reask, n)
SELECT insight_day(issued_at), surface, language, policy_version, decision, reask, count(*)
FROM receipts GROUP BY 1, 2, 3, 4, 5, 6;

INSERT INTO insight_purposes (day, surface, language, policy_version, reask, purpose, state, n)
SELECT insight_day(r.issued_at), r.surface, r.language, r.policy_version, r.reask, j.key, j.value, count(*)
FROM receipts AS r, jsonb_each_text(r.states) AS j GROUP BY 1, 2, 3, 4, 5, 6, 7;

INSERT INTO insight_latency (day, surface, language, seconds, n)
SELECT day, surface, language, insight_bucket(s), count(*)
FROM (SELECT insight_day(issued_at) AS day, surface, language, trunc(extract(epoch FROM issued_at - shown_at))::bigint AS s
	FROM receipts WHERE shown_at IS NOT NULL) AS x WHERE s >= 0 GROUP BY 1, 2, 3, 4;
