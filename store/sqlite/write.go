package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/internal/body"
	"github.com/kaiconn/consent/store/internal/put"
)

// txs lets package batch begin and end the writer's transactions. BEGIN is
// IMMEDIATE (the write pool's _txlock): the write lock is held from the
// first check of a batch to its commit.
type txs struct {
	db      *sql.DB
	commits *atomic.Uint64 // for the checkpointer
}

func (t txs) Begin(ctx context.Context) (*sql.Tx, error) { return t.db.BeginTx(ctx, nil) }
func (txs) Rollback(_ context.Context, tx *sql.Tx) error { return tx.Rollback() }

func (t txs) Commit(_ context.Context, tx *sql.Tx) error {
	err := tx.Commit()
	t.commits.Add(1)
	return err
}

// statements are prepared once on the writer's connection: the writer
// runs them thousands of times a second, and SQLite would otherwise parse
// each anew.
type statements struct {
	facts, byID, keySubject, hasRecords, insert, enroll *sql.Stmt
	nonceUsed, prune, useNonce                          *sql.Stmt
}

func (s *statements) prepare(ctx context.Context, db *sql.DB) error {
	for _, p := range []struct {
		stmt  **sql.Stmt
		query string
	}{
		// Everything Put checks, in one statement: whether the id is
		// stored, the subject's head and the subject of the device key.
		{&s.facts, `SELECT (SELECT 1 FROM receipts WHERE id = ?1), head.hash, head.n, head.policy_version,
			(SELECT subject FROM subject_keys WHERE thumbprint = ?3)
			FROM (SELECT 1) LEFT JOIN (SELECT hash, n, policy_version FROM receipts
				WHERE subject = ?2 ORDER BY n DESC LIMIT 1) AS head`},
		{&s.byID, `SELECT ` + readColumns + ` FROM receipts WHERE id = ?`},
		{&s.keySubject, `SELECT subject FROM subject_keys WHERE thumbprint = ?`},
		{&s.hasRecords, `SELECT EXISTS (SELECT 1 FROM receipts WHERE subject = ?)`},
		{&s.insert, `INSERT INTO receipts (` + columns + `, n) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&s.enroll, `INSERT INTO subject_keys (thumbprint, subject, enrolled_at, enrolled_by) VALUES (?, ?, ?, ?)`},
		{&s.nonceUsed, `SELECT EXISTS (SELECT 1 FROM nonces WHERE nonce = ?)`},
		{&s.prune, `DELETE FROM nonces WHERE expires_at <= ?`},
		{&s.useNonce, `INSERT INTO nonces (nonce, expires_at) VALUES (?, ?)`},
	} {
		stmt, err := db.PrepareContext(ctx, p.query)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", p.query, err)
		}
		*p.stmt = stmt
	}
	return nil
}

func (s *statements) close() error {
	var err error
	for _, stmt := range []*sql.Stmt{s.facts, s.byID, s.keySubject, s.hasRecords, s.insert, s.enroll, s.nonceUsed, s.prune, s.useNonce} {
		if stmt != nil {
			err = errors.Join(err, stmt.Close())
		}
	}
	return err
}

// Put implements receipt.Store.
func (db *DB) Put(ctx context.Context, r receipt.Record, opt receipt.PutOptions) (receipt.Record, bool, error) {
	r, err := put.Prepare(r, db.now.Now())
	if err != nil {
		return receipt.Record{}, false, err
	}
	// Encoded by the caller's goroutine, not the writer's: the writer is
	// the one part of the store that does not scale with the cores.
	packed, codec := body.Pack(r.Body)
	states := put.EncodeStates(r.States)
	var shown any
	if !r.ShownAt.IsZero() {
		shown = r.ShownAt.UnixMicro()
	}

	var stored receipt.Record
	var created, enrolled bool
	var place int64
	err = db.writer.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		stored, created, enrolled = receipt.Record{}, false, false
		var (
			exists, n               sql.NullInt64
			head                    string
			headVersion, keySubject sql.NullString
		)
		err := tx.StmtContext(ctx, db.stmt.facts).QueryRowContext(ctx, r.ID, r.Subject, r.DeviceKey).
			Scan(&exists, hashColumn{&head}, &n, &headVersion, &keySubject)
		if err != nil {
			return fmt.Errorf("put: %w", err)
		}
		if exists.Valid {
			stored, err = scan(tx.StmtContext(ctx, db.stmt.byID).QueryRowContext(ctx, r.ID))
			if err != nil {
				return fmt.Errorf("put: %w", err)
			}
			return nil
		}
		f := put.Facts{Head: head, HeadVersion: headVersion.String, KeySubject: keySubject.String}
		enroll, err := put.Check(&r, opt, f)
		if err != nil {
			return err
		}

		place = next(n)
		_, err = tx.StmtContext(ctx, db.stmt.insert).ExecContext(ctx,
			r.ID, r.Subject, hashValue(r.PrevHash), hashValue(r.Hash), r.PolicyVersion, r.Surface,
			r.IssuedAt.UnixMicro(), r.ReceivedAt.UnixMicro(), packed, r.Countersig, r.KeyID,
			r.Schema, r.Language, r.Decision, r.DeviceKey, states, shown, r.Reask, codec,
			place)
		if isEnded(err) {
			// The subject's chain ended (retention.go); the trigger's
			// statement wrote nothing.
			return receipt.ErrEnded()
		}
		if isUnique(err) {
			// Unreachable while this process is the only writer; another
			// process writing the same file without the lock would land
			// here. The failed statement wrote nothing.
			return put.ErrChain()
		}
		if err != nil {
			return fmt.Errorf("put: insert: %w", err)
		}
		if enroll {
			_, err := tx.StmtContext(ctx, db.stmt.enroll).ExecContext(ctx, r.DeviceKey, r.Subject, r.ReceivedAt.UnixMicro(), r.ID)
			if err != nil {
				return fmt.Errorf("put: enroll: %w", err)
			}
		}
		stored, created, enrolled = r, true, enroll
		return nil
	})
	if err != nil {
		// Whatever this store remembered of the subject may be what the
		// put was refused against; the file has the truth.
		db.tips.forgetSubject(r.Subject)
		return receipt.Record{}, false, err
	}
	if created {
		// Committed: remembered before anyone can learn of it.
		db.tips.wrote(stored, place, enrolled)
	}
	return stored, created, nil
}

// next is the place in its subject's chain of the receipt after the one at
// n; 0 when there is none.
func next(n sql.NullInt64) int64 {
	if !n.Valid {
		return 0
	}
	return n.Int64 + 1
}

// Enroll implements receipt.Store.
func (db *DB) Enroll(ctx context.Context, subject, thumbprint, by string) error {
	if err := put.CheckEnrollArgs(subject, thumbprint, by); err != nil {
		return err
	}
	err := db.writer.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var has bool
		if err := tx.StmtContext(ctx, db.stmt.hasRecords).QueryRowContext(ctx, subject).Scan(&has); err != nil {
			return fmt.Errorf("enroll: %w", err)
		}
		var keySubject string
		err := tx.StmtContext(ctx, db.stmt.keySubject).QueryRowContext(ctx, thumbprint).Scan(&keySubject)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("enroll: %w", err)
		}
		write, err := put.CheckEnroll(subject, has, keySubject)
		if err != nil || !write {
			return err
		}
		_, err = tx.StmtContext(ctx, db.stmt.enroll).ExecContext(ctx, thumbprint, subject, put.Time(db.now.Now()).UnixMicro(), by)
		if err != nil {
			return fmt.Errorf("enroll: %w", err)
		}
		return nil
	})
	if err == nil {
		db.tips.enrolledKey(thumbprint, subject)
	}
	return err
}

// UseNonce implements receipt.Store.
func (db *DB) UseNonce(ctx context.Context, nonce string, expires time.Time) error {
	if err := put.CheckNonce(nonce, expires, db.now.Now()); err != nil {
		return err
	}
	return db.writer.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var used bool
		if err := tx.StmtContext(ctx, db.stmt.nonceUsed).QueryRowContext(ctx, nonce).Scan(&used); err != nil {
			return fmt.Errorf("nonce: %w", err)
		}
		now := db.now.Now()
		if used || !expires.After(now) {
			return put.ErrNonce()
		}
		// Forget the nonces that can no longer be presented: the index on
		// expires_at makes this cheap when there are none.
		if _, err := tx.StmtContext(ctx, db.stmt.prune).ExecContext(ctx, now.UnixMicro()); err != nil {
			return fmt.Errorf("nonce: prune: %w", err)
		}
		if _, err := tx.StmtContext(ctx, db.stmt.useNonce).ExecContext(ctx, nonce, put.Time(expires).UnixMicro()); err != nil {
			return fmt.Errorf("nonce: %w", err)
		}
		return nil
	})
}
