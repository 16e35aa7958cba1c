package policy

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kaiconn/consent/errs"
)

// The source dialect is documented in locales/policy/README.md. The parser
// is line based and strict: anything it does not recognise is an error, so
// a typo in a policy file fails the build instead of silently vanishing
// from what people are shown.

var (
	reID        = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
	reTopID     = regexp.MustCompile(`^s[1-9][0-9]*$`)
	reYearMonth = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])$`)
	reRowID     = regexp.MustCompile(`^[a-z][a-z0-9]*$`)
)

const sectionCount = 10

// parser turns one language file into a Document.
type parser struct {
	file string
	doc  *Document
	line int

	sections  []*Section // open sections by level, sections[0] is level 1
	list      *Block     // the open list, nil outside one
	items     []*Block   // open items of the list by depth
	listCount map[string]int
	lines     map[*Block]int // source lines of the items of fenced blocks
}

func (p *parser) errf(line int, format string, args ...any) error {
	return lineErr(p.file, line, format, args...)
}

// lineErr names the file and, when known, the line of a problem.
func lineErr(file string, line int, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if line > 0 {
		return errs.New(errs.Invalid, "policy %s:%d: %s", file, line, msg)
	}
	return errs.New(errs.Invalid, "policy %s: %s", file, msg)
}

// parse reads one policy file. file names it in errors.
func parse(file string, src []byte) (*Document, error) {
	p := &parser{file: file, listCount: map[string]int{}, lines: map[*Block]int{}}
	p.doc = &Document{nodes: map[string]*node{}}
	if !utf8.Valid(src) {
		return nil, p.errf(0, "not valid UTF-8")
	}
	text := string(src)
	if !strings.HasSuffix(text, "\n") {
		return nil, p.errf(0, "must end with a newline")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	for i, l := range lines {
		if strings.ContainsAny(l, "\r\t") {
			return nil, p.errf(i+1, "carriage return or tab; use LF line ends and spaces")
		}
		if strings.TrimRight(l, " ") != l {
			return nil, p.errf(i+1, "trailing spaces")
		}
	}
	body, err := p.frontMatter(lines)
	if err != nil {
		return nil, err
	}
	if err := p.body(lines, body); err != nil {
		return nil, err
	}
	if err := p.finish(); err != nil {
		return nil, err
	}
	return p.doc, nil
}

// frontMatter reads the leading "---" block and returns the index of the
// first body line.
func (p *parser) frontMatter(lines []string) (int, error) {
	if len(lines) == 0 || lines[0] != "---" {
		return 0, p.errf(1, "front matter: the file must start with a line \"---\"")
	}
	seen := map[string]int{}
	for i := 1; i < len(lines); i++ {
		l := lines[i]
		if l == "---" {
			for _, k := range []string{"version", "lang", "title", "updated", "effective"} {
				if _, ok := seen[k]; !ok {
					return 0, p.errf(i+1, "front matter: missing field %q", k)
				}
			}
			return i + 1, nil
		}
		k, v, ok := strings.Cut(l, ": ")
		if !ok || v == "" {
			return 0, p.errf(i+1, "front matter: want \"key: value\", got %q", l)
		}
		if at, dup := seen[k]; dup {
			return 0, p.errf(i+1, "front matter: field %q repeats line %d", k, at)
		}
		seen[k] = i + 1
		switch k {
		case "version":
			p.doc.Version = v
		case "lang":
			if !slices.Contains(Languages(), v) {
				return 0, p.errf(i+1, "front matter: lang %q is not one of %v", v, Languages())
			}
			p.doc.Lang = v
		case "title":
			p.doc.Title = v
		case "updated":
			p.doc.Updated = v
		case "effective":
			p.doc.Effective = v
		default:
			return 0, p.errf(i+1, "front matter: unknown field %q", k)
		}
		if (k == "version" || k == "updated" || k == "effective") && !reYearMonth.MatchString(v) {
			return 0, p.errf(i+1, "front matter: %s %q is not YYYY-MM", k, v)
		}
	}
	return 0, p.errf(len(lines), "front matter: no closing \"---\"")
}

func (p *parser) body(lines []string, start int) error {
	for i := start; i < len(lines); i++ {
		p.line = i + 1
		l := lines[i]
		switch {
		case l == "":
			p.closeList()
		case strings.HasPrefix(l, "```"):
			p.closeList()
			end := i + 1
			for end < len(lines) && lines[end] != "```" {
				end++
			}
			if end == len(lines) {
				return p.errf(p.line, "fenced block is not closed with a line \"```\"")
			}
			if err := p.fence(l[3:], lines[i+1:end]); err != nil {
				return err
			}
			i = end
		case strings.HasPrefix(l, "#"):
			p.closeList()
			if err := p.heading(l); err != nil {
				return err
			}
		case strings.HasPrefix(l, "- "):
			if err := p.item(0, l[2:]); err != nil {
				return err
			}
		case strings.HasPrefix(l, " "):
			if err := p.indented(l); err != nil {
				return err
			}
		default:
			p.closeList()
			b, err := p.textBlock(Paragraph, l, "id", "only")
			if err != nil {
				return err
			}
			if err := p.addBlock(b, p.owner()); err != nil {
				return err
			}
		}
	}
	return nil
}

