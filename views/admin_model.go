package views

import "github.com/kaiconn/consent/chart"

// The console's view models: what each page shows, in the reader's
// language already, filled by the server's handlers.

// AdminChrome is what every signed-in console page shows: who is signed
// in, the navigation the role allows, and the sign-out form.
type AdminChrome struct {
	Lang      string
	Operator  string
	Role      string // localized
	CSRF      string
	Current   string // insights | lookup | operations | audit
	CanLookUp bool
	CanAudit  bool
	SwitchURL string // this page in the other language
}

// AdminLogin is the sign-in page.
type AdminLogin struct {
	Lang      string
	CSRF      string
	Name      string // kept after a failed attempt
	Next      string // where to go once signed in
	Error     string // message id; "" for none
	SwitchURL string
}

// AdminError is a refusal or a failure inside the console.
type AdminError struct {
	AdminChrome
	Title   string
	Message string
}

// Table is a chart's values, or any other table: a caption, a header row
// and rows of cells, the first cell of each row a row header.
type Table struct {
	Caption string
	Head    []string
	Rows    [][]string
	// ID lets tests find the table; "" for none.
	ID string
}

// ChartView is a chart with its title, a description a screen reader
// reads instead of the bars, and the same values as a table.
type ChartView struct {
	ID     string
	Title  string
	Desc   string
	Layout chart.Layout
	Table  Table
	// Empty is the text shown instead of the chart when it has nothing
	// to draw.
	Empty string
}

// Option is one choice of a select.
type Option struct {
	Value, Label string
	Selected     bool
}

// AdminInsights is /admin/insights.
type AdminInsights struct {
	AdminChrome
	From, To  string
	Surfaces  []Option
	Languages []Option
	Error     string
	Summary   []Fact // total decisions, median time, …
	Decisions ChartView
	Purposes  ChartView
	Latency   ChartView
	Reasks    ChartView
	ReaskPurp Table
}

// Fact is a labelled figure.
type Fact struct {
	ID, Label, Value string
}

// AdminLookup is /admin/lookup and /admin/subjects/{subject}: the search
// form and, when found, the subject's chain.
type AdminLookup struct {
	AdminChrome
	Query   string
	Error   string
	Subject *SubjectView
}

// SubjectView is one subject's chain, verified receipt by receipt.
type SubjectView struct {
	Subject  string
	Verified bool // every receipt passed every check that applies
	Summary  string
	Receipts []ReceiptView
	// HTMLURL and JSONURL download the proof bundle; "" when the bodies
	// were deleted and there is nothing to prove.
	HTMLURL, JSONURL string
	// State is what the retention says of the subject: active, erased on
	// …, deleted on …, held (server/admin_retention.go).
	State []Fact
	// Hold is the officer's form to hold or release the subject; nil when
	// there is nothing left to hold.
	Hold *HoldForm
}

// HoldForm holds or releases a subject, with a reason.
type HoldForm struct {
	Action string // the URL the form posts to
	CSRF   string
	Held   bool   // the subject is held: the form releases it
	Error  string // why the last post was refused
}

// ReceiptView is one receipt of a chain, verified in place, with the texts
// the person was shown.
type ReceiptView struct {
	Anchor      string // the element id: "r-<receipt id>"
	Highlight   bool   // the receipt looked up
	ID          string
	Hash        string
	PrevHash    string
	IssuedAt    string
	ReceivedAt  string
	Decision    string
	Surface     string
	Language    string
	Policy      string // version
	PolicySHA   string
	Schema      string
	Attestation string
	KeyID       string
	Notice      string // the shown notice's reference (kaiconn-receipt/2)
	OK          bool
	Checks      []CheckView
	Controller  string
	Withdrawal  string
	Purposes    []PurposeView
}

// CheckView is one check of one receipt.
type CheckView struct {
	Name    string
	Status  string // ok | failed | na
	Label   string // localized status
	Message string
}

// PurposeView is one purpose of a receipt with the text it was given
// under.
type PurposeView struct {
	ID, State, StateLabel, Expires string
	Title, Recipient, SDK, Data    string
	Use, ConsentType, Withdraw     string
	Cookies, PrivacyURL, Ref       string
}

// AdminOperations is /admin/operations.
type AdminOperations struct {
	AdminChrome
	Keys    Table
	Store   []Fact
	PerDay  ChartView
	Limits  []Fact
	Build   []Fact
	Sources []Fact
	// Purges are the retention's latest purge runs.
	Purges Table
}

// AdminAudit is /admin/audit.
type AdminAudit struct {
	AdminChrome
	Entries Table
	Older   string // URL of the next page; "" on the last
}

// ProofHTML is the self-contained proof bundle for a subject.
type ProofHTML struct {
	Lang       string
	Subject    string
	CreatedAt  string
	Verified   bool
	Summary    string
	Receipts   []ReceiptView
	JWKS       string // pretty-printed
	KeyIDs     []string
	JWKSURL    string // where the server publishes its keys, for the reader to fetch them
	BundleName string // the .json file's name
	Policies   []PolicyText
}

// PolicyText is a policy text in full, as the person was shown it.
type PolicyText struct {
	File, SHA256, Text string
	Lang               string // the language the text is in
}
