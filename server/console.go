package server

import (
	"context"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/kaiconn/consent/admin"
	"github.com/kaiconn/consent/api"
	"github.com/kaiconn/consent/locales/notices"
	locpolicy "github.com/kaiconn/consent/locales/policy"
	"github.com/kaiconn/consent/notice"
	"github.com/kaiconn/consent/proof"
)

// mountAdmin mounts the consent records console (package admin) at /admin,
// over what it reads of the server: the store, the keys, the policies and
// catalogues, the pages' layout and language, and the settings its
// operations page shows.
func (s *Server) mountAdmin(r chi.Router) {
	c := admin.New(s.cfg.Admin, admin.Deps{
		Store:      s.store,
		Retention:  s.retention(),
		Keep:       s.purgeRetention(),
		Keys:       s.keys,
		Policies:   s.policies,
		Catalogues: s.catalogues,
		Sources:    s.sources(),
		Msgs:       s.msgs,
		Log:        s.log,
		CookieKey:  s.cookieKey,
		Render:     s.render,
		Lang:       s.readerLang,
		Origin:     s.selfOrigin,
		HTTPS:      s.isHTTPS,
		ClientIP:   s.clientIP(),
		ClientKey:  api.ClientKey,
		Settings: admin.Settings{
			RateLimit:      s.cfg.RateLimit,
			RateWindow:     s.cfg.RateWindow,
			TrustedProxies: s.cfg.proxyList(),
			AllowedOrigins: s.cfg.AllowedOrigins,
			ExportToken:    s.cfg.AdminToken,
		},
	})
	s.closers = append(s.closers, c.Close)
	s.console = c
	c.Mount(r)
}

// recordExport logs a request for GET /api/v1/export in the console's
// audit log (admin.Console.RecordExport).
func (s *Server) recordExport(ctx context.Context, authorized bool) error {
	if s.console == nil {
		return nil
	}
	return s.console.RecordExport(ctx, authorized)
}

// sources are the texts the server's receipts name: the policy texts it
// serves and the notice registry it was built with.
func (s *Server) sources() proof.Sources {
	pol := s.cfg.PolicyFS
	if pol == nil {
		pol = locpolicy.FS
	}
	return proof.Sources{Policy: pol, Notices: notice.NewRegistry(notices.FS)}
}

// purgeRetention is the retention the purger applies.
func (s *Server) purgeRetention() time.Duration {
	if s.purger != nil {
		return s.purger.retention
	}
	if s.cfg.Retention != nil {
		return *s.cfg.Retention
	}
	return DefaultRetention
}
