package batch_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/store/internal/batch"
)

// db is a database whose transactions buffer writes and apply them on
// commit, and that remembers what each commit applied.
type db struct {
	mu          sync.Mutex
	commits     [][]string // writes of each commit, in order
	rollbacks   int
	failCommit  int  // how many of the next commits fail
	failBatches bool // whether commits of more than one write fail
}

type tx struct{ writes []string }

func (d *db) Begin(context.Context) (*tx, error) { return &tx{}, nil }

func (d *db) Commit(_ context.Context, t *tx) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.failCommit > 0 || (d.failBatches && len(t.writes) > 1) {
		d.failCommit = max(d.failCommit-1, 0)
		return errors.New("disk full")
	}
	d.commits = append(d.commits, t.writes)
	return nil
}

func (d *db) Rollback(context.Context, *tx) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.rollbacks++
	return nil
}

func (d *db) committed() [][]string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.commits
}

func write(s string) batch.Job[*tx] {
	return func(_ context.Context, t *tx) error {
		t.writes = append(t.writes, s)
		return nil
	}
}

// doAll hands jobs to w, each from its own goroutine, and returns their
// errors once all are answered.
func doAll(w *batch.Writer[*tx], jobs ...batch.Job[*tx]) []error {
	out := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, job := range jobs {
		wg.Go(func() { out[i] = w.Do(context.Background(), job) })
	}
	wg.Wait()
	return out
}

// busy occupies w's goroutine with a job that waits for the returned
// release, and returns once w is inside it, so that what is handed to w
// next queues up.
func busy(t *testing.T, w *batch.Writer[*tx]) (release func() error) {
	gate := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- w.Do(context.Background(), func(_ context.Context, t *tx) error {
			<-gate
			t.writes = append(t.writes, "busy")
			return nil
		})
	}()
	synctest.Wait()
	return func() error {
		close(gate)
		return <-done
	}
}

func TestWriter(t *testing.T) {
	t.Run("OneJobAtOnce", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			d := &db{}
			w := batch.New[*tx](d, 0, batch.Linger{})
			defer w.Close()
			require.NoError(t, w.Do(context.Background(), write("a")))
			assert.Equal(t, [][]string{{"a"}}, d.committed())
		})
	})

	t.Run("GroupCommit", func(t *testing.T) {
		// What queues while the writer is busy shares one commit.
		synctest.Test(t, func(t *testing.T) {
			d := &db{}
			w := batch.New[*tx](d, 0, batch.Linger{})
			defer w.Close()
			release := busy(t, w)
			var answered []error
			waiting := make(chan struct{})
			go func() {
				answered = doAll(w, write("a"), write("b"), write("c"))
				close(waiting)
			}()
			synctest.Wait()
			require.NoError(t, release())
			<-waiting
			assert.Equal(t, []error{nil, nil, nil}, answered)
			commits := d.committed()
			require.Len(t, commits, 2)
			assert.Equal(t, []string{"busy"}, commits[0])
			assert.ElementsMatch(t, []string{"a", "b", "c"}, commits[1])
		})
	})

	t.Run("MaxJobsPerBatch", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			d := &db{}
			w := batch.New[*tx](d, 2, batch.Linger{})
			defer w.Close()
			release := busy(t, w)
			waiting := make(chan struct{})
			go func() {
				doAll(w, write("a"), write("b"), write("c"), write("d"), write("e"))
				close(waiting)
			}()
			synctest.Wait()
			require.NoError(t, release())
			<-waiting
			var sizes []int
			for _, c := range d.committed() {
				sizes = append(sizes, len(c))
			}
			assert.Equal(t, []int{1, 2, 2, 1}, sizes)
		})
	})

	t.Run("RefusalFailsAlone", func(t *testing.T) {
		// A refused job (a coded error) does not roll back its neighbours.
		synctest.Test(t, func(t *testing.T) {
			d := &db{}
			w := batch.New[*tx](d, 0, batch.Linger{})
			defer w.Close()
			release := busy(t, w)
			refusal := errs.New(errs.Conflict, "prev_hash: stale")
			var answered []error
			waiting := make(chan struct{})
			go func() {
				answered = doAll(w, write("a"), func(context.Context, *tx) error { return refusal }, write("c"))
				close(waiting)
			}()
			synctest.Wait()
			require.NoError(t, release())
			<-waiting
			assert.ElementsMatch(t, []error{nil, refusal, nil}, answered)
			commits := d.committed()
			require.Len(t, commits, 2)
			assert.ElementsMatch(t, []string{"a", "c"}, commits[1])
			assert.Zero(t, d.rollbacks)
		})
	})

	t.Run("FailureRetriedAlone", func(t *testing.T) {
		// A job that fails the transaction rolls back its batch; the others
		// are run again, each alone, and commit.
		synctest.Test(t, func(t *testing.T) {
			d := &db{}
			w := batch.New[*tx](d, 0, batch.Linger{})
			defer w.Close()
			release := busy(t, w)
			broken := errors.New("constraint failed")
			bad := func(_ context.Context, t *tx) error {
				t.writes = append(t.writes, "bad")
				return broken
			}
			var answered []error
			waiting := make(chan struct{})
			go func() {
				answered = doAll(w, write("a"), bad, write("c"))
				close(waiting)
			}()
			synctest.Wait()
			require.NoError(t, release())
			<-waiting
			assert.ElementsMatch(t, []error{nil, broken, nil}, answered)
			var all []string
			for _, c := range d.committed()[1:] {
				assert.Len(t, c, 1, "after a failure each job commits alone")
				all = append(all, c...)
			}
			assert.ElementsMatch(t, []string{"a", "c"}, all)
			assert.Positive(t, d.rollbacks)
		})
	})

	t.Run("CommitFailureRetriedAlone", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			d := &db{failBatches: true}
			w := batch.New[*tx](d, 0, batch.Linger{})
			defer w.Close()
			release := busy(t, w)
			var answered []error
			waiting := make(chan struct{})
			go func() {
				answered = doAll(w, write("a"), write("b"))
				close(waiting)
			}()
			synctest.Wait()
			require.NoError(t, release())
			<-waiting
			assert.Equal(t, []error{nil, nil}, answered)
			assert.Len(t, d.committed(), 3) // busy, then a and b alone
		})
	})

	t.Run("ErrSoleJobCommit", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			d := &db{failCommit: 1}
			w := batch.New[*tx](d, 0, batch.Linger{})
			defer w.Close()
			err := w.Do(context.Background(), write("a"))
			assert.EqualError(t, err, "disk full")
			assert.Empty(t, d.committed())
		})
	})

	t.Run("CancelledWhileQueued", func(t *testing.T) {
		// A caller that gives up before its job started gets no write.
		synctest.Test(t, func(t *testing.T) {
			d := &db{}
			w := batch.New[*tx](d, 0, batch.Linger{})
			defer w.Close()
			release := busy(t, w)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- w.Do(ctx, write("late")) }()
			synctest.Wait()
			cancel()
			assert.ErrorIs(t, <-done, context.Canceled)
			require.NoError(t, release())
			assert.Equal(t, [][]string{{"busy"}}, d.committed())
		})
	})

	t.Run("ErrClosed", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			w := batch.New[*tx](&db{}, 0, batch.Linger{})
			w.Close()
			assert.ErrorIs(t, w.Do(context.Background(), write("a")), batch.ErrClosed)
		})
	})
}

