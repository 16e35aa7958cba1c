package consentreceipt

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/notice"
	"github.com/kaiconn/consent/receipt"
)

// Head is what the subject's previous receipt said, as far as the content
// check needs it: which surface it was taken on, and so for which audience,
// and the state of each purpose.
type Head struct {
	Surface string            // receipt.surface of the previous receipt
	States  map[string]string // purpose id -> given, refused, withdrawn or necessary
}

// HeadOf returns the Head of the subject's previous receipt r.
func HeadOf(r *receipt.Receipt) *Head {
	return &Head{Surface: r.Surface, States: r.States()}
}

// gave tells whether the head, taken on the audience of surface, gave
// purpose id. A head on the other audience gave nothing of this one: the
// app's "analytics" is not the website's.
func (h *Head) gave(surface consent.Surface, id string) bool {
	return h != nil && SameAudience(consent.Surface(h.Surface), surface) && h.States[id] == receipt.StateGiven
}

// Check compares receipt r, well-formed (Decode or Sign passed), with what
// catalogue cat says a receipt of its policy version, language, surface,
// decision and purpose states must say, and refuses anything else with
// errs.Unprocessable and a message that names the member, such as
// "receipt.purposes[3].recipient: not the catalogue's recipient". The server
// runs it before it countersigns, so that it never vouches for a text,
// recipient or state the person was not shown. head is what the subject's
// previous receipt said (HeadOf), nil when the subject has none; now is the
// server's clock.
//
// The rules:
//   - the policy version is cat's and issuedAt is within [now − 30 days,
//     now + 5 minutes] (receipt.DefaultMaxAge, receipt.DefaultMaxSkew);
//   - the purposes are those of the surface's audience, all of them, each
//     once, in id order (the order of consent.Decision.Choices);
//   - required processing is necessary in kaiconn-receipt/3, given in /1
//     and /2 (which have no other state for it), and only required
//     processing is necessary; a declined decision gives no optional
//     purpose; a withdrawal gives no purpose the head did not give; a
//     purpose is withdrawn only when the head gave it;
//   - a given purpose expires at issuedAt + Validity, and only a given
//     purpose has an expiry;
//   - kaiconn-receipt/1: the controller, and each purpose's recipient, data
//     categories, consent type, withdrawal text and URL, exactly as the
//     catalogue has them in the receipt's language, and its time equal to
//     issuedAt;
//   - kaiconn-receipt/2 and /3: the notice is the catalogue's shown notice of the
//     surface's audience in the receipt's language (notice.For), which
//     names the controller, withdrawal and purpose notices in turn;
//   - confirmed facts (kaiconn-receipt/2 and /3 only) are facts the catalogue
//     declares for the receipt's surface, in id order, and only on an
//     agreed decision: a person who declines confirms nothing. The shown
//     notice the receipt names lists the statement of each (notice.Shown.
//     Confirmations), so the receipt proves what was confirmed. A receipt
//     need not confirm anything: a surface may be taken without one.
//
// The policy text hash is the Validator's to check, against the policy
// library.
func Check(cat *consent.Catalogue, r *receipt.Receipt, head *Head, now time.Time) error {
	surface := consent.Surface(r.Surface)
	switch {
	case r.Policy.Version != cat.Version():
		return unprocessable("receipt.policy.version", "%q is not the catalogue's version %q", r.Policy.Version, cat.Version())
	case surface.Validate() != nil:
		return unprocessable("receipt.surface", "unknown surface %q", r.Surface)
	case !slices.Contains(consent.Languages, r.Language):
		return unprocessable("receipt.language", "the catalogue has no texts in %q", r.Language)
	case r.Schema != receipt.SchemaV1 && !r.NamesNotice():
		return unprocessable("receipt.schema", "unknown schema %q", r.Schema)
	}
	v2 := r.NamesNotice()

	issued, err := time.Parse(time.RFC3339Nano, r.IssuedAt)
	switch {
	case err != nil:
		return unprocessable("receipt.issuedAt", "not an RFC 3339 time")
	case issued.After(now.Add(receipt.DefaultMaxSkew)):
		return unprocessable("receipt.issuedAt", "more than %s in the future", receipt.DefaultMaxSkew)
	case issued.Before(now.Add(-receipt.DefaultMaxAge)):
		return unprocessable("receipt.issuedAt", "older than %d days", int(receipt.DefaultMaxAge/(24*time.Hour)))
	}

	if v2 {
		// One reference covers every text: the shown notice lists the
		// controller, the withdrawal notice and each purpose's notice, and
		// the purposes it lists are the ones checkPurposeIDs holds the
		// receipt to.
		if want := notice.For(cat, surface, r.Language); r.Notice != want {
			return unprocessable("receipt.notice", "not the catalogue's notice of what %s shows in %s under policy %s (%s)", surface, r.Language, cat.Version(), want)
		}
	} else if r.Controller != receipt.Kaiconn {
		return unprocessable("receipt.controller", "not this controller")
	}
	if err := checkConfirmed(cat, r, surface, v2); err != nil {
		return err
	}

	if err := checkPurposeIDs(cat, surface, r.Purposes); err != nil {
		return err
	}
	expires := issued.Add(Validity)
	for i, p := range r.Purposes {
		cp, _ := cat.Purpose(surface, consent.PurposeID(p.ID))
		at := fmt.Sprintf("receipt.purposes[%d]", i)
		if err := checkState(at, cp, p, r, head, surface); err != nil {
			return err
		}
		switch {
		case p.State == receipt.StateGiven && p.ExpiresAt == "":
			return unprocessable(at+".expiresAt", "must be set when the state is given")
		case p.State == receipt.StateGiven:
			t, err := time.Parse(time.RFC3339Nano, p.ExpiresAt)
			if err != nil || !t.Equal(expires) {
				return unprocessable(at+".expiresAt", "must be issuedAt + %d days (%s)", int(Validity/(24*time.Hour)), receipt.FormatTime(expires))
			}
		case p.ExpiresAt != "":
			return unprocessable(at+".expiresAt", "only a given purpose has an expiry")
		}
		if !v2 {
			if err := checkTextsV1(at, cp, p, r); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkConfirmed holds the receipt's confirmed facts to the catalogue's
// facts of its surface; it names the first fact that is undeclared,
// declared for another surface, out of order or on a decision other than an
// agreement.
func checkConfirmed(cat *consent.Catalogue, r *receipt.Receipt, surface consent.Surface, v2 bool) error {
	if len(r.Confirmed) == 0 {
		return nil
	}
	if !v2 {
		return unprocessable("receipt.confirmed", "only a kaiconn-receipt/2 receipt records confirmed facts")
	}
	if r.Decision != receipt.DecisionAgreed {
		return unprocessable("receipt.confirmed", "a %s decision confirms no fact; facts are confirmed only by agreeing", r.Decision)
	}
	for i, id := range r.Confirmed {
		at := fmt.Sprintf("receipt.confirmed[%d]", i)
		if _, ok := cat.Fact(surface, id, r.Language); !ok {
			if on := cat.FactSurfaces(id); len(on) > 0 {
				return unprocessable(at, "fact %q is confirmed on %s under policy %s, not on %s", id, joinSurfaces(on), cat.Version(), surface)
			}
			return unprocessable(at, "policy %s declares no fact %q", cat.Version(), id)
		}
		if i > 0 && r.Confirmed[i-1] >= id {
			return unprocessable(at, "out of order: facts are listed in id order, each once")
		}
	}
	return nil
}

func joinSurfaces(ss []consent.Surface) string {
	names := make([]string, len(ss))
	for i, s := range ss {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

// checkPurposeIDs checks that ps are the purposes of surface, each once, in
// id order; it names the first that is foreign, twice, missing or out of
// place.
func checkPurposeIDs(cat *consent.Catalogue, surface consent.Surface, ps []receipt.Purpose) error {
	want := consent.Blank(cat, surface) // one choice per purpose, in id order
	seen := map[string]bool{}
	for i, p := range ps {
		at := fmt.Sprintf("receipt.purposes[%d].id", i)
		if _, ok := cat.Purpose(surface, consent.PurposeID(p.ID)); !ok {
			return unprocessable(at, "%q is not a purpose of surface %s under policy %s", p.ID, surface, cat.Version())
		}
		if seen[p.ID] {
			return unprocessable(at, "purpose %q is listed twice", p.ID)
		}
		seen[p.ID] = true
	}
	for _, c := range want {
		if !seen[string(c.Purpose)] {
			return unprocessable("receipt.purposes", "purpose %q is missing: a receipt lists every purpose of surface %s", string(c.Purpose), surface)
		}
	}
	for i, c := range want {
		if ps[i].ID != string(c.Purpose) {
			return unprocessable(fmt.Sprintf("receipt.purposes[%d].id", i), "out of order: want %q here; purposes are listed in id order", string(c.Purpose))
		}
	}
	return nil
}

// checkState applies the rules of the format, of a decision's kind and of
// the head to the state of purpose p of receipt r.
func checkState(at string, cp consent.Purpose, p receipt.Purpose, r *receipt.Receipt, head *Head, surface consent.Surface) error {
	headGave := head.gave(surface, p.ID)
	decision := r.Decision
	necessary := r.Schema == receipt.SchemaV3
	switch {
	case cp.Required && necessary && p.State != receipt.StateNecessary:
		return unprocessable(at+".state", "%q is required processing, which rests on its necessity for the service, not on consent: its state is necessary", p.ID)
	case cp.Required && !necessary && p.State != receipt.StateGiven:
		return unprocessable(at+".state", "%q is required processing and is always given", p.ID)
	case cp.Required:
		return nil
	case p.State == receipt.StateNecessary:
		return unprocessable(at+".state", "%q is optional: only required processing is necessary, the rest needs consent", p.ID)
	case p.State == receipt.StateGiven && decision == receipt.DecisionDeclined:
		return unprocessable(at+".state", "a declined decision gives no optional purpose")
	case p.State == receipt.StateGiven && decision == receipt.DecisionWithdrawn && !headGave:
		return unprocessable(at+".state", "a withdrawal gives no purpose the subject's previous receipt did not give")
	case p.State == receipt.StateWithdrawn && !headGave:
		return unprocessable(at+".state", "withdrawn, but the subject's previous receipt on this audience did not give it")
	}
	return nil
}

// checkTextsV1 compares what a kaiconn-receipt/1 purpose inlines with the
// catalogue.
func checkTextsV1(at string, cp consent.Purpose, p receipt.Purpose, r *receipt.Receipt) error {
	switch {
	case p.Recipient != notice.Recipient(cp, r.Language):
		return unprocessable(at+".recipient", "not the catalogue's recipient")
	case !slices.Equal(p.DataCategories, notice.DataCategories(cp, r.Language)):
		return unprocessable(at+".dataCategories", "not the catalogue's data categories")
	case p.ConsentType != string(cp.ConsentType):
		return unprocessable(at+".consentType", "the catalogue asks %s", string(cp.ConsentType))
	case p.Withdraw.Text != notice.PurposeWithdrawText(cp, r.Language):
		return unprocessable(at+".withdraw.text", "not the catalogue's withdrawal text")
	case p.Withdraw.URL != receipt.WithdrawURL:
		return unprocessable(at+".withdraw.url", "must be %q", receipt.WithdrawURL)
	case p.Time != r.IssuedAt:
		return unprocessable(at+".time", "must equal issuedAt")
	}
	return nil
}

func unprocessable(member, format string, args ...any) error {
	return errs.New(errs.Unprocessable, "%s: %s", member, fmt.Sprintf(format, args...))
}
