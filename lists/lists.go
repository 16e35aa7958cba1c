//go:build !wasm

package lists

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"slices"
	"strings"

	"github.com/kaiconn/consent/cjk"
	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/policy"
	"github.com/kaiconn/consent/policyview"
)

// Build renders list kind from cat and the policy version v it belongs to,
// in the language of loc, filtered by query (Data.Page). It fails as
// BuildData does.
func Build(kind Kind, cat *consent.Catalogue, v *policy.Version, loc *lang.Localizer, query string) (Page, error) {
	d, err := BuildData(kind, cat, v, loc)
	if err != nil {
		return Page{}, err
	}
	return d.Page(query), nil
}

// BuildData renders the whole of list kind, unfiltered, from cat and the
// policy version v it belongs to, in the language of loc. It fails with
// errs.Invalid for an unknown kind or a catalogue of another version; a
// catalogue that consent.CheckPolicy accepted renders.
func BuildData(kind Kind, cat *consent.Catalogue, v *policy.Version, loc *lang.Localizer) (*Data, error) {
	if !slices.Contains(Kinds, kind) {
		return nil, errs.New(errs.Invalid, "list %q: unknown; the lists are %v", string(kind), Kinds)
	}
	if cat == nil || v == nil || cat.Version() != v.ID {
		return nil, errs.New(errs.Invalid, "list %s: the catalogue is not of the policy version", kind)
	}
	doc, ok := v.Doc(loc.Lang)
	if !ok {
		return nil, errs.New(errs.Invalid, "list %s: policy %s has no %s text", kind, v.ID, loc.Lang)
	}
	zh, _ := v.Doc(lang.ZhHans)
	b := &builder{cat: cat, doc: doc, zh: zh, loc: loc}
	d := &Data{Kind: kind, Lang: loc.Lang, Version: v.ID, Updated: v.Updated, Effective: v.Effective}
	switch kind {
	case Collected:
		d.Title = loc.T("lists_collected_title")
		d.Groups = b.collected()
	case Shared:
		d.Title = loc.T("lists_shared_title")
		d.Groups = b.shared()
	}
	if strings.HasPrefix(loc.Lang, "zh") {
		for _, g := range d.Groups {
			policyview.Punctuate(g.Head)
			for _, e := range g.Entries {
				policyview.Punctuate(e)
			}
		}
	}
	lines := []string{d.Title,
		loc.T("privacy_version", map[string]any{"Version": v.ID}),
		loc.T("privacy_updated", map[string]any{"Date": v.Updated}),
		loc.T("privacy_effective", map[string]any{"Date": v.Effective})}
	for _, g := range d.Groups {
		lines = textLines(lines, g.Head)
		for _, e := range g.Entries {
			lines = textLines(lines, e)
		}
	}
	d.Text = strings.Join(lines, "\n")
	sum := sha256.Sum256([]byte(d.Text))
	d.SHA256 = hex.EncodeToString(sum[:])
	return d, nil
}

type builder struct {
	cat *consent.Catalogue
	doc *policy.Document
	zh  *policy.Document // the governing Chinese text, for what a translation lacks
	loc *lang.Localizer
}

// collected is one group per app purpose, one entry per business function.
func (b *builder) collected() []Group {
	var out []Group
	for _, p := range b.cat.Purposes(consent.SurfaceFirstLaunch) {
		g := Group{ID: "p-" + string(p.ID), Head: b.purposeHead(p)}
		for _, f := range p.Functions {
			g.Entries = append(g.Entries, b.functionCard(p, f))
		}
		out = append(out, g)
	}
	return out
}

// purposeHead says what holds for every function of a purpose: whether it
// can be refused, the kind of consent, who receives the data, for how long
// they are kept and where the policy says so.
func (b *builder) purposeHead(p consent.Purpose) *policyview.Node {
	l := b.loc.Lang
	status := b.loc.T("lists_optional")
	if p.Required {
		status = b.loc.T("lists_required")
	}
	dl := &policyview.Node{Tag: "dl", Class: "kc-facts"}
	field(dl, b.loc.T("lists_purpose"), text(status))
	field(dl, b.loc.T("lists_consent"), text(b.consentType(p)))
	field(dl, b.loc.T("lists_recipient"), text(p.Recipient.Show(l)))
	var retention []*policyview.Node
	for _, id := range p.Policy.Retention {
		retention = append(retention, &policyview.Node{Tag: "p", Spans: b.clauseSpans(id)})
	}
	fieldNodes(dl, b.loc.T("lists_retention"), retention...)
	fieldNodes(dl, b.loc.T("lists_clauses"), b.clauseLinks(slices.Concat(p.Policy.Basis, p.Policy.Recipients, p.Policy.Scope, p.Policy.Retention))...)
	return &policyview.Node{Tag: "div", Class: "kc-group-head", Children: []*policyview.Node{
		{Tag: "h2", Class: "kc-h", Spans: text(p.Title.Show(l))},
		dl,
	}}
}

