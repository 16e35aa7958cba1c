package consentview

import (
	"time"

	"github.com/kaiconn/consent/consent"
)

// The gate's buttons: the values of its form's field "action".
const (
	ActionAgree   = "agree"
	ActionDecline = "decline"
)

// GateActions are the gate's buttons, in the order GateView.Decisions is
// filled.
var GateActions = []string{ActionAgree, ActionDecline}

// GateForm is what a gate form says: the button pressed, whether it was
// the re-ask's form (field mode=reask), the purposes ticked and the 18+
// confirmation.
type GateForm struct {
	Action string
	Reask  bool
	Ticked []consent.PurposeID
	Adult  bool
}

// GateDecision is the decision a gate form asks for, under the person's
// history (newest first): on a re-ask (the re-ask's form, and the newest
// decision is under an older version than the latest) only the purposes
// asked again change, whichever button was pressed; otherwise Agree grants
// exactly the ticked purposes and Disagree refuses every optional one. A
// re-ask does not ask 18+ again: the person confirmed it when they first
// agreed. failure is the message id of what is wrong with the form, err
// the reason behind gate_error_purpose.
//
// It is the gate's one rule: the server's gate post and its order endpoint
// for the app bundle decide with it, and Gate resolves with it, before any
// tap, the kind each button's decision will have (GateView.Decisions),
// which gate.js puts in the bridge message without deciding anything.
func (c *Catalogues) GateDecision(f GateForm, history []Decision, l string, now time.Time) (d consent.Decision, failure string, err error) {
	var prev *Decision
	var prevCat *consent.Catalogue
	if f.Reask && len(history) > 0 {
		if cat, ok := c.ByVersion[history[0].PolicyVersion]; ok && history[0].PolicyVersion < c.Latest.Version() {
			prev, prevCat = &history[0], cat
		}
	}
	switch {
	case f.Action == ActionDecline && prev != nil:
		// Disagree refuses what is asked again and keeps every other
		// answer, as the re-ask says. It turns nothing on, so it is a
		// withdrawal when something stays on, a decline otherwise.
		if d, err = consent.Reagree(prevCat, c.Latest, prev.Decision, consent.SurfaceFirstLaunch, nil, l, now); err == nil {
			d.Kind = refusalKind(d)
		}
	case f.Action == ActionDecline:
		d, err = consent.Decline(c.Latest, consent.SurfaceFirstLaunch, l, now)
	case f.Action == ActionAgree && prev != nil:
		d, err = consent.Reagree(prevCat, c.Latest, prev.Decision, consent.SurfaceFirstLaunch, f.Ticked, l, now)
	case f.Action == ActionAgree:
		if !f.Adult {
			return d, "gate_error_adult", nil
		}
		d, err = consent.Agree(c.Latest, consent.SurfaceFirstLaunch, f.Ticked, l, now)
		d.Confirmed = []string{consent.FactAge18} // adult=1, required above: the person confirmed policy §6's fact
	default:
		return d, "gate_error_action", nil
	}
	if err != nil {
		return d, "gate_error_purpose", err
	}
	return d, "", nil
}

// refusalKind is the kind of a Disagree that leaves d's grants: declined
// when no optional purpose stays on, withdrawn otherwise (a receipt of a
// decline gives no optional purpose).
func refusalKind(d consent.Decision) consent.Kind {
	for _, c := range d.Choices {
		if c.Granted && !c.Required {
			return consent.KindWithdrawn
		}
	}
	return consent.KindDeclined
}

// gateDecisions resolves, for a gate that asks (reask: the re-ask's form),
// the kind of the decision each button makes, by GateDecision itself.
// Neither depends on what the person ticks: Agree agrees whatever is
// ticked, and Disagree ticks nothing. So the page can carry the kinds, and
// the bridge message sent at the tap needs no rule of its own.
func (c *Catalogues) gateDecisions(history []Decision, reask bool, l string, now time.Time) map[string]string {
	out := map[string]string{}
	for _, a := range GateActions {
		if d, failure, _ := c.GateDecision(GateForm{Action: a, Reask: reask, Adult: true}, history, l, now); failure == "" {
			out[a] = string(d.Kind)
		}
	}
	return out
}
