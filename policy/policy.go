package policy

import (
	"strings"
)

// Languages a policy version must be published in. Chinese is the
// authoritative text; where the English nests a clause differently, the
// shared section tree follows the Chinese.
const (
	LangZH = "zh-Hans"
	LangEN = "en"
)

// Languages returns the languages every policy version is published in,
// Chinese first.
func Languages() []string { return []string{LangZH, LangEN} }

// Version is one published policy version, e.g. "2022-10", in all languages.
type Version struct {
	ID        string               // the directory name, YYYY-MM
	Updated   string               // YYYY-MM, as printed at the end of the policy
	Effective string               // YYYY-MM
	Docs      map[string]*Document // keyed by language: "zh-Hans", "en"
}

// Doc returns the document of v in lang.
func (v *Version) Doc(lang string) (*Document, bool) {
	d, ok := v.Docs[lang]
	return d, ok
}

// Document is one policy version in one language.
type Document struct {
	Version   string
	Lang      string
	Title     string
	Updated   string
	Effective string
	Preamble  []*Block
	Sections  []*Section

	// SHA256 is the hex digest of the exact source bytes, so a receipt can
	// prove which text a person was shown.
	SHA256 string

	nodes map[string]*node
	order []string // ids in document order, for stable error messages
}

// Section is a numbered heading and what follows it up to the next heading
// of the same or a higher level.
type Section struct {
	ID       string // structural id, e.g. "s1-4-2"; stable across languages
	Number   string // the printed number, e.g. "(四)" or "1.4.", shown to readers
	Title    string
	OnlyIn   string // a language when the section exists in that language only
	Blocks   []*Block
	Children []*Section
}

// BlockKind tells a renderer how to show a block.
type BlockKind string

// Block kinds. An Item is a numbered clause; its Items hold nested clauses
// and the paragraphs that belong to it.
const (
	Paragraph   BlockKind = "paragraph"
	List        BlockKind = "list"
	Item        BlockKind = "item"
	SDKTable    BlockKind = "sdk_table"
	Permissions BlockKind = "permissions"
	Contact     BlockKind = "contact"
)

// Block is a paragraph, a numbered clause, a list of clauses, or one of the
// structured blocks (SDK table, permissions, contact).
type Block struct {
	ID        string
	Kind      BlockKind
	Number    string   // printed number of an Item, e.g. "(1)", "3.1.5."
	Text      []Inline // Paragraph and Item text
	Items     []*Block // List, Permissions and Contact lines; an Item's nested clauses and paragraphs
	SDKs      []SDK    // SDKTable rows
	SDKLabels SDKLabels
	Contact   *ContactInfo
	OnlyIn    string
}

// Inline is a run of text. Strong marks the sensitive personal information
// the policy promises to show in bold.
type Inline struct {
	Text   string
	Strong bool
	Href   string
}

// SDK is one third-party SDK row of the policy's SDK table.
type SDK struct {
	ID            string // stable row id, e.g. "getui"
	Number        string // printed number, e.g. "①." or "2.3.1."
	Name          string
	Function      string
	Collected     string   // plain text of the personal information collected
	CollectedText []Inline // the same with the sensitive terms in bold
	Scope         string
	Purpose       string
	PolicyURL     string
	NotesTitle    string
	Notes         []string
	// Labels are the field names as this row prints them; the English rows
	// do not all use the same words.
	Labels SDKLabels
	// Differs names the fields whose content intentionally differs from the
	// other language (the source texts are not exact translations).
	Differs []string
}

// SDKLabels are the printed names of the SDK table's fields.
type SDKLabels struct {
	Name, Function, Collected, Scope, Purpose, PolicyURL string
}

// ContactInfo is how to reach Kaiconn about the policy. The printed lines
// are the contact block's Items; the fields are the bare values.
type ContactInfo struct {
	Intro, Site, Phone, Address, Email, Outro string
	Differs                                   []string
}

// node indexes one section or block by id.
type node struct {
	ref    any // *Section or *Block
	kind   string
	parent string
	line   int
	only   string
}

