package sqlite

import (
	"maps"
	"sync"

	"github.com/kaiconn/consent/receipt"
)

// maxTips bounds the tips a store remembers: about half a kilobyte each,
// so a few megabytes, and far more than the subjects deciding at once.
const maxTips = 1 << 14

// tips remembers the newest receipt of the subjects this store wrote to
// lately, and the subject of the keys enrolled meanwhile, so that the
// look-ups made before every append (ChainFacts, Tip) are answered without
// a read transaction. Under write load each read transaction that begins
// after a commit finds SQLite's page cache stale and reads its pages from
// the file again, which costs more than the rest of the look-up.
//
// It is correct because this store is the only writer of its file (the
// writer holds SQLite's write lock for every transaction, and Open is the
// only way in), receipts and enrolments are never changed or removed, and
// an entry is set only after the transaction that wrote it committed and
// before Put returns: whoever learns of a receipt, from Put's answer or its
// HTTP reply, finds it here or in the file. A subject or key it does not
// hold is looked up in the file as before, so forgetting is always safe.
type tips struct {
	mu sync.Mutex
	// heads holds each subject's newest record, without body and
	// countersignature (as Tip reads it), and its place in the chain.
	heads map[string]tip
	// keys holds the subject each key is enrolled for; an enrolment is
	// never changed, so an entry never goes stale.
	keys map[string]string
}

type tip struct {
	n   int64
	rec receipt.Record
}

func newTips() *tips {
	return &tips{heads: map[string]tip{}, keys: map[string]string{}}
}

// wrote records that r, the n-th receipt of its subject, committed, and
// that its key, when enroll, is now enrolled for that subject. Two puts to
// one subject committed in order may report in either order: the later
// place in the chain wins.
func (t *tips) wrote(r receipt.Record, n int64, enroll bool) {
	r.Body, r.Countersig = []byte{}, ""
	r.States = maps.Clone(r.States)
	t.mu.Lock()
	defer t.mu.Unlock()
	if old, ok := t.heads[r.Subject]; ok && old.n >= n {
		return
	}
	if len(t.heads) >= maxTips {
		clear(t.heads)
	}
	t.heads[r.Subject] = tip{n: n, rec: r}
	if enroll {
		t.enrolled(r.DeviceKey, r.Subject)
	}
}

// enrolledKey records a committed enrolment.
func (t *tips) enrolledKey(thumbprint, subject string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.enrolled(thumbprint, subject)
}

func (t *tips) enrolled(thumbprint, subject string) {
	if len(t.keys) >= maxTips {
		clear(t.keys)
	}
	t.keys[thumbprint] = subject
}

// head returns a copy of subject's newest record, if remembered.
func (t *tips) head(subject string) (receipt.Record, bool) {
	t.mu.Lock()
	h, ok := t.heads[subject]
	t.mu.Unlock()
	if !ok {
		return receipt.Record{}, false
	}
	h.rec.Body = []byte{}
	h.rec.States = maps.Clone(h.rec.States)
	return h.rec, true
}

// facts returns ChainFacts for subject and thumbprint when both are
// remembered: the subject's head, and the key's enrolment.
func (t *tips) facts(subject, thumbprint string) (receipt.ChainFacts, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	h, ok := t.heads[subject]
	if !ok {
		return receipt.ChainFacts{}, false
	}
	keySubject, ok := t.keys[thumbprint]
	if !ok {
		return receipt.ChainFacts{}, false
	}
	return receipt.ChainFacts{Exists: true, Hash: h.rec.Hash, Surface: h.rec.Surface,
		States: maps.Clone(h.rec.States), KeySubject: keySubject}, true
}

// forgetSubject drops what is remembered of subject's chain.
func (t *tips) forgetSubject(subject string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.heads, subject)
}
