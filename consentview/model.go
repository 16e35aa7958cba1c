package consentview

import "encoding/json"

// The types below are the state the first-launch gate and the privacy
// settings are rendered from, on the server and in the wasm. The gate's is
// also its page data for gate.js (#kc-gate); the settings' is handed to the
// wasm (#kc-state), which renders the same state with go-app. They hold
// texts already in the reader's language.

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
	// Sensitive are the items the policy calls sensitive personal
	// information, Location those that tell where the person is, as the
	// catalogue flags them (consent.ItemFlag). Necessity is the policy's
	// own words on why the sensitive items are needed (PIPL art. 30); set
	// only when there are sensitive items.
	Sensitive []string `json:"sensitive,omitempty"`
	Location  []string `json:"location,omitempty"`
	Necessity string   `json:"necessity,omitempty"`
	// Separate marks 单独同意, separate consent (PIPL arts. 23, 29).
	Separate bool `json:"separate,omitempty"`
	Required bool `json:"required,omitempty"`
	// Granted is the person's own current answer; on the gate it is only
	// ever true when the person gave it: ticked in a form that came back
	// with an error, stored (the review link, ?open=1), or given to the
	// earlier text of a re-asked purpose (WasGranted). Never a default.
	Granted bool `json:"granted,omitempty"`
	// WasGranted marks, on a re-ask, a changed purpose the person had
	// allowed under the version they accepted: the gate shows its switch
	// on with that said, so keeping the answer takes no more than Agree.
	WasGranted bool `json:"wasGranted,omitempty"`
	// Since is when the current answer was given, RFC 3339 in UTC (settings
	// show it with LocalTime); empty when there is no decision.
	Since string `json:"since,omitempty"`
	// Changed marks a purpose re-asked under a later policy version; New
	// one that did not exist in the version the person accepted.
	Changed bool `json:"changed,omitempty"`
	New     bool `json:"new,omitempty"`
	// Was holds, on a re-ask, the facts of a changed purpose as the version
	// the person decided under stated them; only the facts that differ are
	// set, so the gate marks exactly those.
	Was *PurposeFacts `json:"was,omitempty"`
}

// PurposeFacts are the facts of a purpose a re-ask compares: the data it
// collects, who receives it, and what for.
type PurposeFacts struct {
	Collects  string `json:"collects,omitempty"`
	Use       string `json:"use,omitempty"`
	Recipient string `json:"recipient,omitempty"`
	// Added and Removed are the change of the data list item by item
	// (consent.CollectsChange), set when Collects is: the gate shows
	// these rather than the old list.
	Added   []string `json:"added,omitempty"`
	Removed []string `json:"removed,omitempty"`
}

// ContactView is the contact of the people in charge of personal
// information, as the policy's contact block states it.
type ContactView struct {
	Title   string `json:"title"` // the policy's own name for the block
	Email   string `json:"email"`
	Phone   string `json:"phone"`
	Tel     string `json:"tel"` // Phone as a tel: URL that dials (policy.ContactDetails.Tel)
	Address string `json:"address"`
	Reply   string `json:"reply,omitempty"`
	URL     string `json:"url"` // the block in the policy
}

// GateView is the state of /consent, rendered by the server only: the gate
// has no wasm component, and web/static/gate.js reads GateScript.
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
	// ReceiptID is the ticket's receipt id: the id of the bridge message
	// gate.js sends at the tap.
	ReceiptID string `json:"receiptId,omitempty"`
	// SensitiveImpact is the policy's statement of what sensitive personal
	// information may do to a person (PIPL art. 30), quoted; SensitiveURL
	// is where the policy says it.
	SensitiveImpact string `json:"sensitiveImpact,omitempty"`
	SensitiveURL    string `json:"sensitiveUrl,omitempty"`
	// Minors is policy section 6's sentence on minors, word for word.
	Minors string `json:"minors,omitempty"`
	// Contact is the contact block of the policy version asked about.
	Contact *ContactView `json:"contact,omitempty"`
	// Purposes is every purpose id of the version asked about, required
	// processing included, in display order.
	Purposes []string `json:"purposes,omitempty"`
	// Current is, on a re-ask, the answer that stays for every purpose not
	// asked again.
	Current map[string]bool `json:"current,omitempty"`
	// Review marks the ask mode opened on a decision that stands (the
	// review link, ?open=1): the switches show the stored answers, and the
	// buttons' hint names what Disagree would turn off.
	Review bool `json:"review,omitempty"`
	// Kept are the titles of the optional purposes a re-ask keeps on
	// whatever the answer, so the screen can say so.
	Kept []string `json:"kept,omitempty"`
	// Decisions are, in the ask and re-ask modes, the kind of the
	// decision each button makes (ActionAgree, ActionDecline → "agreed",
	// "declined", "withdrawn"), resolved by the gate's one rule
	// (Catalogues.GateDecision).
	Decisions map[string]string `json:"decisions,omitempty"`
	// Off are the optional purposes that stay off, on the done page.
	Off []PurposeView `json:"off,omitempty"`
	// AllOptional is every optional purpose of the version, for the result
	// gate.js shows in place.
	AllOptional []PurposeView `json:"-"`
	// RenderedFor marks a page rendered without any state (RenderedNone):
	// the wasm renders it again when the host hands one over (?state=).
	RenderedFor string `json:"renderedFor,omitempty"`
	// Strings are the gate's UI messages in Lang, unfilled (GateMessages),
	// on a page rendered without state only: the wasm renders with them.
	Strings map[string]string `json:"strings,omitempty"`
	// Catalogues are the server's catalogues (Catalogues as JSON), on a
	// page rendered without state whose server's catalogues are not those
	// the wasm carries (Shipped): a newer policy, say.
	Catalogues json.RawMessage `json:"catalogues,omitempty"`
}

