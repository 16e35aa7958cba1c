package bundle

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/datadir"
	"github.com/kaiconn/consent/lang/texts"
	"github.com/kaiconn/consent/locales/catalogue"
	policydata "github.com/kaiconn/consent/locales/policy"
	"github.com/kaiconn/consent/policy"
	"github.com/kaiconn/consent/server"
)

// DefaultOrigin is the consent server a bundle talks to when none is given:
// the address make run serves on.
const DefaultOrigin = "http://localhost:8080"

// ManifestVersion is the version of manifest.json's format (docs/bundle.md).
const ManifestVersion = 1

// Options say what to build.
type Options struct {
	// Origin is the consent server the bundle's pages post decisions and
	// receipts to (scheme://host[:port]); DefaultOrigin when empty.
	Origin string
	// Out is the directory written: created, or replaced when it holds an
	// earlier bundle (a manifest.json); any other non-empty directory is
	// refused, so that a mistyped path deletes nothing.
	Out string
	// WebDir holds the built app.wasm and wasm_exec.js (make wasm).
	WebDir string
	// CatalogueFS and PolicyFS are the catalogues and policy texts; nil
	// uses the embedded ones, as the server does. The newest version is
	// the one bundled.
	CatalogueFS fs.FS
	PolicyFS    fs.FS
}

// Manifest is manifest.json, a public contract (docs/bundle.md): what the
// app reads to open a surface, to know which policy version it ships and
// to check the files it unpacked.
type Manifest struct {
	V             int    `json:"v"`
	PolicyVersion string `json:"policyVersion"`
	Origin        string `json:"origin"`
	// Languages are the languages every page exists in; the first is the
	// one an entry shows without ?lang=.
	Languages []string `json:"languages"`
	// Entries is the page to open per surface, relative to the bundle's
	// root; it takes ?lang= (and the permission page ?p=) and passes every
	// other query parameter (?state=) on.
	Entries map[string]string `json:"entries"`
	// Pages is every page per surface and language, for a host that
	// would rather open one directly; permission pages are keyed
	// "permission/<id>".
	Pages map[string]map[string]string `json:"pages"`
	// Files is the lowercase hex SHA-256 of every file but manifest.json,
	// by its path relative to the bundle's root.
	Files map[string]string `json:"files"`
}

// surface is one of the app's surfaces: its manifest name, the server's
// path and the bundle directory its pages go to.
type surface struct{ name, path, dir string }

// surfaces are the bundled surfaces. The rights centre and the contact are
// parts of the settings page, entered by their anchors.
var surfaces = []surface{
	{"gate", "/consent", "consent"},
	{"settings", "/settings/privacy", "settings"},
	{"policy", "/privacy", "privacy"},
	{"collected", "/privacy/collected", "collected"},
	{"shared", "/privacy/shared", "shared"},
	{"permission", "/permission", "permission"},
}

// anchors are the entries that open a part of another surface's page.
var anchors = map[string]struct{ surface, fragment string }{
	"rights":  {"settings", "kc-rights"},
	"contact": {"settings", "kc-contact"},
}

// page is one bundled page: which surface, and the query that selects it.
type page struct {
	surface surface
	lang    string
	view    string // "bilingual" for the policy's side-by-side view
	perm    string // the permission page's ?p=
}

// file is where a page lives in the bundle.
func (p page) file() string {
	name := p.lang
	if p.view != "" {
		name += "." + p.view
	}
	if p.perm != "" {
		return path.Join(p.surface.dir, p.perm, name+".html")
	}
	return path.Join(p.surface.dir, name+".html")
}

// url is the server's URL of the page.
func (p page) url() string {
	q := url.Values{"lang": {p.lang}}
	if p.view != "" {
		q.Set("view", p.view)
	}
	if p.perm != "" {
		q.Set("p", p.perm)
	}
	return p.surface.path + "?" + q.Encode()
}

