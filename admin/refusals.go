package admin

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/kaiconn/consent/console"
)

// refusalWindow is how long the anonymous refusals of one kind share one
// entry of the audit log.
const refusalWindow = time.Minute

// ActionRepeated is the audit log's summary of the anonymous refusals of
// one kind that followed the first of their window: its target says how
// many, and from when to when.
const ActionRepeated = "repeated"

// refusals aggregates the refusals that nobody signed in is behind: posts
// from another site, and sign-in forms without their token. Anyone can
// send them as fast as the network allows, and each used to append an
// entry, so that a flood filled the log (300 in a second, 49 of the first
// page's 50). Now the first refusal of each outcome in a window is logged
// as it happens, and the rest of the window is counted and logged as one
// "repeated" entry when the next window starts, before the log is read,
// and when the server stops. Signed-in refusals (a role that may not, a
// session's wrong token) name an operator, are rate-limited by the
// session, and are still logged one by one.
type refusals struct {
	a  *admin
	mu sync.Mutex
	// open is the current window of each outcome: only a few outcomes
	// exist, and the key is never something the client chose.
	open map[string]*refusalSpan
}

type refusalSpan struct {
	first, last time.Time
	more        int // refusals after the first, not yet logged
}

// refuse logs e, an anonymous refusal, or counts it in its window.
func (f *refusals) refuse(ctx context.Context, e console.Entry) {
	if e.At.IsZero() {
		e.At = f.a.now()
	}
	f.mu.Lock()
	if f.open == nil {
		f.open = map[string]*refusalSpan{}
	}
	span := f.open[e.Outcome]
	if span != nil && e.At.Sub(span.first) < refusalWindow {
		span.more++
		span.last = e.At
		f.mu.Unlock()
		return
	}
	f.open[e.Outcome] = &refusalSpan{first: e.At, last: e.At}
	f.mu.Unlock()
	// Appended outside the lock: the summary of the window that ended
	// first, then this refusal, which opens the next.
	if span != nil {
		f.summarise(ctx, e.Outcome, *span)
	}
	f.a.audit(ctx, e)
}

// flush logs every window's count so far, so that a reader of the log
// sees it: before the audit log is shown or exported, and at close.
func (f *refusals) flush(ctx context.Context) {
	f.mu.Lock()
	spans := map[string]refusalSpan{}
	for outcome, span := range f.open {
		if span.more > 0 {
			spans[outcome] = *span
			// The next refusal of this outcome is logged as it happens and
			// opens a window of its own.
			delete(f.open, outcome)
		}
	}
	f.mu.Unlock()
	for outcome, span := range spans {
		f.summarise(ctx, outcome, span)
	}
}

func (f *refusals) summarise(ctx context.Context, outcome string, span refusalSpan) {
	if span.more == 0 {
		return
	}
	f.a.audit(ctx, console.Entry{At: f.a.now(), Action: ActionRepeated, Outcome: outcome,
		Target: fmt.Sprintf("%d more from %s to %s", span.more, span.first.UTC().Format(time.RFC3339), span.last.UTC().Format(time.RFC3339))})
}
