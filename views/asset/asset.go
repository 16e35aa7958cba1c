package asset

import "context"

// The pages name their stylesheets, scripts and the wasm through one map
// from a file's name ("app.css", "app.wasm") to the URL it is served at:
// content-hashed and cached for good (docs/assets.md). The server builds
// the map when it starts and hands it to every request's context.

type assetsKey struct{}

// With returns ctx carrying the asset map urls.
func With(ctx context.Context, urls map[string]string) context.Context {
	return context.WithValue(ctx, assetsKey{}, urls)
}

// URL is the URL of the asset named name (a file of web/static, or
// "app.wasm" or "wasm_exec.js"). Without a map, or for a name it does not
// hold, it is the file's unhashed URL, which keeps working.
func URL(ctx context.Context, name string) string {
	if urls, ok := ctx.Value(assetsKey{}).(map[string]string); ok {
		if u, ok := urls[name]; ok {
			return u
		}
	}
	if name == "app.wasm" || name == "wasm_exec.js" {
		return "/" + name
	}
	return "/static/" + name
}
