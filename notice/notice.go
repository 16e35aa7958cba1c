package notice

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"sync"

	"github.com/gowebpki/jcs"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/receipt"
)

// Kinds of notice, the member "kind" of every notice document.
const (
	KindShown      = "shown"
	KindPurpose    = "purpose"
	KindWithdrawal = "withdrawal"
	KindController = "controller"
)

// Audiences a catalogue purpose belongs to (consent.Purpose.Audience).
const (
	AudienceApp = consent.AudienceApp
	AudienceWeb = consent.AudienceWeb
)

// Audience returns the audience whose purposes surface shows
// (consent.Surface.Audience).
func Audience(surface consent.Surface) string { return surface.Audience() }

// Notice is a notice document: Shown, Purpose, Withdrawal or Controller.
type Notice interface {
	// NoticeKind is the document's kind member.
	NoticeKind() string
}

// Shown is the notice of everything a surface shows in one language under
// one policy version: the controller, how to withdraw, every purpose of its
// audience, each named by the reference of its own notice, and the
// statements a person may confirm there. It is the one notice a
// kaiconn-receipt/2 receipt names, so a receipt's confirmed facts are
// proven by the statements it lists. The app's first-launch dialog and its
// settings show the same purposes; settings asks no confirmation, so its
// notice lists none and is the very notice both shared before facts were
// declared.
type Shown struct {
	Kind       string         `json:"kind"` // KindShown
	Version    string         `json:"version"`
	Audience   string         `json:"audience"` // "app" or "web"
	Language   string         `json:"language"`
	Controller string         `json:"controller"` // reference of the Controller notice
	Withdrawal string         `json:"withdrawal"` // reference of the Withdrawal notice in Language
	Purposes   []ShownPurpose `json:"purposes"`   // every purpose of the audience, in id order
	// Confirmations are the facts the surface asks the person to confirm,
	// in id order, each with its statement in Language; omitted for none.
	Confirmations []ShownConfirmation `json:"confirmations,omitempty"`
}

// ShownPurpose is one purpose of a Shown notice.
type ShownPurpose struct {
	ID     string `json:"id"`
	Notice string `json:"notice"` // reference of the Purpose notice
}

// ShownConfirmation is one fact of a Shown notice: the id a receipt lists
// in "confirmed" and the statement the person was shown beside it.
type ShownConfirmation struct {
	ID        string `json:"id"`
	Statement string `json:"statement"`
}

// Confirms reports whether the notice lists fact id.
func (n Shown) Confirms(id string) bool {
	for _, c := range n.Confirmations {
		if c.ID == id {
			return true
		}
	}
	return false
}

// Withdraw is how a purpose is withdrawn, as a kaiconn-receipt/1 receipt
// carried it inline.
type Withdraw struct {
	Text string `json:"text"`
	URL  string `json:"url"`
}

// Purpose is the notice of one purpose of one policy version, in one
// language: everything a kaiconn-receipt/1 receipt said of the purpose
// besides its state, and the texts the person was shown about it. Members
// the catalogue leaves empty are omitted.
type Purpose struct {
	Kind           string   `json:"kind"` // KindPurpose
	Version        string   `json:"version"`
	Audience       string   `json:"audience"` // "app" or "web"
	ID             string   `json:"id"`
	Language       string   `json:"language"`
	Title          string   `json:"title"`
	Required       bool     `json:"required"`
	ConsentType    string   `json:"consentType"`
	Recipient      string   `json:"recipient"`
	DataCategories []string `json:"dataCategories"`
	Use            string   `json:"use,omitempty"`
	SDK            string   `json:"sdk,omitempty"`
	PrivacyURL     string   `json:"privacyUrl,omitempty"`
	Cookies        []string `json:"cookies,omitempty"`
	Withdraw       Withdraw `json:"withdraw"`
}

