package consentview

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/lang/texts"
)

// Decision is a decision with the id of its receipt: one entry of a
// person's history, newest first, as the cookie or the host app holds it.
type Decision struct {
	consent.Decision
	ReceiptID string
}

// Catalogues are the catalogues of every policy version a decision may have
// been made under, and the latest, which the gate asks about.
type Catalogues struct {
	ByVersion map[string]*consent.Catalogue
	Latest    *consent.Catalogue
}

// catalogues is Catalogues as JSON (catalogues.json).
type catalogues struct {
	Latest     string               `json:"latest"`
	Catalogues []*consent.Catalogue `json:"catalogues"`
}

// MarshalJSON writes every catalogue, oldest first, and which is the latest.
func (c *Catalogues) MarshalJSON() ([]byte, error) {
	out := catalogues{Latest: c.Latest.Version()}
	for _, v := range slices.Sorted(maps.Keys(c.ByVersion)) {
		out.Catalogues = append(out.Catalogues, c.ByVersion[v])
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON wrote, each catalogue validated.
func (c *Catalogues) UnmarshalJSON(b []byte) error {
	var in catalogues
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	n := Catalogues{ByVersion: map[string]*consent.Catalogue{}}
	for _, cat := range in.Catalogues {
		n.ByVersion[cat.Version()] = cat
	}
	if n.Latest = n.ByVersion[in.Latest]; n.Latest == nil {
		return errs.New(errs.Invalid, "catalogues: no catalogue for the latest version %q", in.Latest)
	}
	*c = n
	return nil
}

// MaxHostState bounds the ?state= a page is willing to decode at all.
const MaxHostState = 3500

// ParseHostState decodes ?state= strictly: base64url (padding optional) of
// one JSON object, purposes known to its policy version, required
// processing not refused, a time not in the future. Anything else is
// refused as a whole: the page then falls back to what else it knows.
func (c *Catalogues) ParseHostState(v string, now time.Time) (*Decision, error) {
	if len(v) > MaxHostState {
		return nil, errs.New(errs.Invalid, "state: too long")
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(v, "="))
	if err != nil {
		return nil, errs.New(errs.Invalid, "state: not base64url")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	// The state is the last bridge message the host received, handed back
	// as it was (docs/bridge.md §2): the one struct of that message, for
	// both directions (version 1 had no v and no at).
	var st BridgeMessage
	if err := dec.Decode(&st); err != nil || dec.More() {
		return nil, errs.New(errs.Invalid, "state: not a consent state object")
	}
	if st.V < 0 || st.V > BridgeVersion {
		return nil, errs.New(errs.Invalid, "state: version %d", st.V)
	}
	if st.Type != "" && st.Type != BridgeType {
		return nil, errs.New(errs.Invalid, "state: type %q", st.Type)
	}
	if !slices.Contains(consent.Kinds, consent.Kind(st.Decision)) {
		return nil, errs.New(errs.Invalid, "state: decision %q", st.Decision)
	}
	cat, ok := c.ByVersion[st.PolicyVersion]
	if !ok {
		return nil, errs.New(errs.Invalid, "state: policyVersion %q", st.PolicyVersion)
	}
	if st.ReceiptID != "" && !ValidReceiptID(st.ReceiptID) {
		return nil, errs.New(errs.Invalid, "state: receiptId")
	}
	var at time.Time
	if st.At != "" {
		if at, err = time.Parse(time.RFC3339, st.At); err != nil || at.After(now.Add(5*time.Minute)) {
			return nil, errs.New(errs.Invalid, "state: at")
		}
	}
	var granted []consent.PurposeID
	for id, on := range st.Purposes {
		p, ok := cat.Purpose(consent.SurfaceFirstLaunch, consent.PurposeID(id))
		if !ok {
			return nil, errs.New(errs.Invalid, "state: purposes: unknown purpose %q", id)
		}
		if p.Required && !on {
			return nil, errs.New(errs.Invalid, "state: purposes: %q is required", id)
		}
		if on && !p.Required {
			granted = append(granted, p.ID)
		}
	}
	slices.Sort(granted)
	d, err := consent.Agree(cat, consent.SurfaceSettings, granted, texts.ZhHans, at)
	if err != nil {
		return nil, err
	}
	d.Kind = consent.Kind(st.Decision)
	return &Decision{Decision: d, ReceiptID: st.ReceiptID}, nil
}

// ValidReceiptID accepts the canonical lower-case form uuid.NewString
// writes, and nothing looser.
func ValidReceiptID(s string) bool {
	u, err := uuid.Parse(s)
	return err == nil && len(s) == 36 && u.String() == s
}

// Decisions are the decisions of a history, without their receipt ids.
func Decisions(h []Decision) []consent.Decision {
	out := make([]consent.Decision, len(h))
	for i, d := range h {
		out[i] = d.Decision
	}
	return out
}

// Bridge is the message for the host app about decision d (docs/bridge.md,
// version 2).
func Bridge(d Decision) *BridgeMessage {
	m := &BridgeMessage{
		V:             BridgeVersion,
		Type:          BridgeType,
		Decision:      string(d.Kind),
		PolicyVersion: d.PolicyVersion,
		Purposes:      map[string]bool{},
		ReceiptID:     d.ReceiptID,
		At:            d.At.UTC().Format(BridgeTime),
	}
	for _, c := range d.Choices {
		m.Purposes[string(c.Purpose)] = c.Granted
	}
	return m
}