// Build writes the bundle to opt.Out and returns its manifest.
func Build(ctx context.Context, opt Options) (*Manifest, error) {
	origin, err := checkOrigin(opt.Origin)
	if err != nil {
		return nil, err
	}
	if opt.Out == "" {
		return nil, errors.New("bundle: no output directory")
	}
	for _, name := range []string{"app.wasm", "wasm_exec.js"} {
		if _, err := os.Stat(filepath.Join(opt.WebDir, name)); err != nil {
			return nil, fmt.Errorf("bundle: %s is not built in %s (run make wasm): %w", name, opt.WebDir, err)
		}
	}
	polFS, catFS := opt.PolicyFS, opt.CatalogueFS
	if polFS == nil {
		polFS = policydata.FS
	}
	if catFS == nil {
		catFS = catalogue.FS
	}
	lib, err := policy.Load(polFS)
	if err != nil {
		return nil, fmt.Errorf("bundle: policy: %w", err)
	}
	latest := lib.Latest()
	cat, err := consent.LoadCatalogueFor(catFS, latest)
	if err != nil {
		return nil, fmt.Errorf("bundle: catalogue of %s: %w", latest.ID, err)
	}

	// The program itself, on a data directory of its own: its keys and
	// its empty store are thrown away with it, and nothing it minted
	// (tickets) is kept.
	srv, err := throwawayServer(server.Config{WebDir: opt.WebDir, CatalogueFS: catFS, PolicyFS: polFS, PurgeEvery: -1})
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	defer srv.Close()

	b := &builder{
		ctx: ctx, h: srv.Handler(), origin: origin, version: latest.ID,
		files: map[string][]byte{}, queued: map[string]bool{},
	}
	// The server's default first: an entry opened without ?lang= shows
	// what the server shows a reader whose preferences it cannot match.
	langs := []string{texts.Default, texts.Other(texts.Default)}
	m := &Manifest{
		V: ManifestVersion, PolicyVersion: latest.ID, Origin: origin, Languages: langs,
		Entries: map[string]string{}, Pages: map[string]map[string]string{},
	}
	for _, s := range surfaces {
		if s.name == "permission" {
			for _, id := range permissionIDs(cat) {
				for _, l := range langs {
					b.queue(page{surface: s, lang: l, perm: id})
				}
			}
		} else {
			for _, l := range langs {
				b.queue(page{surface: s, lang: l})
			}
		}
		index := path.Join(s.dir, "index.html")
		b.files[index] = indexPage(s, langs)
		m.Entries[s.name] = index
	}
	for name, a := range anchors {
		m.Entries[name] = m.Entries[a.surface] + "#" + a.fragment
	}
	b.files["lang.js"] = langScript
	b.files["bundle.js"] = bundleScript
	b.files["newer.js"] = newerScript
	// Pages found by following links are queued as they are found.
	for len(b.todo) > 0 {
		p := b.todo[0]
		b.todo = b.todo[1:]
		if err := b.render(p); err != nil {
			return nil, err
		}
		key := p.surface.name
		if p.perm != "" {
			key += "/" + p.perm
		}
		if p.view != "" {
			key += "." + p.view
		}
		if m.Pages[key] == nil {
			m.Pages[key] = map[string]string{}
		}
		m.Pages[key][p.lang] = p.file()
	}
	if err := b.gateScripts(); err != nil {
		return nil, err
	}
	m.Files = map[string]string{}
	for name, body := range b.files {
		sum := sha256.Sum256(body)
		m.Files[name] = hex.EncodeToString(sum[:])
	}
	manifest, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	b.files["manifest.json"] = append(manifest, '\n')
	if err := write(opt.Out, b.files); err != nil {
		return nil, err
	}
	return m, nil
}

// checkOrigin accepts scheme://host[:port] over http or https, and nothing
// more: the origin ends up in a Content-Security-Policy and in URLs.
func checkOrigin(o string) (string, error) {
	if o == "" {
		o = DefaultOrigin
	}
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("bundle: origin %q is not scheme://host[:port] over http or https", o)
	}
	return u.Scheme + "://" + u.Host, nil
}

// permissionIDs are the ids of every permission page, in the catalogue's
// order: the permissions of every business function of the app.
func permissionIDs(cat *consent.Catalogue) []string {
	var ids []string
	for _, p := range cat.Purposes(consent.SurfaceFirstLaunch) {
		for _, f := range p.Functions {
			for _, perm := range cat.FunctionPermissions(f.ID) {
				if !slices.Contains(ids, perm.ID) {
					ids = append(ids, perm.ID)
				}
			}
		}
	}
	return ids
}

// builder renders pages through the server's handler and collects the
// bundle's files.
type builder struct {
	ctx    context.Context
	h      http.Handler
	origin string
	// version is the policy version the pages show.
	version string
	files   map[string][]byte
	todo    []page
	queued  map[string]bool
}

func (b *builder) queue(p page) {
	if !b.queued[p.file()] {
		b.queued[p.file()] = true
		b.todo = append(b.todo, p)
	}
}