// Withdrawal is the notice of how consent is withdrawn, in one language.
type Withdrawal struct {
	Kind         string `json:"kind"` // KindWithdrawal
	Language     string `json:"language"`
	URL          string `json:"url"`
	Text         string `json:"text"`         // for an optional purpose
	RequiredText string `json:"requiredText"` // for the required processing
}

// Controller is the notice of the personal information handler.
type Controller struct {
	Kind    string `json:"kind"` // KindController
	Name    string `json:"name"`
	Address string `json:"address"`
	Email   string `json:"email"`
}

func (Shown) NoticeKind() string      { return KindShown }
func (Purpose) NoticeKind() string    { return KindPurpose }
func (Withdrawal) NoticeKind() string { return KindWithdrawal }
func (Controller) NoticeKind() string { return KindController }

// NewPurpose returns the notice of catalogue purpose p of policy version, in
// lang.
func NewPurpose(version string, p consent.Purpose, lang string) Purpose {
	return Purpose{
		Kind:           KindPurpose,
		Version:        version,
		Audience:       p.Audience,
		ID:             string(p.ID),
		Language:       lang,
		Title:          p.Title.In(lang),
		Required:       p.Required,
		ConsentType:    string(p.ConsentType),
		Recipient:      Recipient(p, lang),
		DataCategories: DataCategories(p, lang),
		Use:            p.Use.In(lang),
		SDK:            p.SDK.In(lang),
		PrivacyURL:     p.PrivacyURL,
		Cookies:        slices.Clone(p.Cookies),
		Withdraw:       Withdraw{Text: PurposeWithdrawText(p, lang), URL: receipt.WithdrawURL},
	}
}

// NewWithdrawal returns the withdrawal notice in lang.
func NewWithdrawal(lang string) Withdrawal {
	return Withdrawal{
		Kind:         KindWithdrawal,
		Language:     lang,
		URL:          receipt.WithdrawURL,
		Text:         WithdrawText(lang),
		RequiredText: RequiredText(lang),
	}
}

// NewController returns the notice of controller c; receipt.Kaiconn is the
// one every receipt names.
func NewController(c receipt.Controller) Controller {
	return Controller{Kind: KindController, Name: c.Name, Address: c.Address, Email: c.Email}
}

// NewShown returns the notice of everything surface shows in lang under
// cat: its purposes in id order, the order of a receipt's purposes
// (consent.Decision.Choices), and the facts it asks to be confirmed.
func NewShown(cat *consent.Catalogue, surface consent.Surface, lang string) Shown {
	ps := cat.Purposes(surface)
	slices.SortFunc(ps, func(a, b consent.Purpose) int { return strings.Compare(string(a.ID), string(b.ID)) })
	n := Shown{
		Kind:       KindShown,
		Version:    cat.Version(),
		Audience:   Audience(surface),
		Language:   lang,
		Controller: ControllerRef(),
		Withdrawal: WithdrawalRef(lang),
		Purposes:   make([]ShownPurpose, 0, len(ps)),
	}
	for _, p := range ps {
		n.Purposes = append(n.Purposes, ShownPurpose{ID: string(p.ID), Notice: PurposeRef(cat.Version(), p, lang)})
	}
	for _, f := range cat.Facts(surface, lang) {
		n.Confirmations = append(n.Confirmations, ShownConfirmation{ID: f.ID, Statement: f.Statement})
	}
	return n
}

// Canonical returns JCS(n), the bytes its reference is the hash of.
func Canonical(n Notice) []byte {
	b, err := json.Marshal(n)
	if err != nil {
		// Notices hold strings, booleans and arrays of strings only.
		panic("notice: " + err.Error())
	}
	c, err := jcs.Transform(b)
	if err != nil {
		panic("notice: " + err.Error())
	}
	return c
}

// Ref returns the reference of n: the lowercase hex SHA-256 of JCS(n).
func Ref(n Notice) string { return HashBytes(Canonical(n)) }

// HashBytes returns the lowercase hex SHA-256 of canonical notice bytes.
func HashBytes(canonical []byte) string {
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:])
}

