package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kaiconn/consent/store/internal/put"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the advisory lock key that keeps two instances starting
// together from migrating at once.
const migrationLock = 0x6b6169636f6e6e // "kaiconn"

// backfills are the Go steps of migrations, run right after the SQL file of
// the same number, in the same transaction.
var backfills = map[int]func(context.Context, pgx.Tx) error{
	2: backfill2,
}

// migrate applies, in one transaction, the embedded migrations not yet
// recorded in schema_migrations.
func (db *DB) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)

	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`); err != nil {
			return err
		}
		var version int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&version); err != nil {
			return err
		}
		for _, name := range names {
			n, err := migrationVersion(name)
			if err != nil {
				return err
			}
			if n <= version {
				continue
			}
			text, err := migrations.ReadFile(name)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, string(text)); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if fill := backfills[n]; fill != nil {
				if err := fill(ctx, tx); err != nil {
					return fmt.Errorf("%s: backfill: %w", name, err)
				}
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, n); err != nil {
				return err
			}
		}
		return nil
	})
}

// migrationVersion reads the number a migration file name starts with.
func migrationVersion(name string) (int, error) {
	base := strings.TrimPrefix(name, "migrations/")
	digits, _, ok := strings.Cut(base, "_")
	n, err := strconv.Atoi(digits)
	if !ok || err != nil || n <= 0 {
		return 0, fmt.Errorf("migration %s: name must start with a positive number and '_'", name)
	}
	return n, nil
}

// backfillChunk is how many rows backfill2 reads before it writes.
const backfillChunk = 500

// backfill2 fills the columns of schema 2 for the rows stored before it,
// from their bodies, and enrolls the keys of device-signed receipts for
// their subjects: the oldest receipt a key signed decides its subject. The
// bodies and countersignatures stay as they are (body_codec 0).
func backfill2(ctx context.Context, tx pgx.Tx) error {
	type row struct {
		seq                  int64
		id, subject, version string
		prevVersion          string
		received             time.Time
		body                 []byte
	}
	for after := int64(0); ; {
		rows, err := tx.Query(ctx, `SELECT seq, id, subject, policy_version, received_at, body,
				coalesce((SELECT p.policy_version FROM receipts p
					WHERE p.subject = r.subject AND p.seq < r.seq ORDER BY p.seq DESC LIMIT 1), '')
			FROM receipts r WHERE seq > $1 ORDER BY seq LIMIT $2`, after, backfillChunk)
		if err != nil {
			return err
		}
		var chunk []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.seq, &r.id, &r.subject, &r.version, &r.received, &r.body, &r.prevVersion); err != nil {
				rows.Close()
				return err
			}
			chunk = append(chunk, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(chunk) == 0 {
			return nil
		}
		b := &pgx.Batch{}
		for _, r := range chunk {
			d, _ := put.Derive(r.body)
			b.Queue(`UPDATE receipts SET schema_version = $1, language = $2, decision = $3,
				device_key = $4, states = $5::text::jsonb, reask = $6 WHERE seq = $7`,
				d.Schema, d.Language, d.Decision, d.DeviceKey, put.EncodeStates(d.States),
				put.Reask(r.prevVersion, r.version), r.seq)
			if d.DeviceKey != "" {
				b.Queue(`INSERT INTO subject_keys (thumbprint, subject, enrolled_at, enrolled_by)
					VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, d.DeviceKey, r.subject, r.received, r.id)
			}
		}
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		after = chunk[len(chunk)-1].seq
	}
}