// get asks the handler for target as a browser on its first launch does:
// no cookie, no state.
func (b *builder) get(target string) (*http.Response, []byte, error) {
	req := httptest.NewRequestWithContext(b.ctx, http.MethodGet, target, nil)
	req.RemoteAddr = "127.0.0.1:1"
	rec := httptest.NewRecorder()
	b.h.ServeHTTP(rec, req)
	res := rec.Result()
	if res.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("bundle: GET %s: %s", target, res.Status)
	}
	return res, rec.Body.Bytes(), nil
}

// render fetches one page and rewrites it into the bundle.
func (b *builder) render(p page) error {
	res, body, err := b.get(p.url())
	if err != nil {
		return err
	}
	out, err := b.rewritePage(p, body, res.Header.Get("Content-Security-Policy"))
	if err != nil {
		return fmt.Errorf("bundle: %s: %w", p.url(), err)
	}
	b.files[p.file()] = out
	return nil
}

// asset copies the asset at the server's absolute path into the bundle
// and returns its path in the bundle.
func (b *builder) asset(abs string) (string, error) {
	name := strings.TrimPrefix(abs, "/")
	if _, ok := b.files[name]; ok {
		return name, nil
	}
	_, body, err := b.get(abs)
	if err != nil {
		return "", err
	}
	if strings.HasSuffix(name, ".css") {
		if body, err = b.rewriteCSS(name, body); err != nil {
			return "", err
		}
	}
	b.files[name] = body
	return name, nil
}

// isAsset says whether an absolute path names a file the server serves as
// it is (an asset) rather than a page.
func isAsset(p string) bool {
	return strings.HasPrefix(p, "/static/") || (path.Dir(p) == "/" && (strings.HasSuffix(p, ".wasm") || strings.HasSuffix(p, ".js")))
}

// pageOf returns the bundled page an absolute URL of the server names, and
// whether there is one, with the query its scripts read. from is the page
// the link is on: a link without ?lang= stays in its language. open and
// state are the page's to read in the browser (the person opened the
// choices; the host's state), so they stay on the link; setlang only
// stores a preference on the server and is dropped; any other parameter
// (q, r, unchanged) makes the URL the server's.
func pageOf(u *url.URL, from page) (page, url.Values, bool) {
	var s surface
	found := false
	for _, x := range surfaces {
		if x.path == u.Path {
			s, found = x, true
		}
	}
	if !found {
		return page{}, nil, false
	}
	p := page{surface: s, lang: from.lang}
	keep := url.Values{}
	for k, vs := range u.Query() {
		if len(vs) != 1 {
			return page{}, nil, false
		}
		switch v := vs[0]; {
		case k == "lang":
			p.lang = v
		case k == "open" || k == "state":
			keep.Set(k, v)
		case k == "setlang":
		case k == "view" && s.name == "policy" && v == "bilingual":
			p.view = v
		case k == "p" && s.name == "permission":
			p.perm = v
		default:
			return page{}, nil, false
		}
	}
	if p.lang != texts.Default && p.lang != texts.Other(texts.Default) {
		return page{}, nil, false
	}
	if s.name == "permission" && p.perm == "" {
		return page{}, nil, false
	}
	return p, keep, true
}

// rel is the relative URL from the file at from to the file at to.
func rel(from, to string) string {
	r, err := filepath.Rel(path.Dir(from), to)
	if err != nil {
		return to
	}
	return filepath.ToSlash(r)
}

// mapURL rewrites one absolute URL of a page at file: to a relative path
// when the bundle holds what it names, to the consent server otherwise.
// Anything else (https://…, mailto:, #fragment) stays as it is.
func (b *builder) mapURL(file string, from page, raw string) (string, error) {
	if !strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, "//") {
		return raw, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("URL %q: %w", raw, err)
	}
	if isAsset(u.Path) && u.RawQuery == "" {
		name, err := b.asset(u.Path)
		if err != nil {
			return "", err
		}
		return rel(file, name), nil
	}
	if p, keep, ok := pageOf(u, from); ok {
		b.queue(p)
		r := rel(file, p.file())
		if len(keep) > 0 {
			r += "?" + keep.Encode()
		}
		if u.Fragment != "" {
			r += "#" + u.Fragment
		}
		return r, nil
	}
	return b.origin + raw, nil
}

