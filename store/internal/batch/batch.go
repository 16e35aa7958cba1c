package batch

import (
	"context"
	"errors"
	"time"

	"github.com/kaiconn/consent/errs"
)

// DefaultMax bounds a batch: enough for every request of a busy server to
// share one commit, few enough that the last job of a batch does not wait
// long for the first ones.
const DefaultMax = 64

// DefaultLinger is how long a batch waits for more jobs: a commit costs
// an fsync and the WAL pages it rewrites whatever the batch holds (on the
// 2-core virtual machine an fsync alone is a few hundred microseconds,
// half of them CPU), so a batch of three that waits half a millisecond for
// three more halves the commits. A lone job waits one Gap.
var DefaultLinger = Linger{Gap: 50 * time.Microsecond, Most: 500 * time.Microsecond}

// Linger bounds how long a batch waits for more jobs before it runs: while
// jobs keep arriving less than Gap apart, and no longer than Most after
// the first. The zero Linger runs what is queued at once.
type Linger struct {
	Gap, Most time.Duration
}

// ErrClosed is the answer to a job handed to a closed writer.
var ErrClosed = errors.New("batch: store closed")

// DB begins and ends the transactions of a store's database; T is its
// transaction (*sql.Tx, pgx.Tx).
type DB[T any] interface {
	Begin(ctx context.Context) (T, error)
	Commit(ctx context.Context, tx T) error
	Rollback(ctx context.Context, tx T) error
}

// Job is one unit of work: it runs inside the batch's transaction, and its
// results, set through the closure, are valid once Do returned nil. It may
// run more than once (after a rolled-back batch), so it sets its results
// afresh each time. ctx is the writer's, not the caller's: one caller
// giving up must not abort its neighbours' transaction.
type Job[T any] func(ctx context.Context, tx T) error

type request[T any] struct {
	ctx  context.Context
	job  Job[T]
	done chan error // buffered: the writer never waits for the caller
}

// Writer runs jobs in batches on one goroutine.
type Writer[T any] struct {
	db     DB[T]
	max    int
	linger Linger
	queue  chan *request[T]
	quit   chan struct{}
	ended  chan struct{}
}

// New starts a writer of batches in transactions of db, with at most max
// jobs per batch (DefaultMax when max < 1), each waiting for more jobs as
// linger says.
func New[T any](db DB[T], max int, linger Linger) *Writer[T] {
	if max < 1 {
		max = DefaultMax
	}
	w := &Writer[T]{
		db:     db,
		max:    max,
		linger: linger,
		// Unbuffered: a job handed over is one the writer holds, so that
		// Close strands none in a buffer.
		queue: make(chan *request[T]),
		quit:  make(chan struct{}),
		ended: make(chan struct{}),
	}
	go w.loop()
	return w
}

// Do runs job in the next batch and returns its error, or the commit's.
// When ctx ends first Do returns ctx's error; the job may still commit, as
// when a reply is lost, so callers retry idempotently.
func (w *Writer[T]) Do(ctx context.Context, job Job[T]) error {
	req := &request[T]{ctx: ctx, job: job, done: make(chan error, 1)}
	select {
	case w.queue <- req:
	case <-w.quit:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops the writer after the batch in progress; jobs not yet taken
// get ErrClosed. It must be called once.
func (w *Writer[T]) Close() {
	close(w.quit)
	<-w.ended
}

func (w *Writer[T]) loop() {
	defer close(w.ended)
	batch := make([]*request[T], 0, w.max)
	for {
		select {
		case <-w.quit:
			return
		case req := <-w.queue:
			batch = append(batch[:0], req)
		}
		batch = w.gather(batch)
		w.run(batch)
		clear(batch) // let the finished requests be collected
	}
}

// gather adds to batch the jobs queued behind its first, and those that
// arrive while the batch lingers.
func (w *Writer[T]) gather(batch []*request[T]) []*request[T] {
more:
	for len(batch) < w.max {
		select {
		case req := <-w.queue:
			batch = append(batch, req)
		default:
			break more
		}
	}
	if w.linger.Gap <= 0 || len(batch) >= w.max {
		return batch
	}
	deadline := time.Now().Add(w.linger.Most)
	wait := time.NewTimer(min(w.linger.Gap, w.linger.Most))
	defer wait.Stop()
	for len(batch) < w.max {
		select {
		case req := <-w.queue:
			batch = append(batch, req)
			left := time.Until(deadline)
			if left <= 0 {
				return batch
			}
			wait.Reset(min(w.linger.Gap, left))
		case <-wait.C:
			return batch
		case <-w.quit:
			// Run what was taken: its callers are waiting for it.
			return batch
		}
	}
	return batch
}

// run runs one batch and answers every request in it.
func (w *Writer[T]) run(batch []*request[T]) {
	ctx := context.Background()
	live := batch[:0:0]
	for _, req := range batch {
		// A caller that gave up before its job started gets no write.
		if err := req.ctx.Err(); err != nil {
			req.done <- err
			continue
		}
		live = append(live, req)
	}
	if len(live) == 0 {
		return
	}
	results, err := w.together(ctx, live)
	if err == nil || len(live) == 1 {
		for i, req := range live {
			if err != nil {
				req.done <- err
				continue
			}
			req.done <- results[i]
		}
		return
	}
	// Something no job refused failed the batch: find whose fault it was
	// by running each on its own.
	for _, req := range live {
		results, err := w.together(ctx, []*request[T]{req})
		if err != nil {
			req.done <- err
			continue
		}
		req.done <- results[0]
	}
}

// together runs jobs in one transaction. It returns each job's refusal (nil
// for the jobs that did their work) once the transaction has committed, or
// the error that rolled it back.
func (w *Writer[T]) together(ctx context.Context, jobs []*request[T]) ([]error, error) {
	tx, err := w.db.Begin(ctx)
	if err != nil {
		return nil, err
	}
	results := make([]error, len(jobs))
	for i, req := range jobs {
		err := req.job(ctx, tx)
		if err != nil && errs.Code(err) == errs.Internal {
			_ = w.db.Rollback(ctx, tx)
			return nil, err
		}
		results[i] = err
	}
	if err := w.db.Commit(ctx, tx); err != nil {
		return nil, err
	}
	return results, nil
}
