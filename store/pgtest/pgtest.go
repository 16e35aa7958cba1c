package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNoPostgres means the PostgreSQL server binaries are not installed.
var ErrNoPostgres = errors.New("pgtest: PostgreSQL binaries not found under /usr/lib/postgresql/*/bin (install the postgresql package: run make deps)")

// Server is one running throwaway PostgreSQL cluster, listening on
// 127.0.0.1 only, with trust authentication for the user postgres.
type Server struct {
	Port int

	bin      string // directory holding initdb, pg_ctl and postgres
	dir      string // owns everything the server writes
	cred     *syscall.Credential
	watchdog chan struct{} // closed when the watchdog has exited
	dbs      atomic.Int64

	schemaOnce sync.Once // creates the database that holds the schemas
	schemaDSN  string
	schemaErr  error
}

// BinDir returns the directory of the newest installed PostgreSQL's
// binaries, or ErrNoPostgres. PGTEST_BINDIR, when set, is the only place
// looked at.
func BinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	if dir := os.Getenv("PGTEST_BINDIR"); dir != "" {
		dirs = []string{dir}
	}
	var found []string
	for _, dir := range dirs {
		if _, err := os.Stat(filepath.Join(dir, "pg_ctl")); err == nil {
			found = append(found, dir)
		}
	}
	if len(found) == 0 {
		return "", ErrNoPostgres
	}
	version := func(dir string) int {
		n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
		return n
	}
	sort.Slice(found, func(i, j int) bool { return version(found[i]) > version(found[j]) })
	return found[0], nil
}

// Start initialises a cluster in a new temporary directory and starts it on
// a free port. initdb refuses to run as root, so when we are root the
// server runs as the postgres system user the package creates.
func Start() (*Server, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	s := &Server{bin: bin}

	parent := os.TempDir()
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("pgtest: running as root needs the postgres system user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		// Every directory above the cluster must be open to postgres,
		// which a root-only TMPDIR would not be.
		parent = "/tmp"
	}
	if s.dir, err = os.MkdirTemp(parent, "pgtest-"); err != nil {
		return nil, err
	}
	if s.cred != nil {
		if err := os.Chown(s.dir, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
			os.RemoveAll(s.dir)
			return nil, err
		}
	}

	// --no-sync only skips flushing the template files initdb writes; the
	// server itself runs with fsync on, as in production.
	if err := s.run("initdb", "-D", s.data(), "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--no-locale", "--no-sync"); err != nil {
		os.RemoveAll(s.dir)
		return nil, err
	}

	// A port found free may be taken before the server binds it; another
	// try with another port settles that race.
	for attempt := 0; ; attempt++ {
		if s.Port, err = freePort(); err != nil {
			break
		}
		opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -c port=%d -k %s -c fsync=on -c synchronous_commit=on -c max_connections=200",
			s.Port, s.dir)
		err = s.run("pg_ctl", "-D", s.data(), "-l", s.log(), "-o", opts, "-w", "-t", "60", "start")
		if err == nil || attempt == 2 {
			break
		}
	}
	if err != nil {
		err = fmt.Errorf("%w\n%s", err, s.logTail())
		os.RemoveAll(s.dir)
		return nil, err
	}
	s.startWatchdog()
	return s, nil
}

// startWatchdog stops the server and removes its files if this process
// dies without calling Stop (a test timeout, a kill), so that no orphaned
// server is left running on the machine. It is best-effort: without it
// everything still works, only a crashed run leaks a server.
func (s *Server) startWatchdog() {
	// The loop also ends when Stop has removed the directory, so that the
	// watchdog exits by itself and is reaped here, not left to init.
	script := fmt.Sprintf(`while [ -d /proc/%d ] && [ -d %q ]; do sleep 1; done; [ -d %q ] || exit 0; %q -D %q stop -m immediate >/dev/null 2>&1; rm -rf %q`,
		os.Getpid(), s.dir, s.dir, filepath.Join(s.bin, "pg_ctl"), s.data(), s.dir)
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Credential: s.cred}
	if cmd.Start() != nil {
		return
	}
	s.watchdog = make(chan struct{})
	go func() {
		cmd.Wait()
		close(s.watchdog)
	}()
}

// Stop stops the server at once (no checkpoint: it is thrown away) and
// removes its files.
func (s *Server) Stop() error {
	err := s.run("pg_ctl", "-D", s.data(), "stop", "-m", "immediate", "-w")
	err = errors.Join(err, os.RemoveAll(s.dir))
	if s.watchdog != nil {
		select {
		case <-s.watchdog:
		case <-time.After(5 * time.Second):
		}
	}
	return err
}

// URL returns the connection string for database on the server.
func (s *Server) URL(database string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.Port, database)
}