// Find returns the *Section or *Block with id.
func (d *Document) Find(id string) (any, bool) {
	n, ok := d.nodes[id]
	if !ok {
		return nil, false
	}
	return n.ref, true
}

// SDKs returns the rows of the SDK table.
func (d *Document) SDKs() []SDK {
	if b := d.block(SDKTable); b != nil {
		return b.SDKs
	}
	return nil
}

// Permissions returns the permission items third parties may obtain.
func (d *Document) Permissions() []*Block {
	if b := d.block(Permissions); b != nil {
		return b.Items
	}
	return nil
}

// SDK returns the row of the SDK table with the stable id (e.g. "getui").
func (d *Document) SDK(id string) (SDK, bool) {
	for _, s := range d.SDKs() {
		if s.ID == id {
			return s, true
		}
	}
	return SDK{}, false
}

// Permission returns the permission item with the stable id (e.g.
// "s2-3-perms-17") and its name as the policy prints it, without the
// list's closing punctuation ("读取手机定位信息").
func (d *Document) Permission(id string) (item *Block, name string, ok bool) {
	for _, b := range d.Permissions() {
		if b.ID == id {
			return b, strings.TrimRight(strings.TrimSpace(InlineText(b.Text)), ";;.。"), true
		}
	}
	return nil, "", false
}

// Contact returns the contact details.
func (d *Document) Contact() *ContactInfo {
	if b := d.block(Contact); b != nil {
		return b.Contact
	}
	return nil
}

// block returns the block of kind k; the loader guarantees there is one.
func (d *Document) block(k BlockKind) *Block {
	for _, id := range d.order {
		if b, ok := d.nodes[id].ref.(*Block); ok && b.Kind == k {
			return b
		}
	}
	return nil
}

// PlainText returns the text of the section or block with id, one line per
// heading, paragraph, clause or table field, or "" when there is none. The
// empty id gives the whole document. Printed numbers are left out: they are
// presentation (and have slips), so correcting one must not change the text
// a clause is searched or hashed by.
func (d *Document) PlainText(id string) string {
	var w []string
	if id == "" {
		w = append(w, d.Title)
		for _, b := range d.Preamble {
			w = blockText(w, b)
		}
		for _, s := range d.Sections {
			w = sectionText(w, s)
		}
		return strings.Join(w, "\n")
	}
	switch v := d.nodes[id]; r := refOf(v).(type) {
	case *Section:
		w = sectionText(w, r)
	case *Block:
		w = blockText(w, r)
	}
	return strings.Join(w, "\n")
}

func refOf(n *node) any {
	if n == nil {
		return nil
	}
	return n.ref
}

func sectionText(w []string, s *Section) []string {
	w = append(w, s.Title)
	for _, b := range s.Blocks {
		w = blockText(w, b)
	}
	for _, c := range s.Children {
		w = sectionText(w, c)
	}
	return w
}

func blockText(w []string, b *Block) []string {
	switch b.Kind {
	case Paragraph, Item:
		w = append(w, InlineText(b.Text))
	case SDKTable:
		for _, r := range b.SDKs {
			w = append(w,
				r.Labels.Name+": "+r.Name,
				r.Labels.Function+": "+r.Function,
				r.Labels.Collected+": "+r.Collected,
				r.Labels.Scope+": "+r.Scope,
				r.Labels.Purpose+": "+r.Purpose,
				r.Labels.PolicyURL+": "+r.PolicyURL)
			if r.NotesTitle != "" {
				w = append(w, r.NotesTitle)
				w = append(w, r.Notes...)
			}
		}
	case Contact:
		w = append(w, b.Contact.Intro)
	}
	for _, it := range b.Items {
		w = blockText(w, it)
	}
	if b.Kind == Contact {
		w = append(w, b.Contact.Outro)
	}
	return w
}

// InlineText returns the text of runs without their marks.
func InlineText(runs []Inline) string {
	var sb strings.Builder
	for _, r := range runs {
		sb.WriteString(r.Text)
	}
	return sb.String()
}
