package policy

// IDs returns the ids of all sections and blocks in document order: the
// tests walk every node with it; the product finds nodes by id.
func (d *Document) IDs() []string { return append([]string(nil), d.order...) }
