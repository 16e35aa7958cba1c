package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"iter"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/kaiconn/consent/console"
	"github.com/kaiconn/consent/receipt"
)

// InsightsEnd is the last day of the data InsightsData generates.
var InsightsEnd = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

// InsightsDays is how many days the generated data spans.
const InsightsDays = 365

// InsightsData generates n receipts as a year of a busy deployment would
// store them, chain by chain (one subject's receipts oldest first, each
// chained on the one before), deterministically: about two thirds on the
// app (first launch, then a settings change for some), a third on the web
// banner, mostly in Chinese, a new policy version a hundred days before
// the end that re-asks every app subject still coming back, and a shown
// time on most receipts. Records carry small bodies (the insights never
// read bodies) so that a million fit on a small disk; their other columns
// are as the API stores them.
//
// Another seed makes other subjects and receipts, which a store holding
// the first can take too.
func InsightsData(n int, seed uint64) iter.Seq[[]receipt.Record] {
	return func(yield func([]receipt.Record) bool) {
		rng := rand.New(rand.NewPCG(2026, 11+seed))
		start := InsightsEnd.AddDate(0, 0, -InsightsDays)
		change := InsightsEnd.AddDate(0, 0, -100)
		made := 0
		for subject := 0; made < n; subject++ {
			chain := chainOf(rng, fmt.Sprintf("sub_g%02d%018d", seed, subject), start, change, min(n-made, 4))
			made += len(chain)
			if !yield(chain) {
				return
			}
		}
	}
}

var appPurposes = []string{"analytics", "basic", "crash-reports", "location", "push", "wechat-share"}
var webPurposes = []string{"analytics", "necessary", "preferences"}

func chainOf(rng *rand.Rand, id string, start, change time.Time, most int) []receipt.Record {
	lang := receipt.LangZhHans
	if rng.IntN(10) < 3 {
		lang = receipt.LangEn
	}
	web := rng.IntN(3) == 0
	at := start.Add(time.Duration(rng.Int64N(int64(InsightsDays * 24 * time.Hour))))
	var chain []receipt.Record
	var prev *receipt.Record
	states := map[string]string{}
	for i := 0; i < most; i++ {
		surface := receipt.SurfaceFirstLaunch
		purposes := appPurposes
		if web {
			surface, purposes = receipt.SurfaceWebBanner, webPurposes
		} else if i > 0 {
			surface = receipt.SurfaceSettings
		}
		version := "2022-10"
		if at.After(change) {
			version = "2026-08"
		}
		decision := receipt.DecisionAgreed
		switch r := rng.IntN(100); {
		case i == 0 && r < 25, i > 0 && surface != receipt.SurfaceSettings && r < 30:
			decision = receipt.DecisionDeclined
		case surface == receipt.SurfaceSettings && r < 45:
			decision = receipt.DecisionWithdrawn
		case surface == receipt.SurfaceSettings:
			decision = receipt.DecisionUpdated
		}
		next := map[string]string{}
		for _, p := range purposes {
			required := p == "basic" || p == "necessary"
			given := required || (decision != receipt.DecisionDeclined && decision != receipt.DecisionWithdrawn && rng.IntN(100) < 55)
			switch {
			case given:
				next[p] = receipt.StateGiven
			case states[p] == receipt.StateGiven:
				next[p] = receipt.StateWithdrawn
			default:
				next[p] = receipt.StateRefused
			}
		}
		states = next
		rec := generated(id, i, prev, at, version, surface, lang, decision, states)
		if rng.IntN(10) < 8 {
			// Most people decide within a minute; a few leave the page
			// open for hours.
			wait := time.Duration(2+rng.ExpFloat64()*18) * time.Second
			if rng.IntN(50) == 0 {
				wait = time.Duration(rng.Int64N(int64(30 * time.Hour)))
			}
			rec.ShownAt = at.Add(-wait)
		}
		chain = append(chain, rec)
		prev = &chain[len(chain)-1]
		// The next receipt: the re-ask of the new policy version for half
		// of those who decided before it, a change in settings some days
		// later for some app users, or none.
		switch r := rng.IntN(100); {
		case version == "2022-10" && r < 50:
			at = change.Add(time.Duration(rng.Int64N(int64(90 * 24 * time.Hour))))
		case !web && r < 80:
			at = at.Add(time.Duration(1+rng.IntN(40)) * 24 * time.Hour)
		default:
			return chain
		}
		if at.After(InsightsEnd) {
			return chain
		}
	}
	return chain
}

