package console

import (
	"regexp"
	"time"

	"github.com/kaiconn/consent/errs"
)

// Role is what an operator may do.
type Role string

const (
	// Viewer reads the insights and the operations page: counts, never a
	// person's record.
	Viewer Role = "viewer"
	// Officer also looks up a subject's receipts, downloads proof
	// bundles and reads the audit log: the privacy officer and support,
	// who answer a person's or a regulator's request.
	Officer Role = "officer"
)

// Roles lists the roles, least privileged first.
var Roles = []Role{Viewer, Officer}

// Permission is one thing the console lets an operator do.
type Permission string

const (
	SeeInsights   Permission = "insights"
	SeeOperations Permission = "operations"
	LookUp        Permission = "lookup" // a subject's receipts, its texts, its proof bundle
	ReadAudit     Permission = "audit"  // the audit log and its export
)

// may is the one table of who may do what.
var may = map[Role][]Permission{
	Viewer:  {SeeInsights, SeeOperations},
	Officer: {SeeInsights, SeeOperations, LookUp, ReadAudit},
}

// May reports whether r grants p. An unknown role grants nothing.
func (r Role) May(p Permission) bool {
	for _, q := range may[r] {
		if q == p {
			return true
		}
	}
	return false
}

// ParseRole reads a role name.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", errs.New(errs.Invalid, "role: %q is neither viewer nor officer", s)
}

// Operator is a named person who may sign in to the console.
type Operator struct {
	Name         string
	Role         Role
	PasswordHash string // argon2id, PHC string format (HashPassword)
	Disabled     bool
	CreatedAt    time.Time
	// FailedAttempts counts the failed sign-ins since the last success;
	// LockedUntil is zero unless they reached the limit.
	FailedAttempts int
	LockedUntil    time.Time
	LastSignIn     time.Time // zero before the first
}

// Locked reports whether o may not sign in at now because of failed
// attempts.
func (o Operator) Locked(now time.Time) bool { return now.Before(o.LockedUntil) }

var namePattern = regexp.MustCompile(`^[a-z][a-z0-9._-]{1,63}$`)

// CheckName refuses an operator name that is not 2 to 64 lowercase letters,
// digits, '.', '_' or '-', starting with a letter: names appear in the
// audit log and in URLs, and one spelling per person keeps them apart.
func CheckName(name string) error {
	if !namePattern.MatchString(name) {
		return errs.New(errs.Invalid, "name: %q must be 2 to 64 lowercase letters, digits, '.', '_' or '-', starting with a letter", name)
	}
	return nil
}

// NewOperator returns an operator ready to be added: name and role
// checked, the password hashed.
func NewOperator(name string, role Role, password string, now time.Time) (Operator, error) {
	if err := CheckName(name); err != nil {
		return Operator{}, err
	}
	if _, err := ParseRole(string(role)); err != nil {
		return Operator{}, err
	}
	hash, err := HashPassword(password, name)
	if err != nil {
		return Operator{}, err
	}
	return Operator{Name: name, Role: role, PasswordHash: hash, CreatedAt: now.UTC().Truncate(time.Microsecond)}, nil
}