func (b *builder) consentType(p consent.Purpose) string {
	if p.ConsentType == consent.SeparateConsent {
		return b.loc.T("lists_consent_separate")
	}
	return b.loc.T("lists_consent_consent")
}

// functionCard is one business function: its data, use and method.
func (b *builder) functionCard(p consent.Purpose, f consent.BusinessFunction) *policyview.Node {
	l := b.loc.Lang
	title, use := f.Title.Show(l), f.Use.Show(l)
	var items []*policyview.Node
	var sources []string
	method := &policyview.Node{Tag: "p", Spans: text(b.loc.T("lists_method_app"))}
	if f.SDK != "" {
		row, _ := b.doc.SDK(f.SDK)
		if title == "" {
			title = row.Function
		}
		if use == "" {
			use = row.Purpose
		}
		items = b.dataItems(consent.SplitItems(row.Collected))
		sources = []string{"sdk-" + row.ID}
		method.Spans = text(b.loc.T("lists_method_sdk", map[string]any{"SDK": row.Name}))
	} else {
		var all []string
		for _, q := range f.Data {
			all = append(all, consent.SplitItems(q.Quote.Show(l))...)
			if !slices.Contains(sources, q.Clause) {
				sources = append(sources, q.Clause)
			}
		}
		items = b.dataItems(dedupe(all))
	}
	methods := []*policyview.Node{method}
	if perms := b.cat.FunctionPermissions(f.ID); len(perms) > 0 {
		methods = append(methods, &policyview.Node{Tag: "p", Spans: text(b.loc.T("lists_method_permissions"))})
		ul := &policyview.Node{Tag: "ul", Class: "kc-perm-list"}
		for _, perm := range perms {
			// IMSI, IMEI and MAC are in the policy's list of permissions
			// but are data, which the card lists above; no permission of
			// the system asks for them.
			if perm.DataItem {
				continue
			}
			_, name, _ := b.doc.Permission(perm.ID)
			ul.Children = append(ul.Children, &policyview.Node{Tag: "li", ID: "perm-" + perm.ID,
				Spans: []policyview.Span{{Text: name, Href: b.policyURL(perm.ID)}}})
		}
		methods = append(methods, ul)
	}
	dl := &policyview.Node{Tag: "dl"}
	if f.Optional {
		field(dl, b.loc.T("lists_purpose"), text(b.loc.T("lists_function_optional")))
	}
	fieldNodes(dl, b.loc.T("lists_data"), &policyview.Node{Tag: "ul", Class: "kc-items", Children: items})
	field(dl, b.loc.T("lists_use"), text(use))
	fieldNodes(dl, b.loc.T("lists_method"), methods...)
	fieldNodes(dl, b.loc.T("lists_clauses"), b.clauseLinks(sources)...)
	return &policyview.Node{Tag: "article", ID: "fn-" + f.ID, Class: "kc-card", Children: []*policyview.Node{
		{Tag: "h3", Class: "kc-h", Spans: text(title)},
		dl,
	}}
}

// shared is one entry per third-party SDK, in the order of the purposes.
func (b *builder) shared() []Group {
	g := Group{}
	l := b.loc.Lang
	for _, p := range b.cat.Purposes(consent.SurfaceFirstLaunch) {
		for _, f := range p.Functions {
			if f.SDK == "" {
				continue
			}
			row, _ := b.doc.SDK(f.SDK)
			status := b.loc.T("lists_optional")
			if p.Required {
				status = b.loc.T("lists_required")
			}
			dl := &policyview.Node{Tag: "dl"}
			field(dl, b.loc.T("lists_recipient"), text(p.Recipient.Show(l)))
			field(dl, b.loc.T("lists_sdk_function"), text(row.Function))
			field(dl, b.loc.T("lists_use"), text(row.Purpose))
			fieldNodes(dl, b.loc.T("lists_data_shared"), &policyview.Node{Tag: "ul", Class: "kc-items",
				Children: b.dataItems(consent.SplitItems(row.Collected))})
			field(dl, b.loc.T("lists_sdk_method"), text(b.loc.T("lists_sdk_method_text", map[string]any{"Consent": b.consentType(p)})))
			field(dl, b.loc.T("lists_sdk_scope"), text(row.Scope))
			field(dl, b.loc.T("lists_sdk_policy"), []policyview.Span{{Text: row.PolicyURL, Href: row.PolicyURL}})
			b.sdkNotes(dl, row)
			field(dl, b.loc.T("lists_purpose"), text(p.Title.Show(l)+" · "+status))
			fieldNodes(dl, b.loc.T("lists_clauses"), b.clauseLinks(slices.Concat([]string{"sdk-" + row.ID}, p.Policy.Basis))...)
			g.Entries = append(g.Entries, &policyview.Node{Tag: "article", ID: "sdk-" + row.ID, Class: "kc-card", Children: []*policyview.Node{
				{Tag: "h2", Class: "kc-h", Spans: text(row.Name)},
				dl,
			}})
		}
	}
	return []Group{g, b.recipients()}
}

