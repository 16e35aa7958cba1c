package consent

// ConsentModeSignals returns the Google Consent Mode v2 state for a website
// decision: every signal "denied" unless a category the decision grants
// names it in the catalogue. A signal no category names, such as
// ad_storage today, therefore stays denied. A decision of the app gets all
// signals denied: app purposes set no cookies.
func (c *Catalogue) ConsentModeSignals(d Decision) map[string]string {
	m := make(map[string]string, len(Signals))
	for _, s := range Signals {
		m[s] = "denied"
	}
	for _, p := range c.Purposes(d.Surface) {
		if !d.Granted(p.ID) {
			continue
		}
		for _, s := range p.ConsentMode {
			m[s] = "granted"
		}
	}
	return m
}
