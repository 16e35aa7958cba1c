package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// Library is every policy version, each checked on load.
type Library struct {
	versions []*Version // oldest first
}

// Load reads and validates every version directory of fsys: fsys is rooted
// so that "2022-10/zh-Hans.md" exists. Files at the root (a README, Go
// sources) are ignored; any other directory is an error, as is any problem
// in a policy file or a mismatch between the languages of a version.
func Load(fsys fs.FS) (*Library, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, lineErr(".", 0, "cannot list policy versions: %v", err)
	}
	l := &Library{}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if !reYearMonth.MatchString(e.Name()) {
			return nil, lineErr(e.Name(), 0, "unexpected directory; policy versions are named YYYY-MM")
		}
		v, err := loadVersion(fsys, e.Name())
		if err != nil {
			return nil, err
		}
		l.versions = append(l.versions, v)
	}
	if len(l.versions) == 0 {
		return nil, lineErr(".", 0, "no policy version directory (YYYY-MM)")
	}
	// fs.ReadDir sorts by name, and YYYY-MM names sort by date.
	return l, nil
}

func loadVersion(fsys fs.FS, dir string) (*Version, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, lineErr(dir, 0, "cannot list files: %v", err)
	}
	for _, e := range entries {
		lang, ok := strings.CutSuffix(e.Name(), ".md")
		if e.IsDir() || !ok || !slices.Contains(Languages(), lang) {
			return nil, lineErr(path.Join(dir, e.Name()), 0, "unexpected entry; a version holds one <lang>.md per language %v", Languages())
		}
	}
	v := &Version{ID: dir, Docs: map[string]*Document{}}
	for _, lang := range Languages() {
		file := path.Join(dir, lang+".md")
		src, err := fs.ReadFile(fsys, file)
		if err != nil {
			return nil, lineErr(file, 0, "missing or unreadable: %v", err)
		}
		d, err := parse(file, src)
		if err != nil {
			return nil, err
		}
		if d.Version != dir {
			return nil, lineErr(file, 0, "front matter: version %q in directory %q", d.Version, dir)
		}
		if d.Lang != lang {
			return nil, lineErr(file, 0, "front matter: lang %q in a file named for %q", d.Lang, lang)
		}
		sum := sha256.Sum256(src)
		d.SHA256 = hex.EncodeToString(sum[:])
		v.Docs[lang] = d
	}
	zh, en := v.Docs[LangZH], v.Docs[LangEN]
	v.Updated, v.Effective = zh.Updated, zh.Effective
	if en.Updated != zh.Updated || en.Effective != zh.Effective {
		return nil, lineErr(path.Join(dir, LangEN+".md"), 0,
			"front matter: updated %s, effective %s differ from %s's updated %s, effective %s",
			en.Updated, en.Effective, LangZH+".md", zh.Updated, zh.Effective)
	}
	if err := align(dir, zh, en); err != nil {
		return nil, err
	}
	return v, nil
}

// align checks that two languages of a version describe one section tree:
// the same ids, of the same kind, under the same parents, except those
// marked as present in one language only.
func align(dir string, a, b *Document) error {
	fa, fb := path.Join(dir, a.Lang+".md"), path.Join(dir, b.Lang+".md")
	for _, pair := range [][2]*Document{{a, b}, {b, a}} {
		x, y := pair[0], pair[1]
		fx, fy := path.Join(dir, x.Lang+".md"), path.Join(dir, y.Lang+".md")
		for _, id := range x.order {
			nx, ny := x.nodes[id], y.nodes[id]
			switch {
			case ny == nil && nx.only != x.Lang:
				return lineErr(fx, nx.line, "id %q has no counterpart in %s; mark it only=%s if it exists in %s only", id, fy, x.Lang, x.Lang)
			case ny != nil && nx.only != "":
				return lineErr(fx, nx.line, "id %q is marked only=%s but %s has it too (line %d)", id, nx.only, fy, ny.line)
			case ny != nil && nx.kind != ny.kind:
				return lineErr(fx, nx.line, "id %q is a %s here but a %s in %s (line %d)", id, nx.kind, ny.kind, fy, ny.line)
			case ny != nil && nx.parent != ny.parent:
				return lineErr(fx, nx.line, "id %q sits under %q here but under %q in %s (line %d)", id, nx.parent, ny.parent, fy, ny.line)
			}
		}
	}
	// The SDK table is what consent is given to, so its rows must match
	// one to one; where a field's content differs by design both languages
	// say so.
	ra, rb := a.SDKs(), b.SDKs()
	line := a.nodes[a.block(SDKTable).ID].line
	if len(ra) != len(rb) {
		return lineErr(fa, line, "SDK table has %d rows, %s has %d", len(ra), fb, len(rb))
	}
	for i := range ra {
		x, y := ra[i], rb[i]
		if x.ID != y.ID {
			return lineErr(fa, line, "SDK row %d is %q here but %q in %s", i+1, x.ID, y.ID, fb)
		}
		if !slices.Equal(x.Differs, y.Differs) {
			return lineErr(fa, line, "SDK row %q: differs %v here but %v in %s", x.ID, x.Differs, y.Differs, fb)
		}
		if (len(x.Notes) == 0) != (len(y.Notes) == 0) && !slices.Contains(x.Differs, "notes") {
			return lineErr(fa, line, "SDK row %q: notes in one language only; mark the row \"differs: notes\"", x.ID)
		}
	}
	ca, cb := a.Contact(), b.Contact()
	if !slices.Equal(ca.Differs, cb.Differs) {
		return lineErr(fa, a.nodes[a.block(Contact).ID].line, "contact: differs %v here but %v in %s", ca.Differs, cb.Differs, fb)
	}
	if ca.Site != cb.Site || ca.Phone != cb.Phone || ca.Email != cb.Email {
		return lineErr(fa, a.nodes[a.block(Contact).ID].line, "contact: site, phone and email must match %s", fb)
	}
	return nil
}

// Versions returns every version, oldest first.
func (l *Library) Versions() []*Version { return slices.Clone(l.versions) }

// Latest returns the newest version.
func (l *Library) Latest() *Version { return l.versions[len(l.versions)-1] }

// Version returns the version with id, e.g. "2022-10".
func (l *Library) Version(id string) (*Version, bool) {
	for _, v := range l.versions {
		if v.ID == id {
			return v, true
		}
	}
	return nil, false
}
