package server

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/kaiconn/consent/api"
	"github.com/kaiconn/consent/console"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/httperr"
	"github.com/kaiconn/consent/receipt"
)

// DefaultRetention is how long a subject's records are kept after their
// chain ended (an erasure, or everything withdrawn and no decision since)
// when the operator sets nothing: three years, the general limitation
// period of the PRC Civil Code (art. 188), during which the company may
// have to prove that a person consented, or withdrew, at a given time.
const DefaultRetention = 3 * 365 * 24 * time.Hour

// DefaultPurgeEvery is how often the server purges when the operator sets
// nothing: the retention is counted in years, so an hour late is nothing,
// and a run that finds nothing to do costs a few indexed look-ups.
const DefaultPurgeEvery = time.Hour

// Operators of audit entries no person signed: the account service and a
// device erasing through the API.
const (
	auditService = "(account-service)"
	auditDevice  = "(device)"
)

// retention is the store's erasure, hold and purge side; nil when the store
// has none.
func (s *Server) retention() receipt.Retention {
	ret, _ := s.store.(receipt.Retention)
	return ret
}

// subjectEnded tells whether subject's chain ended (erased or purged). A
// look-up that fails counts as not ended: Put refuses the append anyway.
func (s *Server) subjectEnded(ctx context.Context, subject string) bool {
	ret := s.retention()
	if ret == nil || subject == "" {
		return false
	}
	st, err := ret.State(ctx, subject)
	if err != nil {
		s.log.Warn("retention: state", "err", errs.Code(err))
		return false
	}
	return st.Ending != nil
}

// auditErase records an erasure request in the console's audit log, and
// lets the purger know that, with a retention of 0, it has work at once.
func (s *Server) auditErase(ctx context.Context, by, subject, outcome string) {
	if cs, ok := s.store.(console.Store); ok {
		op := auditDevice
		if by == receipt.ErasedByService {
			op = auditService
		}
		if len(subject) > 200 {
			// A path may be anything; the log keeps what identifies it.
			subject = subject[:200]
		}
		if _, err := cs.Append(ctx, console.Entry{At: time.Now(), Operator: op, Action: console.ActionErase, Target: subject, Outcome: outcome}); err != nil {
			s.log.Error("retention: audit log", "err", err)
		}
	}
	if outcome == api.AuditOK && s.purger != nil && s.purger.retention == 0 {
		s.purger.kick()
	}
}

// writeErased answers the receipts download of a browser whose subject's
// records were erased: 410 Gone, saying when.
func writeErased(w http.ResponseWriter, e *receipt.Ending) {
	msg := "the records of this browser's decisions were erased on " + e.EndedAt.Format(time.DateOnly)
	if e.Kind == receipt.EndWithdrawn {
		msg = "the records of this browser's decisions were deleted after the retention period"
	}
	if !e.PurgedAt.IsZero() {
		msg += "; deleted on " + e.PurgedAt.Format(time.DateOnly)
	}
	err := errs.New(errs.Erased, "%s", msg)
	writeJSON(w, httperr.Status(err), struct {
		httperr.Body
		Erased map[string]any `json:"erased"`
	}{httperr.BodyOf(err), map[string]any{"kind": e.Kind, "endedAt": e.EndedAt, "headHash": e.HeadHash}})
}

// purger runs the purge on a schedule, and once more when kicked.
type purger struct {
	s         *Server
	ret       receipt.Retention
	retention time.Duration
	every     time.Duration
	now       func() time.Time
	node      string

	kickc chan struct{}
	stopc chan struct{}
	done  chan struct{}
	once  sync.Once
}

func (s *Server) newPurger() *purger {
	ret := s.retention()
	if ret == nil {
		return nil
	}
	node, _ := os.Hostname()
	p := &purger{s: s, ret: ret, retention: DefaultRetention, every: DefaultPurgeEvery, now: time.Now, node: node,
		kickc: make(chan struct{}, 1), stopc: make(chan struct{}), done: make(chan struct{})}
	if s.cfg.Retention != nil {
		p.retention = *s.cfg.Retention
	}
	if s.cfg.PurgeEvery != 0 {
		p.every = s.cfg.PurgeEvery
	}
	return p
}

// start runs the schedule until stop; a negative interval runs nothing
// but kicks.
func (p *purger) start(tick <-chan time.Time) {
	go func() {
		defer close(p.done)
		for {
			select {
			case <-p.stopc:
				return
			case <-tick:
			case <-p.kickc:
			}
			p.run(context.Background())
		}
	}()
}

func (p *purger) kick() {
	select {
	case p.kickc <- struct{}{}:
	default:
	}
}

func (p *purger) stop() error {
	p.once.Do(func() {
		close(p.stopc)
		<-p.done
	})
	return nil
}

// run purges once and records the run for the operations page.
func (p *purger) run(ctx context.Context) (receipt.PurgeResult, error) {
	started := p.now()
	cutoff := started.Add(-p.retention)
	res, err := p.ret.Purge(ctx, receipt.PurgeOptions{Cutoff: cutoff, Node: p.node, Now: started})
	run := receipt.PurgeRun{Node: p.node, StartedAt: started, FinishedAt: p.now(), Cutoff: cutoff, Result: res}
	if err != nil {
		run.Err = err.Error()
		p.s.log.Error("retention: purge", "err", err)
	}
	if res.Subjects > 0 || res.Held > 0 || err != nil {
		// A run that found nothing is not worth a line on the page.
		if rerr := p.ret.RecordPurge(ctx, run); rerr != nil {
			p.s.log.Error("retention: purge run", "err", rerr)
		}
		p.s.log.Info("retention: purged", "subjects", res.Subjects, "receipts", res.Receipts, "held", res.Held, "busy", res.Busy)
	}
	return res, err
}

// Purge runs one purge of store under cfg's retention, as the server
// would, for the kaiconn-consent purge command: dry unless apply. An
// applied run is recorded for the operations page.
func Purge(ctx context.Context, store receipt.Store, cfg Config, apply bool, now time.Time) (receipt.PurgeResult, time.Time, error) {
	ret, ok := store.(receipt.Retention)
	if !ok {
		return receipt.PurgeResult{}, time.Time{}, errs.New(errs.Internal, "the store cannot purge")
	}
	keep := DefaultRetention
	if cfg.Retention != nil {
		keep = *cfg.Retention
	}
	cutoff := now.Add(-keep)
	node, _ := os.Hostname()
	if !apply {
		res, err := ret.Purge(ctx, receipt.PurgeOptions{Cutoff: cutoff, DryRun: true, Now: now})
		return res, cutoff, err
	}
	p := &purger{ret: ret, retention: keep, now: func() time.Time { return now }, node: node + " (kaiconn-consent purge)",
		s: &Server{log: slog.New(slog.DiscardHandler)}}
	res, err := p.run(ctx)
	return res, cutoff, err
}