// GateScript is what the gate page hands web/static/gate.js
// (<script type="application/json" id="kc-gate">): enough to build the
// bridge message at the tap, without the server and without the wasm.
type GateScript struct {
	V             int    `json:"v"` // the bridge contract version the page speaks
	Mode          string `json:"mode"`
	Lang          string `json:"lang"`
	PolicyVersion string `json:"policyVersion"`
	// AcceptedVersion is the version of the decision a re-ask starts from.
	AcceptedVersion string `json:"acceptedVersion,omitempty"`
	Required        string `json:"required"`
	// Purposes is every purpose of the version; Asked the optional ones
	// with a box on the page; Current the answers that stay on a re-ask.
	Purposes []string        `json:"purposes"`
	Asked    []string        `json:"asked"`
	Current  map[string]bool `json:"current,omitempty"`
	// Decisions is GateView.Decisions: the bridge message's decision for
	// each button, which gate.js reads rather than decides.
	Decisions map[string]string `json:"decisions"`
	Ticket    string            `json:"ticket,omitempty"`
	ReceiptID string            `json:"receiptId,omitempty"`
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
	// PolicyVersion above is the version the current decision was made
	// under, "" without a decision; LatestVersion is the version in force.
	LatestVersion string `json:"latestVersion"`
	// Decision is the current decision's kind and DecidedAt its time,
	// RFC 3339 in UTC; both "" without a decision.
	Decision  string `json:"decision,omitempty"`
	DecidedAt string `json:"decidedAt,omitempty"`
	// Strings are the page's UI messages in Lang, unfilled
	// (SettingsMessages), in the page's state only: the wasm renders with
	// them and carries no message files.
	Strings map[string]string `json:"strings,omitempty"`
	// RenderedFor and Catalogues are GateView's.
	RenderedFor string          `json:"renderedFor,omitempty"`
	Catalogues  json.RawMessage `json:"catalogues,omitempty"`
}

// RenderedNone is the marker (GateView.RenderedFor, data-rendered-for) of a
// page rendered without any state: no ?state=, no cookie. Such a page is
// right for a first launch; for any other, the wasm renders the view of the
// host's state in its place.
const RenderedNone = "none"

// GateMessages are the prefixes of the message ids the gate shows, which a
// page rendered without state hands the wasm.
var GateMessages = []string{"gate_", "badge_", "lang_switch"}

// SettingsMessages are the prefixes of the message ids the settings
// component shows: its own, and the few of the gate's it shares.
var SettingsMessages = []string{"settings_", "badge_", "lang_switch", "skip_to_content",
	"gate_collects", "gate_error_network", "gate_receipt", "gate_recipient",
	"gate_required_note", "gate_sdk_policy", "gate_separate", "gate_use"}

// HistoryView is one past decision.
type HistoryView struct {
	Kind          string   `json:"kind"`
	At            string   `json:"at"` // RFC 3339 in UTC
	PolicyVersion string   `json:"policyVersion"`
	Granted       []string `json:"granted"` // titles of the optional purposes granted
	ReceiptID     string   `json:"receiptId"`
}

// BridgeMessage is the one message the host app receives after every
// decision (docs/bridge.md). Purposes holds every purpose of the app,
// required processing included, so the host needs no catalogue.
type BridgeMessage struct {
	// V is the contract version, BridgeVersion; version 1 had no field.
	V             int             `json:"v"`
	Type          string          `json:"type"` // always "consent"
	Decision      string          `json:"decision"`
	PolicyVersion string          `json:"policyVersion"`
	Purposes      map[string]bool `json:"purposes"`
	ReceiptID     string          `json:"receiptId"`
	// At is when the person decided, RFC 3339 in UTC with milliseconds.
	// The host hands it back in ?state=, which lets the gate keep the
	// 48-hour quiet period after a refusal.
	At string `json:"at"`
}

// BridgeType is BridgeMessage.Type.
const BridgeType = "consent"

// BridgeVersion is the version of the bridge contract pages speak now
// (docs/bridge.md): 2 added "v" and "at".
const BridgeVersion = 2

// BridgeTime formats a decision time as BridgeMessage.At does.
const BridgeTime = "2006-01-02T15:04:05.000Z07:00"
