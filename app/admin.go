//go:build !wasm

package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/kaiconn/consent/console"
	"github.com/kaiconn/consent/datadir"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/server"
)

const adminUsage = `usage: kaiconn-consent admin <command> [-data DIR | -dsn DSN] [flags]

Manage the operators of the consent records console (/admin). There is no
default account: the first officer is added here, on the server.

commands:
  add -name NAME -role viewer|officer   add an operator; the password is read from
                                        the terminal (twice), or one line of stdin
  list                                  list the operators
  disable -name NAME                    stop an operator signing in, ending their sessions
  enable -name NAME                     let a disabled operator sign in again
  passwd -name NAME                     set a new password, ending the operator's sessions

Every change is recorded in the console's audit log.
`

// runAdmin is "kaiconn-consent admin …".
func runAdmin(args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "help" || args[0] == "-help" {
		fmt.Fprint(stderr, adminUsage)
		if len(args) == 0 {
			return errors.New("admin: a command is needed")
		}
		return nil
	}
	cmd, args := args[0], args[1:]
	fs := flag.NewFlagSet("admin "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg server.Config
	if err := register(fs, &cfg, getenv, pick("data", "dsn")); err != nil {
		return err
	}
	name := fs.String("name", "", "the operator's name: lowercase letters, digits, '.', '_', '-'")
	role := fs.String("role", "", "viewer (insights and operations) or officer (also look-ups, proof bundles, the audit log)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("admin %s: unexpected %q", cmd, fs.Arg(0))
	}
	needName := func() error {
		if *name == "" {
			return fmt.Errorf("admin %s: -name is required", cmd)
		}
		return nil
	}
	switch cmd {
	case "add", "passwd", "disable", "enable":
		if err := needName(); err != nil {
			return err
		}
	case "list":
	default:
		fmt.Fprint(stderr, adminUsage)
		return fmt.Errorf("admin: unknown command %q", cmd)
	}
	var r console.Role
	if cmd == "add" {
		var err error
		if r, err = console.ParseRole(*role); err != nil {
			return fmt.Errorf("admin add: -role: %s", errs.Message(err))
		}
		if err := console.CheckName(*name); err != nil {
			return fmt.Errorf("admin add: %s", errs.Message(err))
		}
	}
	// The password is asked before the store is opened, so that a typo
	// costs nothing.
	var password string
	if cmd == "add" || cmd == "passwd" {
		var err error
		if password, err = readPassword(stdin, stderr, *name); err != nil {
			return fmt.Errorf("admin %s: %w", cmd, err)
		}
	}

	store, err := datadir.OpenStore(datadir.Config{Dir: cfg.DataDir, DSN: cfg.DSN})
	if err != nil {
		return err
	}
	defer store.Close()
	ctx := context.Background()
	now := time.Now()
	record := func(action string) error {
		_, err := store.Append(ctx, console.Entry{At: now, Operator: console.CLI, Action: action, Target: *name, Outcome: console.OutcomeOK})
		return err
	}
	switch cmd {
	case "add":
		op, err := console.NewOperator(*name, r, password, now)
		if err != nil {
			return fmt.Errorf("admin add: %s", errs.Message(err))
		}
		if err := store.AddOperator(ctx, op); err != nil {
			return fmt.Errorf("admin add: %s", errs.Message(err))
		}
		if err := record(console.ActionAddOperator + " " + string(r)); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "added %s (%s)\n", op.Name, op.Role)
	case "passwd":
		hash, err := console.HashPassword(password, *name)
		if err != nil {
			return fmt.Errorf("admin passwd: %s", errs.Message(err))
		}
		if err := store.SetPassword(ctx, *name, hash); err != nil {
			return fmt.Errorf("admin passwd: %s", errs.Message(err))
		}
		if err := record(console.ActionSetPassword); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "new password set for %s\n", *name)
	case "disable", "enable":
		if err := store.SetDisabled(ctx, *name, cmd == "disable"); err != nil {
			return fmt.Errorf("admin %s: %s", cmd, errs.Message(err))
		}
		action := console.ActionEnable
		if cmd == "disable" {
			action = console.ActionDisable
		}
		if err := record(action); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%sd %s\n", cmd, *name)
	case "list":
		ops, err := store.ListOperators(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tSTATE\tCREATED\tLAST SIGN-IN")
		for _, o := range ops {
			state := "active"
			switch {
			case o.Disabled:
				state = "disabled"
			case o.Locked(now):
				state = "locked until " + o.LockedUntil.Local().Format(time.DateTime)
			}
			last := "never"
			if !o.LastSignIn.IsZero() {
				last = o.LastSignIn.Local().Format(time.DateTime)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", o.Name, o.Role, state, o.CreatedAt.Local().Format(time.DateTime), last)
		}
		return tw.Flush()
	}
	return nil
}

// readPassword reads a new password for the operator name: from the
// terminal without echo, twice so that a typo is caught, or as one line of
// stdin when stdin is not a terminal (a script, a secret manager's pipe).
// It is never a flag, which would show in ps and the shell's history.
func readPassword(stdin io.Reader, stderr io.Writer, name string) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(stderr, "Password (at least %d characters): ", console.MinPasswordLength)
		first, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(stderr, "Again: ")
		second, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		if string(first) != string(second) {
			return "", errors.New("the passwords differ")
		}
		return string(first), console.CheckPassword(string(first), name)
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", errors.New("no password on stdin")
	}
	password := strings.TrimRight(line, "\r\n")
	if err := console.CheckPassword(password, name); err != nil {
		return "", errors.New(errs.Message(err))
	}
	return password, nil
}
