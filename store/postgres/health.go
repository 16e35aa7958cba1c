package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/internal/put"
)

var _ receipt.HealthChecker = (*DB)(nil)

// healthProbe is the nonce row CheckHealth writes: no credential parses to
// it (minted nonces are MAC'd), so it can never be presented, and it is
// pruned with the expired nonces. Every instance writes the same row.
const healthProbe = "kaiconn-health-probe"

// CheckHealth implements receipt.HealthChecker: it reads the newest receipt
// whole and commits a write of one row through the writer, so that a
// database that went read-only, lost its disk or refuses commits (a full
// disk, a standby after a fail-over) is noticed. PostgreSQL checks its own
// pages (data checksums, when the cluster has them) as it reads them.
func (db *DB) CheckHealth(ctx context.Context) error {
	_, err := scan(db.pool.QueryRow(ctx, `SELECT `+readColumns+` FROM receipts ORDER BY seq DESC LIMIT 1`))
	if err != nil && errs.Code(err) != errs.NotFound {
		return fmt.Errorf("postgres: health: read the newest receipt: %w", err)
	}
	err = db.writer.Do(ctx, func(ctx context.Context, tx *wtx) error {
		tx.queue(`INSERT INTO nonces (nonce, expires_at) VALUES ($1, $2)
			ON CONFLICT (nonce) DO UPDATE SET expires_at = excluded.expires_at`,
			healthProbe, put.Time(time.Now().Add(time.Minute)))
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: health: write: %w", err)
	}
	return nil
}