// sdkNotes adds what the policy notes under an SDK's row (the self-start
// of Getui). The English row has no notes (differs: notes); the governing
// Chinese ones are shown there, marked as Chinese.
func (b *builder) sdkNotes(dl *policyview.Node, row policy.SDK) {
	notesOf, lang := row, ""
	if row.NotesTitle == "" && b.zh != nil && b.zh != b.doc {
		if zr, ok := b.zh.SDK(row.ID); ok && zr.NotesTitle != "" {
			notesOf, lang = zr, b.zh.Lang
		}
	}
	if notesOf.NotesTitle == "" {
		return
	}
	var ps []*policyview.Node
	for _, n := range notesOf.Notes {
		if lang != "" {
			// On a Chinese page the whole tree is punctuated later.
			n = cjk.Punctuate(n)
		}
		ps = append(ps, &policyview.Node{Tag: "p", Lang: lang, Spans: text(n)})
	}
	title := notesOf.NotesTitle
	if lang != "" {
		title = b.loc.T("lists_notes") + " (" + b.zh.Lang + ")"
		ps = append([]*policyview.Node{{Tag: "p", Lang: lang, Spans: text(notesOf.NotesTitle)}}, ps...)
	}
	fieldNodes(dl, title, ps...)
}

// recipients is one entry per recipient other than the SDKs that section
// 三、(一) names: the affiliates, related parties and service providers, and
// research institutions, each with the clause in the policy's words.
func (b *builder) recipients() Group {
	g := Group{ID: "recipients", Head: &policyview.Node{Tag: "div", Class: "kc-group-head", Children: []*policyview.Node{
		{Tag: "h2", Class: "kc-h", Spans: text(b.loc.T("lists_recipients_title"))},
		{Tag: "p", Spans: text(b.loc.T("lists_recipients_intro"))},
	}}}
	for _, r := range b.cat.Recipients(b.loc.Lang) {
		dl := &policyview.Node{Tag: "dl"}
		field(dl, b.loc.T("lists_data_shared"), text(r.Data))
		field(dl, b.loc.T("lists_use"), text(r.Use))
		fieldNodes(dl, b.loc.T("lists_policy_says"), &policyview.Node{Tag: "p", Spans: b.clauseSpans(r.Clause)})
		fieldNodes(dl, b.loc.T("lists_clauses"), b.clauseLinks([]string{r.Clause})...)
		g.Entries = append(g.Entries, &policyview.Node{Tag: "article", ID: "share-" + r.Clause, Class: "kc-card", Children: []*policyview.Node{
			{Tag: "h3", Class: "kc-h", Spans: text(r.Name)},
			dl,
		}})
	}
	return g
}

func (b *builder) policyURL(id string) string {
	return "/privacy?lang=" + url.QueryEscape(b.loc.Lang) + "#" + id
}

// clauseLinks links each clause to its place in the policy, named by its
// printed number and the title of the section that holds it; "sdk-<row>"
// names a card of the SDK table.
func (b *builder) clauseLinks(ids []string) []*policyview.Node {
	ul := &policyview.Node{Tag: "ul", Class: "kc-clauses"}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		ul.Children = append(ul.Children, &policyview.Node{Tag: "li", Spans: []policyview.Span{{Text: b.clauseLabel(id), Href: b.policyURL(id)}}})
	}
	return []*policyview.Node{ul}
}

