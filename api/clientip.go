package api

import (
	"net/http"
	"net/netip"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/go-chi/httprate"
)

// ClientKey is the client's address as every rate limit counts it (an IPv6
// address by its /64), once ClientIP has run.
func ClientKey(r *http.Request) string {
	return httprate.CanonicalizeIP(middleware.GetClientIP(r.Context()))
}

// ClientIP is the middleware that names the client of a request for the
// rate limits (read it with middleware.GetClientIP): the rightmost address
// of X-Forwarded-For that is not a trusted proxy when the peer is one of
// trusted, the peer itself otherwise. The API and the server's form posts
// both use it, so that they count the same client.
func ClientIP(trusted []netip.Prefix) func(http.Handler) http.Handler {
	if len(trusted) == 0 {
		return middleware.ClientIPFromRemoteAddr
	}
	// chi takes prefixes as text; the canonical form of a parsed prefix is
	// always one it parses, so this cannot panic as raw input could.
	return middleware.ClientIPFromXFF(PrefixStrings(trusted)...)
}

// PrefixStrings writes prefixes in their canonical form (10.0.0.0/8,
// 127.0.0.1/32).
func PrefixStrings(prefixes []netip.Prefix) []string {
	out := make([]string, len(prefixes))
	for i, p := range prefixes {
		out[i] = p.String()
	}
	return out
}