// generated is one generated record: chained, hashed, with a small body.
func generated(subject string, n int, prev *receipt.Record, at time.Time, version, surface, lang, decision string, states map[string]string) receipt.Record {
	prevHash, prevVersion := "", ""
	if prev != nil {
		prevHash, prevVersion = prev.Hash, prev.PolicyVersion
	}
	body := make([]byte, 0, 64)
	body = append(body, subject...)
	body = binary.BigEndian.AppendUint32(body, uint32(n))
	sum := sha256.Sum256(body)
	idSum := sha256.Sum256(append([]byte("id"), body...))
	id := hex.EncodeToString(idSum[:16])
	id = id[:8] + "-" + id[8:12] + "-4" + id[13:16] + "-8" + id[17:20] + "-" + id[20:32]
	at = at.UTC().Truncate(time.Millisecond)
	return receipt.Record{
		ID: id, Subject: subject, PrevHash: prevHash, Hash: hex.EncodeToString(sum[:]),
		PolicyVersion: version, Surface: surface, IssuedAt: at, ReceivedAt: at.Add(800 * time.Millisecond),
		Body: body, Countersig: "eyJhbGciOiJFZERTQSJ9..c2ln", KeyID: "bench",
		Language: lang, Decision: decision, Schema: 2, States: states,
		Reask: prevVersion != "" && prevVersion < version,
	}
}

// InsightsQueries are the dashboard's queries, by name, each under a
// filter.
func InsightsQueries(s console.Insights) map[string]func(ctx context.Context, f console.Filter) error {
	return map[string]func(ctx context.Context, f console.Filter) error{
		"DecisionsByDay":  func(ctx context.Context, f console.Filter) error { _, err := s.DecisionsByDay(ctx, f); return err },
		"PurposeStates":   func(ctx context.Context, f console.Filter) error { _, err := s.PurposeStates(ctx, f); return err },
		"TimesToDecision": func(ctx context.Context, f console.Filter) error { _, err := s.TimesToDecision(ctx, f); return err },
		"Reasks":          func(ctx context.Context, f console.Filter) error { _, err := s.Reasks(ctx, f); return err },
		"ReaskPurposes":   func(ctx context.Context, f console.Filter) error { _, err := s.ReaskPurposes(ctx, f); return err },
		"Health": func(ctx context.Context, f console.Filter) error {
			_, err := s.Health(ctx, f.To-13)
			return err
		},
	}
}

// InsightsFilters are the filters the benchmark asks under: the
// dashboard's default (the last 30 days, everything), a narrow one, and
// the widest the console allows.
func InsightsFilters() map[string]console.Filter {
	end := console.DayOf(InsightsEnd)
	return map[string]console.Filter{
		"30d":                {From: end - 29, To: end},
		"30d-firstlaunch-en": {From: end - 29, To: end, Surface: receipt.SurfaceFirstLaunch, Language: receipt.LangEn},
		"366d":               {From: end - console.MaxPeriod + 1, To: end},
	}
}

// BenchmarkInsights runs each dashboard query under each filter against a
// store holding the generated data, and reports milliseconds per query.
func BenchmarkInsights(b *testing.B, s console.Insights) {
	ctx := context.Background()
	for fname, f := range InsightsFilters() {
		for qname, q := range InsightsQueries(s) {
			b.Run(fname+"/"+qname, func(b *testing.B) {
				for b.Loop() {
					if err := q(ctx, f); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/query")
			})
		}
	}
}