func TestLinger(t *testing.T) {
	linger := batch.Linger{Gap: 10 * time.Millisecond, Most: 25 * time.Millisecond}
	// arrive hands each job to w at its offset from the start, from its own
	// goroutine, and waits for every answer.
	arrive := func(t *testing.T, w *batch.Writer[*tx], at map[string]time.Duration) {
		var wg sync.WaitGroup
		for name, d := range at {
			wg.Go(func() {
				time.Sleep(d)
				assert.NoError(t, w.Do(context.Background(), write(name)))
			})
		}
		wg.Wait()
	}
	for _, tt := range []struct {
		name   string
		linger batch.Linger
		at     map[string]time.Duration
		want   [][]string
	}{
		{"JobsCloserThanGapShareACommit", linger,
			map[string]time.Duration{"a": 0, "b": 5 * time.Millisecond, "c": 12 * time.Millisecond},
			[][]string{{"a", "b", "c"}}},
		{"AGapLongerEndsTheBatch", linger,
			map[string]time.Duration{"a": 0, "b": 15 * time.Millisecond},
			[][]string{{"a"}, {"b"}}},
		{"NoLongerThanMost", linger,
			map[string]time.Duration{"a": 0, "b": 8 * time.Millisecond, "c": 16 * time.Millisecond, "d": 24 * time.Millisecond, "e": 32 * time.Millisecond},
			[][]string{{"a", "b", "c", "d"}, {"e"}}},
		{"ZeroLingerRunsAtOnce", batch.Linger{},
			map[string]time.Duration{"a": 0, "b": 5 * time.Millisecond},
			[][]string{{"a"}, {"b"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				d := &db{}
				w := batch.New[*tx](d, 0, tt.linger)
				defer w.Close()
				arrive(t, w, tt.at)
				got := d.committed()
				for _, c := range got {
					slices.Sort(c)
				}
				assert.Equal(t, tt.want, got)
			})
		})
	}

	t.Run("CloseRunsWhatWasTaken", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			d := &db{}
			w := batch.New[*tx](d, 0, batch.Linger{Gap: time.Hour, Most: time.Hour})
			done := make(chan error, 1)
			go func() { done <- w.Do(context.Background(), write("a")) }()
			synctest.Wait() // the writer lingers with "a"
			w.Close()
			assert.NoError(t, <-done)
			assert.Equal(t, [][]string{{"a"}}, d.committed())
		})
	})
}