// clauseLabel names a clause as a reader finds it in the policy: "三、(一)
// 如何共享个人信息", "7.2. How do we store personal information?".
func (b *builder) clauseLabel(id string) string {
	if row, ok := strings.CutPrefix(id, "sdk-"); ok {
		if r, ok := b.doc.SDK(row); ok {
			return strings.TrimSpace(r.Number + " " + r.Name)
		}
	}
	chain := b.sections(id)
	if len(chain) == 0 {
		// The preamble, before section one.
		return b.doc.Title
	}
	num := ""
	for _, s := range chain {
		num = joinNumber(num, s.Number)
	}
	// A clause nested in clauses ("s1-4-2-4-1", (1) of (4)) carries each
	// enclosing clause's number.
	sec := chain[len(chain)-1]
	rest := strings.Split(strings.TrimPrefix(id, sec.ID), "-")
	prefix := sec.ID
	for _, part := range rest[1:] {
		prefix += "-" + part
		if blk, ok := b.findBlock(prefix); ok {
			num = joinNumber(num, blk.Number)
		}
	}
	return strings.TrimSpace(num + " " + sec.Title)
}

// joinNumber appends a printed number to its parent's: the English prints
// whole numbers ("1.4." under "1."), the Chinese each level's own ("(四)"
// under "一、").
func joinNumber(parent, n string) string {
	if parent != "" && strings.HasPrefix(n, parent) {
		return n
	}
	return parent + n
}

// sections is the chain of sections holding id, outermost first: ids are
// structural, so a clause's id starts with its section's id and a hyphen.
func (b *builder) sections(id string) []*policy.Section {
	var chain []*policy.Section
	ss := b.doc.Sections
	for {
		var next *policy.Section
		for _, s := range ss {
			if id == s.ID || strings.HasPrefix(id, s.ID+"-") {
				next = s
			}
		}
		if next == nil {
			return chain
		}
		chain = append(chain, next)
		ss = next.Children
	}
}

func (b *builder) findBlock(id string) (*policy.Block, bool) {
	r, ok := b.doc.Find(id)
	if !ok {
		return nil, false
	}
	blk, ok := r.(*policy.Block)
	return blk, ok
}

// clauseSpans is the text of a clause with its sensitive terms in bold.
func (b *builder) clauseSpans(id string) []policyview.Span {
	if blk, ok := b.findBlock(id); ok && len(blk.Items) == 0 {
		var out []policyview.Span
		for _, r := range blk.Text {
			out = append(out, policyview.Span{Text: r.Text, Strong: r.Strong})
		}
		return out
	}
	return text(b.doc.PlainText(id))
}

// dataItems lists data items, each balanced (consent.BalanceBrackets) and
// with the sensitive term it holds in bold: the catalogue's [[sensitive]]
// terms, one rule for every card, which CheckPolicy holds to cover every
// term the policy bolds.
func (b *builder) dataItems(items []string) []*policyview.Node {
	out := make([]*policyview.Node, 0, len(items))
	for _, it := range items {
		it = consent.BalanceBrackets(it)
		out = append(out, &policyview.Node{Tag: "li", Spans: b.emphasise(it)})
	}
	return out
}

// emphasise cuts item into spans, bold where it holds its sensitive term.
func (b *builder) emphasise(item string) []policyview.Span {
	term, ok := b.cat.SensitiveIn(item, b.loc.Lang)
	if !ok {
		return []policyview.Span{{Text: item}}
	}
	// Terms are compared without case; a term's lower-case form has the
	// byte length of the item's own (the terms are Chinese or ASCII).
	i := strings.Index(strings.ToLower(item), strings.ToLower(term))
	var out []policyview.Span
	if i > 0 {
		out = append(out, policyview.Span{Text: item[:i]})
	}
	out = append(out, policyview.Span{Text: item[i : i+len(term)], Strong: true})
	if rest := item[i+len(term):]; rest != "" {
		out = append(out, policyview.Span{Text: rest})
	}
	return out
}

func dedupe(items []string) []string {
	var out []string
	for _, it := range items {
		if !slices.Contains(out, it) {
			out = append(out, it)
		}
	}
	return out
}

func text(s string) []policyview.Span {
	if s == "" {
		return nil
	}
	return []policyview.Span{{Text: s}}
}

// field adds a term and its description to a definition list.
func field(dl *policyview.Node, term string, desc []policyview.Span) {
	if len(desc) == 0 {
		return
	}
	dl.Children = append(dl.Children, &policyview.Node{Tag: "dt", Spans: text(term)}, &policyview.Node{Tag: "dd", Spans: desc})
}

func fieldNodes(dl *policyview.Node, term string, desc ...*policyview.Node) {
	if len(desc) == 0 {
		return
	}
	dl.Children = append(dl.Children, &policyview.Node{Tag: "dt", Spans: text(term)}, &policyview.Node{Tag: "dd", Children: desc})
}
