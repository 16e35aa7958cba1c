package components

import "errors"

// The types below are the state the server renders the first-launch gate
// and the privacy settings from. The gate's is also its page data for
// gate.js (#kc-gate); the settings' is handed to the wasm (#kc-state), which
// renders the same state with go-app. They hold texts already in the
// reader's language, so the wasm needs neither the catalogue nor the
// policy (which a server may load from elsewhere than the embedded files).

// Gate modes: what the gate shows.
const (
	GateAsk     = "ask"     // first launch: every optional purpose, none ticked
	GateReask   = "reask"   // a later policy version: only what changed
	GateCurrent = "current" // a decision stands and the quiet period or version says not to ask
	GateDone    = "done"    // a decision was just made; the result page
)

// PurposeView is one purpose as shown to the reader.
type PurposeView struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	SDK         string `json:"sdk,omitempty"`
	Collects    string `json:"collects,omitempty"`
	Use         string `json:"use,omitempty"`
	Recipient   string `json:"recipient,omitempty"`
	PrivacyURL  string `json:"privacyUrl,omitempty"`
	Clause      string `json:"clause,omitempty"`
	// Separate marks 单独同意, separate consent (PIPL arts. 23, 29).
	Separate bool `json:"separate,omitempty"`
	Required bool `json:"required,omitempty"`
	// Granted is the person's own current answer; on the gate it is only
	// ever true when the person ticked it themselves in a form that came
	// back with an error, never as a default.
	Granted bool `json:"granted,omitempty"`
	// Since is when the current answer was given, as YYYY-MM-DD HH:MM UTC;
	// empty when there is no decision.
	Since string `json:"since,omitempty"`
	// Changed marks a purpose re-asked under a later policy version; New
	// one that did not exist in the version the person accepted.
	Changed bool `json:"changed,omitempty"`
	New     bool `json:"new,omitempty"`
}

// GateView is the state of /consent.
type GateView struct {
	Lang          string `json:"lang"`
	Mode          string `json:"mode"`
	PolicyVersion string `json:"policyVersion"`
	// AcceptedVersion is the version the person accepted before, in the
	// re-ask mode.
	AcceptedVersion string        `json:"acceptedVersion,omitempty"`
	Required        PurposeView   `json:"required"`
	Optional        []PurposeView `json:"optional"`
	// Adult is the 18+ confirmation as the person left it.
	Adult bool `json:"adult,omitempty"`
	// Error is a message id shown above the buttons.
	Error        string `json:"error,omitempty"`
	PrivacyURL   string `json:"privacyUrl"`
	AgreementURL string `json:"agreementUrl"`
	SettingsURL  string `json:"settingsUrl"`
	// HostState is the host app's state exactly as it came in ?state=,
	// carried through the form so a POST starts from it.
	HostState string `json:"hostState,omitempty"`
	// Decision is the current decision's kind and date, in the current
	// and done modes.
	Decision  string `json:"decision,omitempty"`
	DecidedAt string `json:"decidedAt,omitempty"`
	// Bridge is the message for the host app on the page that follows a
	// decision, nil everywhere else.
	Bridge *BridgeMessage `json:"bridge,omitempty"`
	// Ticket is the server-minted receipt id of the next decision, posted
	// with it (form field "ticket").
	Ticket string `json:"ticket,omitempty"`
	// ReceiptID is the id Ticket names: the receiptId of the bridge
	// message gate.js sends on a decision, before the server has it.
	ReceiptID string `json:"receiptId,omitempty"`
	// Kept are the answers a re-ask does not ask again, by purpose id:
	// what the accepted decision said of every optional purpose not in
	// Optional. gate.js puts them in the bridge message beside the
	// person's answers, so that it names every purpose.
	Kept map[string]bool `json:"kept,omitempty"`
	// Done lists every optional purpose of PolicyVersion, for the result
	// gate.js shows in place (a re-ask's result names kept grants too).
	// It is rendered into the page's templates, not into #kc-gate.
	Done []PurposeView `json:"-"`
}

// SettingsView is the state of /settings/privacy.
type SettingsView struct {
	Lang          string         `json:"lang"`
	PolicyVersion string         `json:"policyVersion"`
	Required      PurposeView    `json:"required"`
	Optional      []PurposeView  `json:"optional"`
	HasDecision   bool           `json:"hasDecision"`
	History       []HistoryView  `json:"history"`
	PrivacyURL    string         `json:"privacyUrl"`
	GateURL       string         `json:"gateUrl"`
	HostState     string         `json:"hostState,omitempty"`
	Error         string         `json:"error,omitempty"`
	Saved         string         `json:"saved,omitempty"` // the kind of the decision just saved
	Bridge        *BridgeMessage `json:"bridge,omitempty"`
	// Ticket is the server-minted receipt id of the next change, posted
	// with it (form field "ticket").
	Ticket string `json:"ticket,omitempty"`
	// Strings are the page's UI messages in Lang, unfilled
	// (SettingsMessages), in the page's state only: the wasm renders with
	// them and carries no message files.
	Strings map[string]string `json:"strings,omitempty"`
}

// SettingsMessages are the prefixes of the message ids the settings
// component shows: its own, and the few of the gate's it shares.
var SettingsMessages = []string{"settings_", "lang_switch", "skip_to_content",
	"gate_collects", "gate_error_network", "gate_receipt", "gate_recipient",
	"gate_required_note", "gate_sdk_policy", "gate_separate", "gate_use"}

// HistoryView is one past decision.
type HistoryView struct {
	Kind          string   `json:"kind"`
	At            string   `json:"at"`
	PolicyVersion string   `json:"policyVersion"`
	Granted       []string `json:"granted"` // titles of the optional purposes granted
	ReceiptID     string   `json:"receiptId"`
}

// BridgeMessage is the one message the host app receives after every
// decision (README: "First-launch gate, settings and the native bridge"). Purposes holds every purpose of the app,
// required processing included, so the host needs no catalogue.
type BridgeMessage struct {
	Type          string          `json:"type"` // always "consent"
	Decision      string          `json:"decision"`
	PolicyVersion string          `json:"policyVersion"`
	Purposes      map[string]bool `json:"purposes"`
	ReceiptID     string          `json:"receiptId"`
}

// BridgeType is BridgeMessage.Type.
const BridgeType = "consent"

// errNoResponse is the failure of a post that got no answer at all.
var errNoResponse = errors.New("no response")

// errUnknownList is a list page whose kind the server does not know.
var errUnknownList = errors.New("unknown list")
