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
