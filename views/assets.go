package views

import (
	"context"

	"github.com/kaiconn/consent/views/asset"
)

// WithAssets returns ctx carrying the asset map urls (asset.With).
func WithAssets(ctx context.Context, urls map[string]string) context.Context {
	return asset.With(ctx, urls)
}

// Asset is the URL of the asset named name (asset.URL).
func Asset(ctx context.Context, name string) string { return asset.URL(ctx, name) }
