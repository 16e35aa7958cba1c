package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/kaiconn/consent/store/internal/put"
)

//go:embed migrations/*.sql
var migrations embed.FS

// backfills are the Go steps of migrations, run right after the SQL file of
// the same number, in the same transaction.
var backfills = map[int]func(context.Context, *sql.Tx) error{
	2: backfill2,
}

// migrate applies, in one transaction, the embedded migrations newer than
// the file's user_version, and records the newest one there.
func (db *DB) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)

	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var version int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return err
	}
	applied := version
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
		if _, err := tx.ExecContext(ctx, string(text)); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if fill := backfills[n]; fill != nil {
			if err := fill(ctx, tx); err != nil {
				return fmt.Errorf("%s: backfill: %w", name, err)
			}
		}
		applied = n
	}
	if applied == version {
		return nil
	}
	// PRAGMA takes no parameters; applied is a number we parsed ourselves.
	if _, err := tx.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(applied)); err != nil {
		return err
	}
	return tx.Commit()
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
// bodies and countersignatures stay as they are (body_codec 0); hashes
// become what hashValue keeps.
func backfill2(ctx context.Context, tx *sql.Tx) error {
	type row struct {
		seq, received        int64
		id, subject, version string
		prevHash, hash       string
		body                 []byte
	}
	for after := int64(0); ; {
		rows, err := tx.QueryContext(ctx, `SELECT seq, id, subject, policy_version, received_at, body, prev_hash, hash
			FROM receipts WHERE seq > ? ORDER BY seq LIMIT ?`, after, backfillChunk)
		if err != nil {
			return err
		}
		var chunk []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.seq, &r.id, &r.subject, &r.version, &r.received, &r.body, &r.prevHash, &r.hash); err != nil {
				rows.Close()
				return err
			}
			chunk = append(chunk, r)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return err
		}
		if len(chunk) == 0 {
			return nil
		}
		for _, r := range chunk {
			d, _ := put.Derive(r.body)
			var prevVersion string
			err := tx.QueryRowContext(ctx, `SELECT policy_version FROM receipts
				WHERE subject = ? AND seq < ? ORDER BY seq DESC LIMIT 1`, r.subject, r.seq).Scan(&prevVersion)
			if err != nil && err != sql.ErrNoRows {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE receipts SET schema_version = ?, language = ?, decision = ?,
				device_key = ?, states = ?, reask = ?, prev_hash = ?, hash = ? WHERE seq = ?`,
				d.Schema, d.Language, d.Decision, d.DeviceKey, put.EncodeStates(d.States),
				put.Reask(prevVersion, r.version), hashValue(r.prevHash), hashValue(r.hash), r.seq); err != nil {
				return err
			}
			if d.DeviceKey != "" {
				if _, err := tx.ExecContext(ctx, `INSERT INTO subject_keys (thumbprint, subject, enrolled_at, enrolled_by)
					VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, d.DeviceKey, r.subject, r.received, r.id); err != nil {
					return err
				}
			}
		}
		after = chunk[len(chunk)-1].seq
	}
}