// attrs are the "{#id n=… only=… href=…}" marks at the end of a line.
type attrs struct {
	id, n, only, href string
}

// splitAttrs separates a line's text from its trailing attribute list;
// allowed names the attributes this kind of line may carry.
func (p *parser) splitAttrs(s string, allowed ...string) (string, attrs, error) {
	var a attrs
	i := strings.LastIndex(s, " {")
	if i < 0 || !strings.HasSuffix(s, "}") {
		return "", a, p.errf(p.line, "missing id: end the line with \" {#id}\"")
	}
	text := strings.TrimSpace(s[:i])
	for _, f := range strings.Fields(s[i+2 : len(s)-1]) {
		name, val := "id", strings.TrimPrefix(f, "#")
		if !strings.HasPrefix(f, "#") {
			var ok bool
			if name, val, ok = strings.Cut(f, "="); !ok || val == "" {
				return "", a, p.errf(p.line, "attribute %q: want #id or name=value", f)
			}
		}
		if !slices.Contains(allowed, name) {
			return "", a, p.errf(p.line, "attribute %q is not allowed here", name)
		}
		dst := map[string]*string{"id": &a.id, "n": &a.n, "only": &a.only, "href": &a.href}[name]
		if *dst != "" {
			return "", a, p.errf(p.line, "attribute %q repeats", name)
		}
		*dst = val
	}
	if a.id == "" {
		return "", a, p.errf(p.line, "missing id: end the line with \" {#id}\"")
	}
	if !reID.MatchString(a.id) {
		return "", a, p.errf(p.line, "id %q: use lower-case letters and digits joined by \"-\"", a.id)
	}
	if a.only != "" && a.only != p.doc.Lang {
		return "", a, p.errf(p.line, "id %q: only=%s in the %s file", a.id, a.only, p.doc.Lang)
	}
	return text, a, nil
}

func (p *parser) heading(l string) error {
	level := len(l) - len(strings.TrimLeft(l, "#"))
	if level > 4 || !strings.HasPrefix(l[level:], " ") {
		return p.errf(p.line, "heading: want 1 to 4 \"#\" and a space")
	}
	if level > len(p.sections)+1 {
		return p.errf(p.line, "heading level %d follows level %d", level, len(p.sections))
	}
	title, a, err := p.splitAttrs(l[level+1:], "id", "n", "only")
	if err != nil {
		return err
	}
	if title == "" {
		return p.errf(p.line, "id %q: heading has no title", a.id)
	}
	s := &Section{ID: a.id, Number: a.n, Title: title, OnlyIn: a.only}
	p.sections = p.sections[:level-1]
	parent := ""
	if level == 1 {
		if !reTopID.MatchString(s.ID) {
			return p.errf(p.line, "id %q: top-level sections are s1 to s%d", s.ID, sectionCount)
		}
		p.doc.Sections = append(p.doc.Sections, s)
	} else {
		ps := p.sections[level-2]
		parent = ps.ID
		if !strings.HasPrefix(s.ID, parent+"-") {
			return p.errf(p.line, "id %q: a subsection of %q must start with %q", s.ID, parent, parent+"-")
		}
		if s.OnlyIn == "" {
			s.OnlyIn = ps.OnlyIn
		}
		ps.Children = append(ps.Children, s)
	}
	p.sections = append(p.sections, s)
	return p.index(s.ID, s, "section", parent, s.OnlyIn)
}