var (
	// attrRE finds the attributes that hold a URL of ours.
	attrRE = regexp.MustCompile(`\s(href|src|action|data-wasm|data-wasm-exec|data-engine)="(/[^"]*)"`)
	// jsonRE finds the page state blocks, which hold URLs the wasm
	// renders as links.
	jsonRE = regexp.MustCompile(`(?s)(<script id="[a-z-]+" type="application/json">)(.*?)(</script>)`)
	// ticketRE finds a ticket: t1.<receipt id>.<subject>.<ms>.<mac>.
	ticketRE = regexp.MustCompile(`t1\.([0-9a-f-]{36})\.sub_[a-z0-9]+\.[0-9]+\.[A-Za-z0-9_-]+`)
	// postFormRE finds the start tag of a form that posts, and actionRE
	// its action.
	postFormRE = regexp.MustCompile(`<form[^>]*\smethod="post"[^>]*>`)
	actionRE   = regexp.MustCompile(`\saction="(/[^"]*)"`)
	// cssURLRE finds url(/…) in a stylesheet.
	cssURLRE = regexp.MustCompile(`url\((["']?)(/[^"')]+)(["']?)\)`)
)

// rewritePage makes one server page a bundle page.
func (b *builder) rewritePage(p page, body []byte, csp string) ([]byte, error) {
	file := p.file()
	s := string(body)
	// A ticket and the receipt id it carries are the build's throwaway
	// server's; none may reach an install.
	for _, m := range ticketRE.FindAllStringSubmatch(s, -1) {
		s = strings.ReplaceAll(s, m[0], "")
		s = strings.ReplaceAll(s, m[1], "")
	}
	var firstErr error
	keep := func(err error) {
		if firstErr == nil {
			firstErr = err
		}
	}
	s = jsonRE.ReplaceAllStringFunc(s, func(block string) string {
		m := jsonRE.FindStringSubmatch(block)
		out, err := b.rewriteJSON(file, p, m[2])
		if err != nil {
			keep(err)
			return block
		}
		return m[1] + out + m[3]
	})
	// A form that posts a decision is the consent server's to answer:
	// only its action goes there; a search form stays in the bundle.
	s = postFormRE.ReplaceAllStringFunc(s, func(tag string) string {
		return actionRE.ReplaceAllString(tag, ` action="`+b.origin+`$1"`)
	})
	s = attrRE.ReplaceAllStringFunc(s, func(a string) string {
		m := attrRE.FindStringSubmatch(a)
		raw := strings.ReplaceAll(m[2], "&amp;", "&")
		u, err := b.mapURL(file, p, raw)
		if err != nil {
			keep(err)
			return a
		}
		return " " + m[1] + `="` + strings.ReplaceAll(u, "&", "&amp;") + `"`
	})
	if firstErr != nil {
		return nil, firstErr
	}
	// The policy goes right after the charset, before anything it rules.
	head := `<meta charset="utf-8">`
	i := strings.Index(s, head)
	if i < 0 {
		return nil, errors.New(`no <meta charset="utf-8">`)
	}
	i += len(head)
	meta := `<meta http-equiv="Content-Security-Policy" content="` + bundleCSP(csp, b.origin) + `">` +
		`<meta name="kaiconn-origin" content="` + b.origin + `">` +
		`<meta name="kaiconn-policy-version" content="` + b.version + `">`
	return []byte(s[:i] + meta + s[i:]), nil
}

// gateScripts adds to each gate page, before gate.js, the device outbox
// (the settings page's outbox.js, the same file), bundle.js and newer.js,
// and to each settings page bundle.js and newer.js after its outbox: a page served from
// the app's assets has no ticket, so its receipt is the device's to sign,
// and a gate's policy version may be older than the server's
// (docs/bundle.md).
func (b *builder) gateScripts() error {
	outbox := ""
	for name := range b.files {
		if strings.HasPrefix(name, "static/outbox.") && strings.HasSuffix(name, ".js") {
			outbox = name
		}
	}
	if outbox == "" {
		name, err := b.asset("/static/outbox.js")
		if err != nil {
			return err
		}
		outbox = name
	}
	for name, body := range b.files {
		if !strings.HasPrefix(name, "consent/") || !strings.HasSuffix(name, ".html") || strings.HasSuffix(name, "/index.html") {
			continue
		}
		s := string(body)
		i := strings.Index(s, `<script src="`+rel(name, "static/gate."))
		if i < 0 {
			return fmt.Errorf("bundle: %s: no gate.js to put the bundle's scripts before", name)
		}
		add := `<script src="` + rel(name, outbox) + `" defer></script><script src="` + rel(name, "bundle.js") + `" defer></script><script src="` + rel(name, "newer.js") + `" defer></script>`
		b.files[name] = []byte(s[:i] + add + s[i:])
	}
	// The settings pages load the outbox already; bundle.js goes right
	// after it, so that a change decided on the device (by the wasm) takes
	// the gate's path to a receipt, and newer.js after that, so that a
	// newer policy reaches the settings as it reaches the gate.
	for name, body := range b.files {
		if !strings.HasPrefix(name, "settings/") || !strings.HasSuffix(name, ".html") || strings.HasSuffix(name, "/index.html") {
			continue
		}
		s := string(body)
		tag := `<script src="` + rel(name, outbox) + `" defer></script>`
		i := strings.Index(s, tag)
		if i < 0 {
			return fmt.Errorf("bundle: %s: no outbox.js to put bundle.js after", name)
		}
		i += len(tag)
		b.files[name] = []byte(s[:i] + `<script src="` + rel(name, "bundle.js") + `" defer></script><script src="` + rel(name, "newer.js") + `" defer></script>` + s[i:])
	}
	return nil
}

