package receipt

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Keyring holds the server's countersigning keys: the newest signs, all
// verify, so receipts countersigned before a rotation keep verifying.
type Keyring struct {
	dir  string // "" for a keyring that lives only in memory
	mu   sync.RWMutex
	keys []serverKey // oldest first
}

type serverKey struct {
	kid     string
	created time.Time
	priv    ed25519.PrivateKey
	// protected is the base64url JWS protected header of the key's
	// countersignatures, {"alg":"EdDSA","kid":…}: the same for every
	// receipt, so it is written once.
	protected string
}

func newServerKey(priv ed25519.PrivateKey, created time.Time) (serverKey, error) {
	kid, err := thumbprint(priv.Public())
	if err != nil {
		return serverKey{}, err
	}
	header, err := json.Marshal(struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}{string(jose.EdDSA), kid})
	if err != nil {
		return serverKey{}, err
	}
	return serverKey{kid: kid, created: created, priv: priv, protected: b64.EncodeToString(header)}, nil
}

// keyFile is what one file in the key directory holds.
type keyFile struct {
	Created time.Time       `json:"created"`
	JWK     jose.JSONWebKey `json:"jwk"`
}

// OpenKeyring loads the keys in dir, one JSON file per key, creating dir and
// a first key when there is none. A file that cannot be read is an error,
// not skipped: losing a key silently would break old countersignatures.
func OpenKeyring(dir string) (*Keyring, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("receipt: key directory: %w", err)
	}
	k, err := readKeyring(dir)
	if err != nil {
		return nil, err
	}
	if len(k.keys) == 0 {
		if _, err := k.Rotate(); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// ErrNoKeys is returned by LoadKeyring for a key directory that is missing
// or holds no key.
var ErrNoKeys = errors.New("receipt: no key directory, or no key in it")

// LoadKeyring loads the keys in dir like OpenKeyring, but never creates
// one: a directory that is missing or holds no key file is ErrNoKeys
// (wrapped). A server whose store holds countersigned receipts opens its
// keys with it, so that a lost or renamed key directory stops it instead of
// a new key silently orphaning every stored receipt.
func LoadKeyring(dir string) (*Keyring, error) {
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("%w: %s is not a directory", ErrNoKeys, dir)
	}
	k, err := readKeyring(dir)
	if err != nil {
		return nil, err
	}
	if len(k.keys) == 0 {
		return nil, fmt.Errorf("%w: %s holds no *.jwk.json file", ErrNoKeys, dir)
	}
	return k, nil
}

func readKeyring(dir string) (*Keyring, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.jwk.json"))
	if err != nil {
		return nil, err
	}
	k := &Keyring{dir: dir}
	for _, name := range names {
		key, err := readKeyFile(name)
		if err != nil {
			return nil, err
		}
		k.keys = append(k.keys, key)
	}
	k.sort()
	return k, nil
}

// Has tells whether the keyring holds the key with id kid.
func (k *Keyring) Has(kid string) bool {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return slices.ContainsFunc(k.keys, func(key serverKey) bool { return key.kid == kid })
}

// NewKeyring returns a keyring held only in memory, with the given keys,
// oldest first; with none it makes one. Rotate then keeps new keys in memory
// too. It serves tests and tools; the server uses OpenKeyring.
func NewKeyring(keys ...ed25519.PrivateKey) (*Keyring, error) {
	k := &Keyring{}
	base := time.Unix(0, 0).UTC()
	for i, priv := range keys {
		key, err := newServerKey(priv, base.Add(time.Duration(i)*time.Second))
		if err != nil {
			return nil, err
		}
		k.keys = append(k.keys, key)
	}
	if len(k.keys) == 0 {
		if _, err := k.Rotate(); err != nil {
			return nil, err
		}
	}
	return k, nil
}

