package postgres

import "github.com/kaiconn/consent/store/internal/tally"

// queueCounts queues, before the commit, what the transaction's receipts
// add to the insights' counts: one statement per table, its rows as
// arrays, in the order of their keys, so that two instances updating the
// same rows take their locks in the same order and never deadlock.
func (w *wtx) queueCounts() {
	c := &w.counts
	if c.Empty() {
		return
	}
	var (
		days                                  []int32
		surfaces, languages, versions, values []string
		reasks                                []bool
		ns                                    []int64
	)
	// A queued statement keeps its arguments until it is sent: each
	// statement gets slices of its own.
	reset := func() {
		days, surfaces, languages, versions, values, reasks, ns = nil, nil, nil, nil, nil, nil, nil
	}
	for _, k := range tally.Sorted(c.Decisions, tally.CompareDecision) {
		days, surfaces, languages, versions = append(days, int32(k.Day)), append(surfaces, k.Surface), append(languages, k.Language), append(versions, k.PolicyVersion)
		values, reasks, ns = append(values, k.Decision), append(reasks, k.Reask), append(ns, c.Decisions[k])
	}
	w.queue(`INSERT INTO insight_decisions AS t (day, surface, language, policy_version, decision, reask, n)
		SELECT * FROM unnest($1::integer[], $2::text[], $3::text[], $4::text[], $5::text[], $6::boolean[], $7::bigint[])
		ON CONFLICT (day, surface, language, policy_version, decision, reask) DO UPDATE SET n = t.n + EXCLUDED.n`,
		days, surfaces, languages, versions, values, reasks, ns)

	reset()
	var states []string
	for _, k := range tally.Sorted(c.Purposes, tally.ComparePurpose) {
		days, surfaces, languages, versions = append(days, int32(k.Day)), append(surfaces, k.Surface), append(languages, k.Language), append(versions, k.PolicyVersion)
		reasks, values, states, ns = append(reasks, k.Reask), append(values, k.Purpose), append(states, k.State), append(ns, c.Purposes[k])
	}
	w.queue(`INSERT INTO insight_purposes AS t (day, surface, language, policy_version, reask, purpose, state, n)
		SELECT * FROM unnest($1::integer[], $2::text[], $3::text[], $4::text[], $5::boolean[], $6::text[], $7::text[], $8::bigint[])
		ON CONFLICT (day, surface, language, policy_version, reask, purpose, state) DO UPDATE SET n = t.n + EXCLUDED.n`,
		days, surfaces, languages, versions, reasks, values, states, ns)

	if len(c.Latencies) == 0 {
		return
	}
	reset()
	var seconds []int64
	for _, k := range tally.Sorted(c.Latencies, tally.CompareLatency) {
		days, surfaces, languages = append(days, int32(k.Day)), append(surfaces, k.Surface), append(languages, k.Language)
		seconds, ns = append(seconds, k.Seconds), append(ns, c.Latencies[k])
	}
	w.queue(`INSERT INTO insight_latency AS t (day, surface, language, seconds, n)
		SELECT * FROM unnest($1::integer[], $2::text[], $3::text[], $4::bigint[], $5::bigint[])
		ON CONFLICT (day, surface, language, seconds) DO UPDATE SET n = t.n + EXCLUDED.n`,
		days, surfaces, languages, seconds, ns)
}