// rewriteJSON maps every string of a page state block that is an absolute
// URL of ours, as mapURL does with attributes.
func (b *builder) rewriteJSON(file string, p page, text string) (string, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", fmt.Errorf("page state: %w", err)
	}
	var walk func(any) (any, error)
	walk = func(v any) (any, error) {
		switch x := v.(type) {
		case string:
			return b.mapURL(file, p, x)
		case []any:
			for i := range x {
				var err error
				if x[i], err = walk(x[i]); err != nil {
					return nil, err
				}
			}
		case map[string]any:
			for k := range x {
				var err error
				if x[k], err = walk(x[k]); err != nil {
					return nil, err
				}
			}
		}
		return v, nil
	}
	v, err := walk(v)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// HTML escaping keeps "</script>" out of the block.
	enc.SetEscapeHTML(true)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// rewriteCSS makes a stylesheet's url(/…) relative to where it lies.
func (b *builder) rewriteCSS(name string, body []byte) ([]byte, error) {
	var firstErr error
	out := cssURLRE.ReplaceAllFunc(body, func(m []byte) []byte {
		g := cssURLRE.FindSubmatch(m)
		target, err := b.asset(string(g[2]))
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			return m
		}
		return []byte("url(" + string(g[1]) + rel(name, target) + string(g[3]) + ")")
	})
	return out, firstErr
}

// bundleCSP is the server's policy for a page served from the bundle: the
// bundle's own origin stands for 'self', and the consent server is added
// where a page reaches it. frame-ancestors is left out: a meta element
// cannot carry it (the browser ignores it there, with a warning).
func bundleCSP(server, origin string) string {
	var out []string
	for _, d := range strings.Split(server, ";") {
		d = strings.TrimSpace(d)
		name, _, _ := strings.Cut(d, " ")
		switch name {
		case "":
			continue
		case "frame-ancestors":
			continue
		case "connect-src", "form-action":
			d += " " + origin
		}
		out = append(out, d)
	}
	return strings.Join(out, "; ")
}

// write puts the files in dir, replacing an earlier bundle there: it
// writes a new directory beside it and swaps the two, so that a failed
// build leaves the earlier bundle whole.
func write(dir string, files map[string][]byte) error {
	dir = filepath.Clean(dir)
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err != nil {
			return fmt.Errorf("bundle: %s is not empty and holds no manifest.json: not replacing it", dir)
		}
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := filepath.Join(tmp, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, files[name], 0o644); err != nil {
			return err
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	old := tmp + ".old"
	if err := os.Rename(dir, old); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return err
	}
	return os.RemoveAll(old)
}

// throwawayServer is the server over a data directory of its own, made
// here and removed by closing: an empty store, fresh keys and a fresh
// cookie key, enough to render its pages as a first launch sees them, and
// nothing that outlives the build.
func throwawayServer(cfg server.Config) (*throwaway, error) {
	dir, err := os.MkdirTemp("", "kaiconn-bundle-data-")
	if err != nil {
		return nil, err
	}
	d, err := datadir.Open(datadir.Config{Dir: dir}, nil)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	cfg.DataDir = dir
	srv, err := server.New(cfg, server.Deps{Store: d.Store, Keys: d.Keys, CookieKey: d.CookieKey}, slog.New(slog.DiscardHandler))
	if err != nil {
		d.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	return &throwaway{Server: srv, data: d, dir: dir}, nil
}

// throwaway is a server with the data directory it alone uses.
type throwaway struct {
	*server.Server
	data *datadir.Data
	dir  string
}

// Close stops the server, closes its store and removes its directory.
func (t *throwaway) Close() error {
	err := errors.Join(t.Server.Close(), t.data.Close())
	return errors.Join(err, os.RemoveAll(t.dir))
}
