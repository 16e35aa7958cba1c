package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gowebpki/jcs"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
)

// Erased is the answer to an erasure: the ending of the subject's chain.
// Erasing again answers the same, byte for byte, since it is read back
// from the store.
type Erased struct {
	Subject string    `json:"subject"`
	Kind    string    `json:"kind"` // erased, or withdrawn when the retention ended the chain first
	EndedAt time.Time `json:"endedAt"`
	// HeadHash is the hash of the chain's newest receipt.
	HeadHash string `json:"headHash"`
	// Record is the erasure record (receipt.Erasure), Hash its hex SHA-256,
	// Countersignature the server's detached JWS over it and KeyID its
	// key; absent when the chain ended withdrawn.
	Record           json.RawMessage `json:"record,omitempty"`
	Hash             string          `json:"hash,omitempty"`
	Countersignature string          `json:"countersignature,omitempty"`
	KeyID            string          `json:"kid,omitempty"`
}

// AuditFunc records an erasure in the console's audit log: who asked
// (receipt.ErasedByService or receipt.ErasedByDevice), the subject and the
// outcome ("ok", "not-found", "denied").
type AuditFunc func(ctx context.Context, by, subject, outcome string)

// Audit outcomes of an erasure.
const (
	AuditOK       = "ok"
	AuditNotFound = "not-found"
	AuditDenied   = "denied"
)

// eraseSubject ends a subject's chain: DELETE /api/v1/subjects/{subject}.
//
// Kaiconn's account service calls it with its own bearer token when an
// account is cancelled; it may learn whether the subject exists (404), as
// it knows its accounts anyway. The person's device calls it with a
// KaiconnProof by a key enrolled for the subject; any refusal of a proof is
// the one answer of authorize, whether the subject exists or not, so that
// nobody without the service token learns which subjects exist.
func (h *handler) eraseSubject(w http.ResponseWriter, r *http.Request) {
	subject := chi.URLParam(r, "subject")
	ret, ok := h.store.(receipt.Retention)
	if !ok {
		h.fail(w, r, errs.New(errs.Internal, "erasure: the store cannot erase"))
		return
	}
	by := receipt.ErasedByDevice
	scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	switch {
	case scheme == "" || strings.EqualFold(scheme, "Bearer"):
		if !h.service(r) {
			// No credential and a wrong token get one answer, with both
			// challenges.
			n := h.creds.MintNonce(h.cfg.Now())
			w.Header().Add("WWW-Authenticate", `Bearer realm="erasure"`)
			w.Header().Add("WWW-Authenticate", receipt.ProofScheme+` nonce="`+n.Value+`"`)
			h.audit(r.Context(), receipt.ErasedByService, subject, AuditDenied)
			h.fail(w, r, errs.New(errs.Unauthorized, "authorization: the account service's bearer token or a KaiconnProof is required"))
			return
		}
		by = receipt.ErasedByService
	default:
		if _, ok := h.authorize(w, r, subject, false); !ok {
			h.audit(r.Context(), receipt.ErasedByDevice, subject, AuditDenied)
			return
		}
	}
	now := h.cfg.Now()
	e, _, err := ret.Erase(r.Context(), subject, func(tip receipt.Record, n int) (receipt.Ending, error) {
		return h.sealErasure(tip, n, by, now)
	})
	switch {
	case errs.Code(err) == errs.NotFound:
		// Only the account service gets here: a device proof for a
		// subject with no receipt was refused by authorize.
		h.audit(r.Context(), by, subject, AuditNotFound)
		h.fail(w, r, errs.New(errs.NotFound, "subject: no such subject"))
		return
	case err != nil:
		h.fail(w, r, err)
		return
	}
	h.audit(r.Context(), by, subject, AuditOK)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, erasedOf(e))
}

func erasedOf(e receipt.Ending) Erased {
	out := Erased{Subject: e.Subject, Kind: e.Kind, EndedAt: e.EndedAt, HeadHash: e.HeadHash}
	if len(e.Record) > 0 {
		out.Record = json.RawMessage(e.Record)
		out.Hash = e.Hash()
		out.Countersignature = e.Countersig
		out.KeyID = e.KeyID
	}
	return out
}

// sealErasure writes and countersigns the erasure record of a chain whose
// newest record is tip and which holds n receipts.
func (h *handler) sealErasure(tip receipt.Record, n int, by string, now time.Time) (receipt.Ending, error) {
	rec := receipt.Erasure{
		Schema:      receipt.ErasureSchema,
		Subject:     tip.Subject,
		HeadHash:    tip.Hash,
		Receipts:    n,
		ErasedAt:    receipt.FormatTime(now),
		RequestedBy: by,
	}
	raw, err := json.Marshal(rec)
	if err != nil {
		return receipt.Ending{}, err
	}
	canon, err := jcs.Transform(raw)
	if err != nil {
		return receipt.Ending{}, err
	}
	jws, kid, err := h.keys.Countersign(canon)
	if err != nil {
		return receipt.Ending{}, err
	}
	return receipt.Ending{EndedAt: now, HeadHash: tip.Hash, Record: canon, Countersig: jws, KeyID: kid}, nil
}

// service compares the bearer token with the service token in constant
// time, as admin does for the export's.
func (h *handler) service(r *http.Request) bool {
	if h.cfg.ServiceToken == "" {
		return false
	}
	_, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	want := sha256.Sum256([]byte(h.cfg.ServiceToken))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

func (h *handler) audit(ctx context.Context, by, subject, outcome string) {
	if h.auditErase != nil {
		h.auditErase(ctx, by, subject, outcome)
	}
}
