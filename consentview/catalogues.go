package consentview

import (
	_ "embed"
	"encoding/json"
)

// shipped is every catalogue of locales/catalogue, resolved to JSON when
// they change (`make generate`; TestShippedCatalogues fails while the file
// lags behind them): the wasm's copy, since it carries no TOML parser.
//
//go:embed catalogues.json
var shipped []byte

// Shipped returns the catalogues this build was made with, as
// locales/catalogue holds them.
func Shipped() (*Catalogues, error) {
	var c Catalogues
	if err := json.Unmarshal(shipped, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// PageCatalogues are the catalogues a page rendered without state is
// computed again with in the browser: those the page's state carries
// (fromPage), when its server's are not the ones the wasm was built with
// (a newer policy), else the wasm's own (Shipped).
func PageCatalogues(fromPage json.RawMessage) (*Catalogues, error) {
	if len(fromPage) == 0 {
		return Shipped()
	}
	var c Catalogues
	if err := json.Unmarshal(fromPage, &c); err != nil {
		return nil, err
	}
	return &c, nil
}