// owner is the id blocks at the current position must be prefixed with.
func (p *parser) owner() string {
	if len(p.sections) == 0 {
		return "pre"
	}
	return p.sections[len(p.sections)-1].ID
}

func (p *parser) textBlock(kind BlockKind, l string, allowed ...string) (*Block, error) {
	text, a, err := p.splitAttrs(l, allowed...)
	if err != nil {
		return nil, err
	}
	if text == "" {
		return nil, p.errf(p.line, "id %q: no text", a.id)
	}
	runs, err := parseInline(text)
	if err != nil {
		return nil, p.errf(p.line, "id %q: %v", a.id, err)
	}
	if a.href != "" {
		for i := range runs {
			runs[i].Href = a.href
		}
	}
	if kind == Item && a.n == "" {
		return nil, p.errf(p.line, "id %q: a clause needs its printed number n=…", a.id)
	}
	return &Block{ID: a.id, Kind: kind, Number: a.n, Text: runs, OnlyIn: a.only}, nil
}

// addBlock appends b to the current section (or the preamble) and checks
// its id against the owner's.
func (p *parser) addBlock(b *Block, owner string) error {
	if !strings.HasPrefix(b.ID, owner+"-") {
		return p.errf(p.line, "id %q: a block of %q must start with %q", b.ID, owner, owner+"-")
	}
	parentOnly := ""
	if len(p.sections) > 0 {
		s := p.sections[len(p.sections)-1]
		parentOnly = s.OnlyIn
		s.Blocks = append(s.Blocks, b)
	} else {
		p.doc.Preamble = append(p.doc.Preamble, b)
	}
	if b.OnlyIn == "" {
		b.OnlyIn = parentOnly
	}
	return p.index(b.ID, b, string(b.Kind), owner, b.OnlyIn)
}

func (p *parser) closeList() {
	p.list, p.items = nil, nil
}

// item adds a "- " clause at depth (0 for a top-level clause).
func (p *parser) item(depth int, l string) error {
	allowed := []string{"id", "n", "only"}
	if len(p.sections) == 0 {
		allowed = append(allowed, "href") // the preamble's contents list links to sections
	}
	b, err := p.textBlock(Item, l, allowed...)
	if err != nil {
		return err
	}
	if depth == 0 {
		if p.list == nil {
			owner := p.owner()
			p.listCount[owner]++
			p.list = &Block{ID: fmt.Sprintf("%s-l%d", owner, p.listCount[owner]), Kind: List}
			if err := p.addBlock(p.list, owner); err != nil {
				return err
			}
		}
		p.items = append(p.items[:0], b)
		return p.child(p.list, b)
	}
	parent := p.items[depth-1]
	p.items = append(p.items[:depth], b)
	return p.child(parent, b)
}

// child attaches b under the list or clause parent.
func (p *parser) child(parent, b *Block) error {
	owner := parent.ID
	if parent.Kind == List {
		owner = p.owner()
	}
	if !strings.HasPrefix(b.ID, owner+"-") {
		return p.errf(p.line, "id %q: a clause under %q must start with %q", b.ID, owner, owner+"-")
	}
	if b.OnlyIn == "" {
		b.OnlyIn = parent.OnlyIn
	}
	parent.Items = append(parent.Items, b)
	return p.index(b.ID, b, string(b.Kind), parent.ID, b.OnlyIn)
}

