package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
)

// Section ids of the WebAssembly binary format (core spec, 5.5.2).
const (
	secCustom   = 0
	secImport   = 2
	secCode     = 10
	secData     = 11
	importFunc  = 0
	nameFuncSub = 1
)

var sectionNames = map[byte]string{
	0: "custom", 1: "type", 2: "import", 3: "function", 4: "table", 5: "memory",
	6: "global", 7: "export", 8: "start", 9: "element", 10: "code", 11: "data", 12: "data count",
}

// module is what the report needs of a wasm binary.
type module struct {
	// sections holds the size of each section's contents by name; custom
	// sections are named "custom:<name>".
	sections map[string]int
	// funcs holds each defined function's body size by its index in the
	// function index space (imports first).
	funcs map[uint32]int
	// names maps a function index to its name (the "name" section).
	names map[uint32]string
	// bodies holds each defined function's body bytes, by index.
	bodies map[uint32][]byte
}

type reader struct {
	b   []byte
	off int
}

func (r *reader) eof() bool { return r.off >= len(r.b) }

func (r *reader) byte() (byte, error) {
	if r.off >= len(r.b) {
		return 0, io.ErrUnexpectedEOF
	}
	c := r.b[r.off]
	r.off++
	return c, nil
}

func (r *reader) uleb() (uint32, error) {
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 || v > 1<<32-1 {
		return 0, fmt.Errorf("bad LEB128 at offset %d", r.off)
	}
	r.off += n
	return uint32(v), nil
}

func (r *reader) bytes(n uint32) ([]byte, error) {
	if uint64(r.off)+uint64(n) > uint64(len(r.b)) {
		return nil, io.ErrUnexpectedEOF
	}
	out := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return out, nil
}

func (r *reader) name() (string, error) {
	n, err := r.uleb()
	if err != nil {
		return "", err
	}
	b, err := r.bytes(n)
	return string(b), err
}

// parse reads the sections of a wasm binary that the report uses.
func parse(b []byte) (*module, error) {
	if len(b) < 8 || !bytes.Equal(b[:4], []byte("\x00asm")) {
		return nil, errors.New("not a WebAssembly binary")
	}
	m := &module{sections: map[string]int{}, funcs: map[uint32]int{}, names: map[uint32]string{}, bodies: map[uint32][]byte{}}
	r := &reader{b: b, off: 8}
	var imported uint32
	for !r.eof() {
		id, err := r.byte()
		if err != nil {
			return nil, err
		}
		size, err := r.uleb()
		if err != nil {
			return nil, err
		}
		body, err := r.bytes(size)
		if err != nil {
			return nil, fmt.Errorf("section %d: %w", id, err)
		}
		s := &reader{b: body}
		name := sectionNames[id]
		switch id {
		case secCustom:
			cn, err := s.name()
			if err != nil {
				return nil, err
			}
			name = "custom:" + cn
			if cn == "name" {
				if err := m.readNames(s); err != nil {
					return nil, fmt.Errorf("name section: %w", err)
				}
			}
		case secImport:
			if imported, err = countFuncImports(s); err != nil {
				return nil, fmt.Errorf("import section: %w", err)
			}
		case secCode:
			n, err := s.uleb()
			if err != nil {
				return nil, err
			}
			for i := uint32(0); i < n; i++ {
				sz, err := s.uleb()
				if err != nil {
					return nil, err
				}
				fb, err := s.bytes(sz)
				if err != nil {
					return nil, err
				}
				m.funcs[imported+i] = int(sz)
				m.bodies[imported+i] = fb
			}
		}
		if name == "" {
			name = fmt.Sprintf("section %d", id)
		}
		m.sections[name] += int(size)
	}
	return m, nil
}