// NewDatabase creates an empty database and returns its connection string.
func (s *Server) NewDatabase(ctx context.Context) (string, error) {
	name := fmt.Sprintf("t_%d_%d", os.Getpid(), s.dbs.Add(1))
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	return s.URL(name), nil
}

// DropDatabase drops the database of a connection string NewDatabase
// returned, closing any connection left open on it.
func (s *Server) DropDatabase(ctx context.Context, dsn string) error {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{cfg.Database}.Sanitize()+" WITH (FORCE)")
	return err
}

// NewSchema creates an empty schema in a database shared by all schemas
// of the server, and returns a connection string whose search_path is that
// schema. It isolates a test as a new database does, at a tenth of the
// cost, for code that names its tables without a schema.
func (s *Server) NewSchema(ctx context.Context) (string, error) {
	s.schemaOnce.Do(func() { s.schemaDSN, s.schemaErr = s.NewDatabase(ctx) })
	if s.schemaErr != nil {
		return "", s.schemaErr
	}
	name := fmt.Sprintf("s_%d", s.dbs.Add(1))
	conn, err := pgx.Connect(ctx, s.schemaDSN)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		return "", err
	}
	return s.schemaDSN + "&search_path=" + name, nil
}

// DropSchema drops the schema of a connection string NewSchema returned,
// with everything in it.
func (s *Server) DropSchema(ctx context.Context, dsn string) error {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, s.schemaDSN)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{cfg.RuntimeParams["search_path"]}.Sanitize()+" CASCADE")
	return err
}

func (s *Server) data() string { return filepath.Join(s.dir, "data") }
func (s *Server) log() string  { return filepath.Join(s.dir, "server.log") }

func (s *Server) logTail() string {
	b, _ := os.ReadFile(s.log())
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// run runs one of the server's binaries as the user that owns the cluster.
func (s *Server) run(name string, args ...string) error {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Dir = s.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("pgtest: %s: %w\n%s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// The server a test binary shares when its TestMain calls Main.
var shared struct {
	enabled bool
	once    sync.Once
	server  *Server
	err     error
}

// Main runs the tests of a test binary with one shared server, started by
// the first test that asks for a database and stopped when all are done.
func Main(m *testing.M) {
	shared.enabled = true
	code := m.Run()
	if shared.server != nil {
		if err := shared.server.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	os.Exit(code)
}

// DSN returns the connection string of a fresh, empty database for t,
// dropped when t ends.
func DSN(t testing.TB) string {
	t.Helper()
	s := server(t)
	ctx := context.Background()
	dsn, err := s.NewDatabase(ctx)
	if err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		if err := s.DropDatabase(ctx, dsn); err != nil {
			t.Errorf("pgtest: drop database: %v", err)
		}
	})
	return dsn
}

// SchemaDSN returns the connection string of a fresh, empty schema for t,
// dropped when t ends: as isolated as DSN for code that names tables
// without a schema, and much cheaper, for suites that want an empty store
// in every subtest.
func SchemaDSN(t testing.TB) string {
	t.Helper()
	s := server(t)
	ctx := context.Background()
	dsn, err := s.NewSchema(ctx)
	if err != nil {
		t.Fatalf("pgtest: create schema: %v", err)
	}
	t.Cleanup(func() {
		if err := s.DropSchema(ctx, dsn); err != nil {
			t.Errorf("pgtest: drop schema: %v", err)
		}
	})
	return dsn
}

// server returns the shared server, or under no Main one for t alone.
// Under -short it starts none and skips t: the short run must need no
// PostgreSQL, and starting one costs seconds.
func server(t testing.TB) *Server {
	t.Helper()
	if testing.Short() {
		t.Skip("pgtest: no PostgreSQL under -short")
	}
	if !shared.enabled {
		s, err := Start()
		missing(t, err)
		t.Cleanup(func() {
			if err := s.Stop(); err != nil {
				t.Errorf("pgtest: stop: %v", err)
			}
		})
		return s
	}
	shared.once.Do(func() {
		start := time.Now()
		shared.server, shared.err = Start()
		if shared.err == nil {
			t.Logf("pgtest: server on port %d started in %v", shared.server.Port, time.Since(start).Round(time.Millisecond))
		}
	})
	missing(t, shared.err)
	return shared.server
}

// missing ends t when there is no server: skipped on a developer's machine
// without PostgreSQL, failed in CI, where a skip would hide a gap.
func missing(t testing.TB, err error) {
	t.Helper()
	switch {
	case err == nil:
	case errors.Is(err, ErrNoPostgres) && os.Getenv("CI") == "":
		t.Skip(err)
	default:
		t.Fatal(err)
	}
}