// indented handles a nested clause ("  - …") or a paragraph that belongs to
// the clause above it ("  …").
func (p *parser) indented(l string) error {
	rest := strings.TrimLeft(l, " ")
	n := len(l) - len(rest)
	if p.list == nil {
		return p.errf(p.line, "indented line outside a list")
	}
	if n%2 != 0 {
		return p.errf(p.line, "indent by two spaces per level")
	}
	depth := n / 2
	if depth > len(p.items) {
		return p.errf(p.line, "indented %d levels under a clause at level %d", depth, len(p.items)-1)
	}
	if strings.HasPrefix(rest, "- ") {
		return p.item(depth, rest[2:])
	}
	b, err := p.textBlock(Paragraph, rest, "id", "only")
	if err != nil {
		return err
	}
	p.items = p.items[:depth]
	return p.child(p.items[depth-1], b)
}

func (p *parser) index(id string, ref any, kind, parent, only string) error {
	if prev, dup := p.doc.nodes[id]; dup {
		return p.errf(p.line, "duplicate id %q (first at line %d)", id, prev.line)
	}
	p.doc.nodes[id] = &node{ref: ref, kind: kind, parent: parent, line: p.line, only: only}
	p.doc.order = append(p.doc.order, id)
	return nil
}

// fence parses a fenced block: info is what follows "```".
func (p *parser) fence(info string, body []string) error {
	kind, rest, _ := strings.Cut(info, " ")
	_, a, err := p.splitAttrs(" "+rest, "id")
	if err != nil {
		return err
	}
	if len(p.sections) == 0 {
		return p.errf(p.line, "id %q: fenced blocks belong in a section", a.id)
	}
	var b *Block
	switch kind {
	case "sdk":
		b, err = p.sdkTable(a.id, body)
	case "permissions":
		b, err = p.permissions(a.id, body)
	case "contact":
		b, err = p.contact(a.id, body)
	default:
		return p.errf(p.line, "id %q: unknown fenced block %q (want sdk, permissions or contact)", a.id, kind)
	}
	if err != nil {
		return err
	}
	if err := p.addBlock(b, p.owner()); err != nil {
		return err
	}
	start := p.line
	defer func() { p.line = start }()
	for _, it := range b.Items {
		it.OnlyIn = b.OnlyIn
		p.line = p.lines[it]
		if err := p.index(it.ID, it, string(it.Kind), b.ID, b.OnlyIn); err != nil {
			return err
		}
	}
	return nil
}

func (p *parser) permissions(id string, body []string) (*Block, error) {
	b := &Block{ID: id, Kind: Permissions}
	start := p.line
	for i, l := range body {
		p.line = start + 1 + i
		if !strings.HasPrefix(l, "- ") {
			return nil, p.errf(p.line, "id %q: a permissions block holds only \"- \" lines", id)
		}
		it, err := p.textBlock(Item, l[2:], "id", "n")
		if err != nil {
			return nil, err
		}
		if !strings.HasPrefix(it.ID, id+"-") {
			return nil, p.errf(p.line, "id %q: a permission of %q must start with %q", it.ID, id, id+"-")
		}
		p.lines[it] = p.line
		b.Items = append(b.Items, it)
	}
	p.line = start
	if len(b.Items) == 0 {
		return nil, p.errf(p.line, "id %q: no permissions", id)
	}
	return b, nil
}

// record is one blank-line separated group of "key: value" lines.
type record struct {
	line   int
	keys   []string // in source order, so errors are deterministic
	fields map[string][]string
	lines  map[string]int
}

func (p *parser) records(id string, body []string) ([]record, error) {
	var out []record
	var cur *record
	for i, l := range body {
		ln := p.line + 1 + i
		if l == "" {
			cur = nil
			continue
		}
		k, v, ok := strings.Cut(l, ": ")
		v = strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, p.errf(ln, "id %q: want \"key: value\", got %q", id, l)
		}
		if cur == nil {
			out = append(out, record{line: ln, fields: map[string][]string{}, lines: map[string]int{}})
			cur = &out[len(out)-1]
		}
		if _, dup := cur.fields[k]; dup && k != "note" {
			return nil, p.errf(ln, "id %q: key %q repeats", id, k)
		}
		if _, seen := cur.fields[k]; !seen {
			cur.keys = append(cur.keys, k)
		}
		cur.fields[k] = append(cur.fields[k], v)
		cur.lines[k] = ln
	}
	return out, nil
}