// countFuncImports counts the imported functions, which come first in the
// function index space.
func countFuncImports(s *reader) (uint32, error) {
	n, err := s.uleb()
	if err != nil {
		return 0, err
	}
	var funcs uint32
	for i := uint32(0); i < n; i++ {
		if _, err := s.name(); err != nil {
			return 0, err
		}
		if _, err := s.name(); err != nil {
			return 0, err
		}
		kind, err := s.byte()
		if err != nil {
			return 0, err
		}
		switch kind {
		case importFunc:
			if _, err := s.uleb(); err != nil {
				return 0, err
			}
			funcs++
		case 1: // table: reftype, limits
			if _, err := s.byte(); err != nil {
				return 0, err
			}
			if err := skipLimits(s); err != nil {
				return 0, err
			}
		case 2: // memory: limits
			if err := skipLimits(s); err != nil {
				return 0, err
			}
		case 3: // global: valtype, mut
			if _, err := s.bytes(2); err != nil {
				return 0, err
			}
		default:
			return 0, fmt.Errorf("unknown import kind %d", kind)
		}
	}
	return funcs, nil
}

func skipLimits(s *reader) error {
	flag, err := s.byte()
	if err != nil {
		return err
	}
	if _, err := s.uleb(); err != nil {
		return err
	}
	if flag&1 != 0 {
		_, err = s.uleb()
	}
	return err
}

func (m *module) readNames(s *reader) error {
	for !s.eof() {
		sub, err := s.byte()
		if err != nil {
			return err
		}
		size, err := s.uleb()
		if err != nil {
			return err
		}
		body, err := s.bytes(size)
		if err != nil {
			return err
		}
		if sub != nameFuncSub {
			continue
		}
		f := &reader{b: body}
		n, err := f.uleb()
		if err != nil {
			return err
		}
		for i := uint32(0); i < n; i++ {
			idx, err := f.uleb()
			if err != nil {
				return err
			}
			name, err := f.name()
			if err != nil {
				return err
			}
			m.names[idx] = name
		}
	}
	return nil
}

// mangle is how the linker names a function in the wasm's name section:
// every character but letters, digits, '_' and '.' becomes '_'
// (cmd/link/internal/wasm, nameRegexp).
var mangled = regexp.MustCompile(`[^\w.]`)

func mangle(importPath string) string { return mangled.ReplaceAllString(importPath, "_") }

// packages attributes mangled symbol names to import paths: the longest
// mangled path that, with a dot, starts the name. Names of no package
// (compiler-made "type:.eq.…" functions, "go:…") group by their prefix.
type packages struct {
	byMangled map[string]string
	longest   int
}

func newPackages(importPaths []string) *packages {
	p := &packages{byMangled: map[string]string{}}
	for _, ip := range importPaths {
		m := mangle(ip)
		p.byMangled[m] = ip
		p.longest = max(p.longest, len(m))
	}
	return p
}

func (p *packages) of(sym string) string {
	for i := min(len(sym)-1, p.longest); i > 0; i-- {
		if sym[i] != '.' {
			continue
		}
		if ip, ok := p.byMangled[sym[:i]]; ok {
			return ip
		}
	}
	prefix, _, _ := strings.Cut(sym, ".")
	return "(" + prefix + ")"
}

// pkgSize is the code of one package.
type pkgSize struct {
	Name  string
	Funcs int
	Bytes int
	// Gzip is the package's code compressed on its own: an estimate of
	// what removing it saves on the wire.
	Gzip int
}

// byPackage sums the function bodies of each package, largest first.
func (m *module) byPackage(pkgs *packages, gz func([]byte) int) []pkgSize {
	sizes := map[string]*pkgSize{}
	code := map[string]*bytes.Buffer{}
	for idx, n := range m.funcs {
		name, ok := m.names[idx]
		if !ok {
			name = "(unnamed)"
		}
		p := pkgs.of(name)
		if sizes[p] == nil {
			sizes[p] = &pkgSize{Name: p}
			code[p] = &bytes.Buffer{}
		}
		sizes[p].Funcs++
		sizes[p].Bytes += n
		code[p].Write(m.bodies[idx])
	}
	out := make([]pkgSize, 0, len(sizes))
	for p, s := range sizes {
		if gz != nil {
			s.Gzip = gz(code[p].Bytes())
		}
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Bytes != out[j].Bytes {
			return out[i].Bytes > out[j].Bytes
		}
		return out[i].Name < out[j].Name
	})
	return out
}
