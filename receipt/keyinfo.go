package receipt

import "time"

// KeyInfo describes one countersigning key without its private half: what
// an operator needs to see which key signs now and since when each exists.
type KeyInfo struct {
	KeyID   string    // RFC 7638 thumbprint, the kid of its countersignatures
	Created time.Time // when the key was made; a rotation date for all but the first
	Signing bool      // the newest key, the one that countersigns now
}

// Keys describes the keyring's keys, newest first, as JWKS lists them.
func (k *Keyring) Keys() []KeyInfo {
	k.mu.RLock()
	defer k.mu.RUnlock()
	out := make([]KeyInfo, 0, len(k.keys))
	for i := len(k.keys) - 1; i >= 0; i-- {
		out = append(out, KeyInfo{KeyID: k.keys[i].kid, Created: k.keys[i].created, Signing: i == len(k.keys)-1})
	}
	return out
}