func (r record) get(k string) string {
	if v := r.fields[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

var (
	sdkLabelKeys = []string{"label-name", "label-function", "label-collected", "label-scope", "label-purpose", "label-policy"}
	sdkFields    = []string{"id", "n", "name", "function", "collected", "scope", "purpose", "policy"}
	sdkOptional  = []string{"notes-title", "note", "differs"}
	// sdkDiffers are the row fields that may be marked as differing.
	sdkDiffers = []string{"name", "function", "collected", "scope", "purpose", "policy", "notes"}
)

func labelsOf(r record, base SDKLabels) SDKLabels {
	set := func(dst *string, k string) {
		if v := r.get(k); v != "" {
			*dst = v
		}
	}
	set(&base.Name, "label-name")
	set(&base.Function, "label-function")
	set(&base.Collected, "label-collected")
	set(&base.Scope, "label-scope")
	set(&base.Purpose, "label-purpose")
	set(&base.PolicyURL, "label-policy")
	return base
}

func (p *parser) sdkTable(id string, body []string) (*Block, error) {
	recs, err := p.records(id, body)
	if err != nil {
		return nil, err
	}
	if len(recs) < 2 {
		return nil, p.errf(p.line, "id %q: want a record of labels and at least one SDK row", id)
	}
	head := recs[0]
	for _, k := range head.keys {
		if !slices.Contains(sdkLabelKeys, k) {
			return nil, p.errf(head.lines[k], "id %q: the first record holds only labels, not %q", id, k)
		}
	}
	for _, k := range sdkLabelKeys {
		if head.get(k) == "" {
			return nil, p.errf(head.line, "id %q: missing %q in the labels record", id, k)
		}
	}
	b := &Block{ID: id, Kind: SDKTable, SDKLabels: labelsOf(head, SDKLabels{})}
	seen := map[string]int{}
	for _, r := range recs[1:] {
		rowID := r.get("id")
		where := fmt.Sprintf("id %q", id)
		if rowID != "" {
			where = fmt.Sprintf("SDK row %q", rowID)
		}
		for _, k := range r.keys {
			if !slices.Contains(sdkFields, k) && !slices.Contains(sdkOptional, k) && !slices.Contains(sdkLabelKeys, k) {
				return nil, p.errf(r.lines[k], "%s: unknown field %q", where, k)
			}
		}
		for _, k := range sdkFields {
			if r.get(k) == "" {
				return nil, p.errf(r.line, "%s: missing field %q", where, k)
			}
		}
		if !reRowID.MatchString(rowID) {
			return nil, p.errf(r.lines["id"], "SDK row %q: ids are lower-case letters and digits", rowID)
		}
		if at, dup := seen[rowID]; dup {
			return nil, p.errf(r.line, "duplicate SDK row %q (first at line %d)", rowID, at)
		}
		seen[rowID] = r.line
		if !strings.HasPrefix(r.get("policy"), "https://") {
			return nil, p.errf(r.lines["policy"], "SDK row %q: policy link must be https", rowID)
		}
		if (r.get("notes-title") == "") != (len(r.fields["note"]) == 0) {
			return nil, p.errf(r.line, "SDK row %q: notes-title and note go together", rowID)
		}
		collected, err := parseInline(r.get("collected"))
		if err != nil {
			return nil, p.errf(r.lines["collected"], "SDK row %q: collected: %v", rowID, err)
		}
		differs := strings.Fields(r.get("differs"))
		for _, f := range differs {
			if !slices.Contains(sdkDiffers, f) {
				return nil, p.errf(r.lines["differs"], "SDK row %q: differs: unknown field %q", rowID, f)
			}
		}
		b.SDKs = append(b.SDKs, SDK{
			ID: rowID, Number: r.get("n"), Name: r.get("name"), Function: r.get("function"),
			Collected: InlineText(collected), CollectedText: collected,
			Scope: r.get("scope"), Purpose: r.get("purpose"), PolicyURL: r.get("policy"),
			NotesTitle: r.get("notes-title"), Notes: r.fields["note"],
			Labels: labelsOf(r, b.SDKLabels), Differs: differs,
		})
	}
	return b, nil
}

var contactKeys = []string{"intro", "site", "site-line", "phone", "phone-line", "address", "address-line", "email", "email-line", "outro"}

func (p *parser) contact(id string, body []string) (*Block, error) {
	recs, err := p.records(id, body)
	if err != nil {
		return nil, err
	}
	if len(recs) != 1 {
		return nil, p.errf(p.line, "id %q: a contact block is one record without blank lines", id)
	}
	r := recs[0]
	for _, k := range r.keys {
		if !slices.Contains(contactKeys, k) && k != "differs" {
			return nil, p.errf(r.lines[k], "id %q: unknown field %q", id, k)
		}
	}
	for _, k := range contactKeys {
		if r.get(k) == "" {
			return nil, p.errf(r.line, "id %q: missing field %q", id, k)
		}
	}
	c := &ContactInfo{Intro: r.get("intro"), Site: r.get("site"), Phone: r.get("phone"),
		Address: r.get("address"), Email: r.get("email"), Outro: r.get("outro"),
		Differs: strings.Fields(r.get("differs"))}
	for _, f := range c.Differs {
		if !slices.Contains([]string{"intro", "site", "phone", "address", "email", "outro"}, f) {
			return nil, p.errf(r.lines["differs"], "id %q: differs: unknown field %q", id, f)
		}
	}
	if !strings.HasPrefix(c.Site, "https://") {
		return nil, p.errf(r.lines["site"], "id %q: site must be an https URL", id)
	}
	if !strings.Contains(c.Email, "@") {
		return nil, p.errf(r.lines["email"], "id %q: email has no @", id)
	}
	b := &Block{ID: id, Kind: Contact, Contact: c}
	for _, k := range []string{"site", "phone", "address", "email"} {
		num, text, ok := strings.Cut(r.get(k+"-line"), " ")
		if !ok || !strings.Contains(text, r.get(k)) {
			return nil, p.errf(r.lines[k+"-line"], "id %q: %s-line must be a printed number, a space and a text holding the %s", id, k, k)
		}
		it := &Block{ID: id + "-" + k, Kind: Item, Number: num, Text: []Inline{{Text: text}}}
		p.lines[it] = r.lines[k+"-line"]
		b.Items = append(b.Items, it)
	}
	return b, nil
}

// parseInline splits text at "**" marks into plain and strong runs.
func parseInline(s string) ([]Inline, error) {
	parts := strings.Split(s, "**")
	if len(parts)%2 == 0 {
		return nil, fmt.Errorf("unclosed ** at byte %d", strings.LastIndex(s, "**"))
	}
	var out []Inline
	for i, t := range parts {
		strong := i%2 == 1
		if strong && strings.TrimSpace(t) == "" {
			return nil, fmt.Errorf("empty ** ** run")
		}
		if t != "" {
			out = append(out, Inline{Text: t, Strong: strong})
		}
	}
	return out, nil
}

// finish checks what only the whole file can show.
func (p *parser) finish() error {
	for k, s := range p.doc.Sections {
		want := "s" + strconv.Itoa(k+1)
		if s.ID != want {
			if _, ok := p.doc.nodes[want]; !ok {
				return p.errf(0, "missing section %q", want)
			}
			return p.errf(p.doc.nodes[s.ID].line, "id %q: top-level sections must run s1 to s%d in order; want %q here", s.ID, sectionCount, want)
		}
	}
	if n := len(p.doc.Sections); n != sectionCount {
		if n < sectionCount {
			return p.errf(0, "missing section %q", "s"+strconv.Itoa(n+1))
		}
		return p.errf(p.doc.nodes[p.doc.Sections[sectionCount].ID].line, "id %q: the policy has %d sections", p.doc.Sections[sectionCount].ID, sectionCount)
	}
	for _, k := range []BlockKind{SDKTable, Permissions, Contact} {
		var found []string
		for _, id := range p.doc.order {
			if b, ok := p.doc.nodes[id].ref.(*Block); ok && b.Kind == k {
				found = append(found, id)
			}
		}
		switch {
		case len(found) == 0:
			return p.errf(0, "no %s block", k)
		case len(found) > 1:
			return p.errf(p.doc.nodes[found[1]].line, "id %q: a second %s block (the first is %q)", found[1], k, found[0])
		}
	}
	return nil
}
