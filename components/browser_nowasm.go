//go:build !wasm

package components

import "net/url"

// web is a fake browser on the host: it records what the components ask
// of the page, so tests can check it.
var web browser = &fakeBrowser{}

type fakeBrowser struct {
	posted    []url.Values
	paths     []string
	delivered []BridgeMessage
	focused   []string
	saved     []string
	// noOutbox plays a browser without IndexedDB or WebCrypto.
	noOutbox bool
	// orders are the receipt orders handed to the device outbox.
	orders []string
	// history is what the device outbox answers a download with.
	history []byte
	// props are the DOM's boolean properties, by "id.name".
	props map[string]bool
}

func (f *fakeBrowser) postForm(path string, form url.Values, done func(int, []byte, error)) {
	f.paths = append(f.paths, path)
	f.posted = append(f.posted, form)
}
func (f *fakeBrowser) deliver(m BridgeMessage) { f.delivered = append(f.delivered, m) }
func (f *fakeBrowser) formState(string) ([]string, bool, bool) {
	return nil, false, false
}
func (f *fakeBrowser) focus(id string)  { f.focused = append(f.focused, id) }
func (f *fakeBrowser) activeID() string { return "" }

func (f *fakeBrowser) property(id, name string) bool { return f.props[id+"."+name] }

func (f *fakeBrowser) setProperty(id, name string, v bool) {
	if f.props == nil {
		f.props = map[string]bool{}
	}
	f.props[id+"."+name] = v
}

func (f *fakeBrowser) saveFile(name, _ string, data []byte) {
	f.saved = append(f.saved, name+":"+string(data))
}

func (f *fakeBrowser) deviceReceipts() bool { return !f.noOutbox }

func (f *fakeBrowser) recordReceipt(order []byte, done func(string, error)) {
	f.orders = append(f.orders, string(order))
	done("", nil)
}

func (f *fakeBrowser) deviceHistory(done func([]byte, error)) { done(f.history, nil) }