// All returns every notice that receipts under catalogue cat can name: the
// shown notice of each surface in each language and every notice it lists
// (each purpose of each audience in each language, the withdrawal notice in
// each language and the controller notice), each once, sorted by reference.
func All(cat *consent.Catalogue) []Notice {
	var ns []Notice
	seen := map[string]bool{}
	add := func(n Notice) {
		// The app's surfaces list the same purpose notices, and two
		// surfaces asking the same facts share their shown notice.
		if ref := Ref(n); !seen[ref] {
			seen[ref] = true
			ns = append(ns, n)
		}
	}
	for _, surface := range consent.Surfaces {
		ps := cat.Purposes(surface)
		if len(ps) == 0 {
			continue // a catalogue without web purposes shows no banner
		}
		for _, lang := range consent.Languages {
			add(NewShown(cat, surface, lang))
			for _, p := range ps {
				add(NewPurpose(cat.Version(), p, lang))
			}
		}
	}
	for _, lang := range consent.Languages {
		add(NewWithdrawal(lang))
	}
	add(NewController(receipt.Kaiconn))
	slices.SortFunc(ns, func(a, b Notice) int { return strings.Compare(Ref(a), Ref(b)) })
	return ns
}

// For returns the reference of the shown notice of surface in lang under
// cat (NewShown): the notice a kaiconn-receipt/2 receipt taken there names.
// References are remembered: hashing a notice means canonicalising its
// texts, the costliest step of taking a receipt in, and the server checks
// every receipt against them.
func For(cat *consent.Catalogue, surface consent.Surface, lang string) string {
	// The key names the catalogue content the notice is built from: the
	// version, the audience, the language, the surface's facts and each
	// purpose's content hash.
	// A purpose built by hand has none, and its notice is not remembered.
	var key strings.Builder
	key.WriteString(cat.Version() + "\x00" + Audience(surface) + "\x00" + lang)
	for _, f := range cat.Facts(surface, lang) {
		key.WriteString("\x00fact\x00" + f.ID + "\x00" + f.Statement)
	}
	for _, p := range cat.Purposes(surface) {
		if p.Hash == "" {
			return Ref(NewShown(cat, surface, lang))
		}
		key.WriteString("\x00" + p.Hash)
	}
	if ref, ok := shownRefs.Load(key.String()); ok {
		return ref.(string)
	}
	ref := Ref(NewShown(cat, surface, lang))
	shownRefs.Store(key.String(), ref)
	return ref
}

// PurposeRef returns Ref(NewPurpose(version, p, lang)), remembered for
// purposes loaded from a catalogue.
func PurposeRef(version string, p consent.Purpose, lang string) string {
	if p.Hash == "" {
		// Built by hand, not loaded: nothing identifies its content.
		return Ref(NewPurpose(version, p, lang))
	}
	// The catalogue's content hash covers every member of the notice but
	// the version and language, which the key adds.
	key := version + "\x00" + p.Hash + "\x00" + lang
	if ref, ok := purposeRefs.Load(key); ok {
		return ref.(string)
	}
	ref := Ref(NewPurpose(version, p, lang))
	purposeRefs.Store(key, ref)
	return ref
}

var (
	shownRefs      sync.Map // version, audience, language, content hashes -> reference
	purposeRefs    sync.Map // version, content hash, language -> reference
	withdrawalRefs sync.Map // language -> reference
	controllerRef  = sync.OnceValue(func() string { return Ref(NewController(receipt.Kaiconn)) })
)

// WithdrawalRef returns the reference of the withdrawal notice in lang.
func WithdrawalRef(lang string) string {
	if ref, ok := withdrawalRefs.Load(lang); ok {
		return ref.(string)
	}
	ref := Ref(NewWithdrawal(lang))
	if slices.Contains(consent.Languages, lang) {
		// Remember the catalogue's languages only, whatever callers pass.
		withdrawalRefs.Store(lang, ref)
	}
	return ref
}

// ControllerRef returns the reference of the notice of receipt.Kaiconn.
func ControllerRef() string { return controllerRef() }