func readKeyFile(name string) (serverKey, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return serverKey{}, fmt.Errorf("receipt: key file %s: %w", filepath.Base(name), err)
	}
	var f keyFile
	if err := json.Unmarshal(data, &f); err != nil {
		return serverKey{}, fmt.Errorf("receipt: key file %s: %w", filepath.Base(name), err)
	}
	priv, ok := f.JWK.Key.(ed25519.PrivateKey)
	if !ok {
		return serverKey{}, fmt.Errorf("receipt: key file %s: not an Ed25519 private key", filepath.Base(name))
	}
	key, err := newServerKey(priv, f.Created)
	if err != nil {
		return serverKey{}, err
	}
	if f.JWK.KeyID != key.kid {
		return serverKey{}, fmt.Errorf("receipt: key file %s: kid is not the key's thumbprint", filepath.Base(name))
	}
	return key, nil
}

func (k *Keyring) sort() {
	slices.SortFunc(k.keys, func(a, b serverKey) int {
		if c := a.created.Compare(b.created); c != 0 {
			return c
		}
		return strings.Compare(a.kid, b.kid)
	})
}

// Rotate makes a new key, writes it durably (when the keyring has a
// directory) and makes it the signing key. It returns the new key id.
func (k *Keyring) Rotate() (kid string, err error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	created := time.Now().UTC()
	if n := len(k.keys); n > 0 && !created.After(k.keys[n-1].created) {
		// The newest key must sort last even when clocks are coarse.
		created = k.keys[n-1].created.Add(time.Nanosecond)
	}
	key, err := newServerKey(priv, created)
	if err != nil {
		return "", err
	}
	if k.dir != "" {
		if err := writeKeyFile(k.dir, key.kid, created, priv); err != nil {
			return "", err
		}
	}
	k.keys = append(k.keys, key)
	return key.kid, nil
}

func writeKeyFile(dir, kid string, created time.Time, priv ed25519.PrivateKey) error {
	data, err := json.MarshalIndent(keyFile{
		Created: created,
		JWK:     jose.JSONWebKey{Key: priv, KeyID: kid, Algorithm: string(jose.EdDSA), Use: "sig"},
	}, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".key-*")
	if err != nil {
		return fmt.Errorf("receipt: write key: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("receipt: write key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("receipt: write key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// The file name sorts by creation, for people listing the directory.
	name := filepath.Join(dir, created.Format("20060102T150405.000000000Z")+"-"+kid+".jwk.json")
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("receipt: write key: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // make the rename durable where the platform allows it
		d.Close()
	}
	return nil
}

// KeyID returns the id of the signing key.
func (k *Keyring) KeyID() string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.keys[len(k.keys)-1].kid
}

// Countersign signs the canonical envelope bytes with the newest key and
// returns the countersignature and the key id. The countersignature is a
// compact JWS with a detached payload (RFC 7515 Appendix F),
// "<protected>..<signature>": the signing input is
// "<protected>.<base64url(envelope)>" as for any JWS, but the envelope is
// not repeated, since whoever verifies holds it anyway.
//
// It signs with crypto/ed25519 directly rather than through a JOSE signer:
// the protected header is fixed per key, so the only work per receipt is
// encoding the payload and one Ed25519 signature (see BenchmarkCountersign).
func (k *Keyring) Countersign(envelope []byte) (jws, kid string, err error) {
	k.mu.RLock()
	key := k.keys[len(k.keys)-1]
	k.mu.RUnlock()
	input := make([]byte, 0, len(key.protected)+1+b64.EncodedLen(len(envelope)))
	input = append(input, key.protected...)
	input = append(input, '.')
	input = b64.AppendEncode(input, envelope)
	sig := ed25519.Sign(key.priv, input)
	return key.protected + ".." + b64.EncodeToString(sig), key.kid, nil
}

// JWKS returns the public keys as a JSON Web Key Set, newest first, each with
// kid, alg and use, for /.well-known/jwks.json.
func (k *Keyring) JWKS() []byte {
	k.mu.RLock()
	defer k.mu.RUnlock()
	set := jose.JSONWebKeySet{}
	for i := len(k.keys) - 1; i >= 0; i-- {
		key := k.keys[i]
		set.Keys = append(set.Keys, jose.JSONWebKey{
			Key:       key.priv.Public(),
			KeyID:     key.kid,
			Algorithm: string(jose.EdDSA),
			Use:       "sig",
		})
	}
	b, err := json.Marshal(set)
	if err != nil {
		// Marshalling Ed25519 public keys cannot fail.
		panic("receipt: JWKS: " + err.Error())
	}
	return b
}
