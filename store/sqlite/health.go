package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/internal/put"
)

// integrityEvery is how long the result of the integrity check (PRAGMA
// quick_check) is trusted before CheckHealth runs it again. The check reads
// every page, so it runs in the background and at most this often; a
// page spoilt since the last check is found by the next one, and by any
// read that touches it meanwhile.
const integrityEvery = 10 * time.Minute

// healthProbe is the nonce row CheckHealth writes: no credential parses to it
// (minted nonces are MAC'd), so it can never be presented, and it is
// pruned with the expired nonces like any other.
const healthProbe = "kaiconn-health-probe"

var _ receipt.HealthChecker = (*DB)(nil)

// integrity is the cached result of the last integrity check.
type integrity struct {
	mu      sync.Mutex
	running chan struct{} // closed when the check in progress ends; nil when none runs
	done    bool          // a check has ended
	at      time.Time     // when the last check started
	err     error         // its verdict
}

// CheckHealth implements receipt.HealthChecker: it reads the
// newest receipt whole, writes (and syncs) a row through the single writer,
// and reports the last integrity check of every page of the file. A server
// answers its health check with it, so that a load balancer stops sending
// decisions to an instance whose database is spoilt or read-only. It waits
// for the first integrity check within ctx.
func (db *DB) CheckHealth(ctx context.Context) error {
	_, err := scan(db.read.QueryRowContext(ctx, `SELECT `+readColumns+` FROM receipts ORDER BY n DESC LIMIT 1`))
	if err != nil && errs.Code(err) != errs.NotFound {
		return fmt.Errorf("sqlite: health: read the newest receipt: %w", err)
	}
	err = db.writer.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO nonces (nonce, expires_at) VALUES (?, ?)
			ON CONFLICT (nonce) DO UPDATE SET expires_at = excluded.expires_at`,
			healthProbe, put.Time(time.Now().Add(time.Minute)).UnixMicro())
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: health: write: %w", err)
	}
	return db.integrity(ctx)
}

// integrity returns the verdict of the last integrity check, starting a new
// one in the background when there was none or it is older than
// integrityEvery. Only the first check is waited for (within ctx).
func (db *DB) integrity(ctx context.Context) error {
	h := &db.health
	h.mu.Lock()
	if h.running == nil && (!h.done || time.Since(h.at) >= integrityEvery) {
		h.running, h.at = make(chan struct{}), time.Now()
		go db.checkIntegrity(h.running)
	}
	if h.done {
		defer h.mu.Unlock()
		return h.err
	}
	running := h.running
	h.mu.Unlock()
	select {
	case <-running:
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.err
	case <-ctx.Done():
		return errors.New("sqlite: health: the first integrity check has not ended yet")
	}
}

// checkIntegrity runs PRAGMA quick_check, which reads every page and checks
// the b-trees' structure (not that indexes match their tables, which the
// full integrity_check does at many times the cost), on a reader: it takes
// no lock a writer waits for.
func (db *DB) checkIntegrity(done chan struct{}) {
	verdict := func() error {
		rows, err := db.read.QueryContext(context.Background(), `PRAGMA quick_check(5)`)
		if err != nil {
			return err
		}
		defer rows.Close()
		var problems []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				return err
			}
			if line != "ok" {
				problems = append(problems, line)
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(problems) > 0 {
			return errors.New(strings.Join(problems, "; "))
		}
		return nil
	}()
	h := &db.health
	h.mu.Lock()
	defer h.mu.Unlock()
	if verdict != nil {
		h.err = fmt.Errorf("sqlite: integrity check: the database file is damaged: %w", verdict)
	} else {
		h.err = nil
	}
	h.done, h.running = true, nil
	close(done)
}
