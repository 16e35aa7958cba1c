package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"syscall/js"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
)

// The browser side: the outbox and the device key live in the IndexedDB
// database "kaiconn-outbox" (object stores "device": the device state under
// "device" and the key pair under "key"; "entries": one receipt per id),
// the device key is a non-extractable WebCrypto key, sends go through fetch
// (net/http's js transport) to the page's own origin, and a Web Lock keeps
// two tabs from extending the chain or sending at once.
//
// Every function here that waits for a promise must run on a goroutine of
// its own (go-app's ctx.Async), never on the UI goroutine or inside a JS
// callback, or the page's event loop would wait for itself.

const (
	dbName    = "kaiconn-outbox"
	dbVersion = 1
	lockName  = "kaiconn-outbox"
)

var (
	sharedMu sync.Mutex
	shared   *Outbox
)

// Browser returns this page's outbox, opening it on first call: the device
// key and subject are created on first use and reused across reloads, and a
// background loop sends what is pending now (a page load), when the browser
// comes back online, and on schedule. Every component of the page shares
// the one outbox.
func Browser(ctx context.Context) (*Outbox, error) {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared != nil {
		return shared, nil
	}
	db, err := openDB()
	if err != nil {
		return nil, err
	}
	if _, err := deviceKey(db); err != nil {
		return nil, err
	}
	o, err := Open(ctx, Config{
		Store:  &idbStore{db: db},
		Keys:   idbKeys{db: db},
		Sender: fetchSender{},
	})
	if err != nil {
		return nil, err
	}
	online := js.FuncOf(func(js.Value, []js.Value) any {
		o.Wake(true)
		return nil
	})
	js.Global().Call("addEventListener", "online", online) // lives as long as the page
	go o.Run(context.Background())
	shared = o
	return o, nil
}

// Supported reports whether this browser can keep a device key and an
// outbox at all (IndexedDB and WebCrypto). Where it cannot, a surface lets
// the server attest its decisions instead of promising a device receipt it
// could not make.
func Supported() bool {
	g := js.Global()
	return g.Get("indexedDB").Truthy() && g.Get("crypto").Truthy() && g.Get("crypto").Get("subtle").Truthy()
}

// Exists reports whether this browser already has an outbox, without
// creating one: a page that only might need to send pending receipts must
// not create a device key for a person who has decided nothing yet. Where
// the browser cannot list its databases it answers true, and the outbox is
// opened as before.
func Exists(ctx context.Context) bool {
	sharedMu.Lock()
	opened := shared != nil
	sharedMu.Unlock()
	if opened {
		return true
	}
	idb := js.Global().Get("indexedDB")
	if !idb.Truthy() {
		return false
	}
	if !idb.Get("databases").Truthy() {
		return true
	}
	list, err := await(idb.Call("databases"))
	if err != nil {
		return true
	}
	for i := 0; i < list.Length(); i++ {
		if list.Index(i).Get("name").String() == dbName {
			return true
		}
	}
	return false
}

// fetchSender posts receipts with the browser's fetch. net/http would do the
// same on wasm, but linking its client brings TLS and X.509 into app.wasm
// and triples its size; fetch needs none of it.
type fetchSender struct{}

func (fetchSender) Do(ctx context.Context, r Request) (Reply, error) {
	headers := map[string]any{}
	for k, v := range r.Header {
		headers[k] = v
	}
	opts := map[string]any{
		"method":      r.Method,
		"headers":     headers,
		"credentials": "same-origin",
		"cache":       "no-store",
	}
	if r.Body != nil {
		body := js.Global().Get("Uint8Array").New(len(r.Body))
		js.CopyBytesToJS(body, r.Body)
		headers["Content-Type"] = "application/json"
		opts["body"] = body
	}
	abort := js.Global().Get("AbortController").New()
	stop := context.AfterFunc(ctx, func() { abort.Call("abort") })
	defer stop()
	opts["signal"] = abort.Get("signal")
	resp, err := await(js.Global().Call("fetch", r.Path, opts))
	if err != nil {
		return Reply{}, err // no answer: offline, reset, aborted
	}
	buf, err := await(resp.Call("arrayBuffer"))
	if err != nil {
		return Reply{}, err
	}
	arr := js.Global().Get("Uint8Array").New(buf)
	n := min(arr.Length(), 64<<10)
	out := make([]byte, n)
	js.CopyBytesToGo(out, arr.Call("subarray", 0, n))
	retry := resp.Get("headers").Call("get", "Retry-After")
	reply := Reply{Status: resp.Get("status").Int(), Body: out}
	if retry.Truthy() {
		reply.RetryAfter = retry.String()
	}
	return reply, nil
}

// await waits for a promise.
func await(p js.Value) (js.Value, error) {
	ok := make(chan js.Value, 1)
	fail := make(chan error, 1)
	then := js.FuncOf(func(_ js.Value, args []js.Value) any {
		v := js.Undefined()
		if len(args) > 0 {
			v = args[0]
		}
		ok <- v
		return nil
	})
	catch := js.FuncOf(func(_ js.Value, args []js.Value) any {
		fail <- jsError(args[0])
		return nil
	})
	defer then.Release()
	defer catch.Release()
	p.Call("then", then, catch)
	select {
	case v := <-ok:
		return v, nil
	case err := <-fail:
		return js.Undefined(), err
	}
}

func jsError(v js.Value) error {
	if v.IsUndefined() || v.IsNull() {
		return errors.New("unknown browser error")
	}
	if n, m := v.Get("name"), v.Get("message"); n.Type() == js.TypeString {
		return errors.New(n.String() + ": " + m.String())
	}
	return errors.New(v.Call("toString").String())
}

// request waits for an IndexedDB request.
func request(req js.Value) (js.Value, error) {
	ok := make(chan js.Value, 1)
	fail := make(chan error, 1)
	success := js.FuncOf(func(js.Value, []js.Value) any { ok <- req.Get("result"); return nil })
	failure := js.FuncOf(func(js.Value, []js.Value) any { fail <- jsError(req.Get("error")); return nil })
	defer success.Release()
	defer failure.Release()
	req.Set("onsuccess", success)
	req.Set("onerror", failure)
	select {
	case v := <-ok:
		return v, nil
	case err := <-fail:
		return js.Undefined(), err
	}
}

func openDB() (js.Value, error) {
	idb := js.Global().Get("indexedDB")
	if !idb.Truthy() {
		return js.Undefined(), errs.New(errs.Internal, "outbox: this browser has no IndexedDB")
	}
	req := idb.Call("open", dbName, dbVersion)
	upgrade := js.FuncOf(func(js.Value, []js.Value) any {
		db := req.Get("result")
		names := db.Get("objectStoreNames")
		if !names.Call("contains", "device").Bool() {
			db.Call("createObjectStore", "device")
		}
		if !names.Call("contains", "entries").Bool() {
			db.Call("createObjectStore", "entries", map[string]any{"keyPath": "id"})
		}
		return nil
	})
	defer upgrade.Release()
	req.Set("onupgradeneeded", upgrade)
	db, err := request(req)
	if err != nil {
		return js.Undefined(), errs.New(errs.Internal, "outbox: opening IndexedDB: %v", err)
	}
	return db, nil
}

// idbStore is the Store in IndexedDB.
type idbStore struct{ db js.Value }

func (s *idbStore) Load(_ context.Context) (Device, []Entry, error) {
	tx := s.db.Call("transaction", []any{"device", "entries"}, "readonly")
	dreq := tx.Call("objectStore", "device").Call("get", "device")
	ereq := tx.Call("objectStore", "entries").Call("getAll")
	if err := transaction(tx, nil); err != nil {
		return Device{}, nil, err
	}
	dev, err := decodeDevice(dreq.Get("result"))
	if err != nil {
		return Device{}, nil, err
	}
	all := ereq.Get("result")
	entries := make([]Entry, 0, all.Length())
	for i := range all.Length() {
		var e Entry
		if err := json.Unmarshal([]byte(all.Index(i).Get("json").String()), &e); err != nil {
			return Device{}, nil, errs.New(errs.Internal, "outbox: entry %d unreadable", i)
		}
		entries = append(entries, e)
	}
	slices.SortFunc(entries, func(a, b Entry) int { return int(a.Seq - b.Seq) })
	return dev, entries, nil
}

func decodeDevice(v js.Value) (Device, error) {
	var d Device
	if v.Type() != js.TypeString {
		return d, nil
	}
	if err := json.Unmarshal([]byte(v.String()), &d); err != nil {
		return d, errs.New(errs.Internal, "outbox: device state unreadable")
	}
	return d, nil
}

// transaction waits for tx to complete; a deliberate abort is reported as
// conflict when *conflict is set.
func transaction(tx js.Value, conflict *bool) error {
	done := make(chan error, 1)
	complete := js.FuncOf(func(js.Value, []js.Value) any { done <- nil; return nil })
	abort := js.FuncOf(func(js.Value, []js.Value) any {
		if conflict != nil && *conflict {
			done <- errs.New(errs.Conflict, "device: changed by another tab")
			return nil
		}
		done <- errs.New(errs.Internal, "outbox: IndexedDB transaction aborted: %v", jsError(tx.Get("error")))
		return nil
	})
	defer complete.Release()
	defer abort.Release()
	tx.Set("oncomplete", complete)
	tx.Set("onabort", abort)
	return <-done
}

// Save reads the device state and writes within one readwrite transaction,
// all from the request's callback, because an IndexedDB transaction commits
// as soon as no request is pending at the end of a task.
func (s *idbStore) Save(_ context.Context, expect, next *Device, entries ...Entry) error {
	rows := make([]any, 0, len(entries))
	for _, e := range entries {
		b, err := json.Marshal(e)
		if err != nil {
			return err
		}
		rows = append(rows, map[string]any{"id": e.ID, "seq": e.Seq, "json": string(b)})
	}
	nextJSON := ""
	if next != nil {
		b, err := json.Marshal(next)
		if err != nil {
			return err
		}
		nextJSON = string(b)
	}
	tx := s.db.Call("transaction", []any{"device", "entries"}, "readwrite")
	devices := tx.Call("objectStore", "device")
	conflict := false
	get := devices.Call("get", "device")
	onGet := js.FuncOf(func(js.Value, []js.Value) any {
		if expect != nil {
			cur, err := decodeDevice(get.Get("result"))
			if err != nil || cur != *expect {
				conflict = true
				tx.Call("abort")
				return nil
			}
		}
		es := tx.Call("objectStore", "entries")
		for _, r := range rows {
			es.Call("put", r)
		}
		if next != nil {
			devices.Call("put", nextJSON, "device")
		}
		return nil
	})
	defer onGet.Release()
	get.Set("onsuccess", onGet)
	return transaction(tx, &conflict)
}

// Lock holds the Web Lock "kaiconn-outbox", shared by every tab of the
// origin, while fn runs. Without Web Locks it runs fn at once; the device
// state check in Save still keeps the chain whole, and the server answers a
// receipt sent twice with the same acknowledgement.
func (s *idbStore) Lock(ctx context.Context, fn func(context.Context) error) error {
	locks := js.Global().Get("navigator").Get("locks")
	if !locks.Truthy() {
		return fn(ctx)
	}
	result := make(chan error, 1)
	promise := js.Global().Get("Promise")
	held := js.FuncOf(func(js.Value, []js.Value) any {
		// The lock is held until the promise returned here settles.
		var executor js.Func
		executor = js.FuncOf(func(_ js.Value, args []js.Value) any {
			resolve := args[0]
			go func() {
				result <- fn(ctx)
				resolve.Invoke()
			}()
			return nil
		})
		p := promise.New(executor)
		executor.Release() // the Promise constructor calls it synchronously
		return p
	})
	defer held.Release()
	if _, err := await(locks.Call("request", lockName, held)); err != nil {
		return errs.New(errs.Internal, "outbox: web lock: %v", err)
	}
	return <-result
}

// webSigner signs with a WebCrypto key that never leaves the browser.
type webSigner struct {
	alg  string
	jwk  receipt.JWK
	priv js.Value
	pub  js.Value // the public CryptoKey, to verify what priv signed
}

func (w *webSigner) Alg() string            { return w.alg }
func (w *webSigner) PublicJWK() receipt.JWK { return w.jwk }

func (w *webSigner) Sign(msg []byte) ([]byte, error) {
	data := js.Global().Get("Uint8Array").New(len(msg))
	js.CopyBytesToJS(data, msg)
	params := map[string]any{"name": "Ed25519"}
	if w.alg == receipt.AlgES256 {
		params = map[string]any{"name": "ECDSA", "hash": "SHA-256"}
	}
	buf, err := await(subtle().Call("sign", params, w.priv, data))
	if err != nil {
		return nil, err
	}
	// receipt.Sign checks a signature in Go on the server; in the wasm the
	// browser checks its own, which links no curve arithmetic into
	// app.wasm. A signature that does not verify is never stored.
	ok, err := await(subtle().Call("verify", params, w.pub, buf, data))
	if err != nil {
		return nil, err
	}
	if !ok.Bool() {
		return nil, errs.New(errs.Internal, "outbox: the device key's signature does not verify")
	}
	arr := js.Global().Get("Uint8Array").New(buf)
	sig := make([]byte, arr.Length())
	js.CopyBytesToGo(sig, arr)
	return sig, nil
}

func subtle() js.Value { return js.Global().Get("crypto").Get("subtle") }

// idbKeys are the device's keys in IndexedDB: the current one under
// "key" in the "device" store, each earlier one under "key:" and its
// public x coordinate, unique per key.
type idbKeys struct{ db js.Value }

func (k idbKeys) Current(context.Context) (receipt.Signer, error) { return deviceKey(k.db) }

// Rotate makes a new key current and keeps the old one under its own
// name, in one transaction, so a crash leaves either key current and none
// lost.
func (k idbKeys) Rotate(context.Context) (receipt.Signer, error) {
	old, err := loadKey(k.db, "key")
	if err != nil {
		return nil, err
	}
	rec, err := generateKey()
	if err != nil {
		return nil, err
	}
	tx := k.db.Call("transaction", []any{"device"}, "readwrite")
	store := tx.Call("objectStore", "device")
	if old != nil {
		get := store.Call("get", "key")
		onGet := js.FuncOf(func(js.Value, []js.Value) any {
			if v := get.Get("result"); v.Truthy() {
				store.Call("put", v, "key:"+old.(*webSigner).jwk.X)
			}
			store.Call("put", rec, "key")
			return nil
		})
		defer onGet.Release()
		get.Set("onsuccess", onGet)
	} else {
		store.Call("put", rec, "key")
	}
	if err := transaction(tx, nil); err != nil {
		return nil, err
	}
	return loadKey(k.db, "key")
}

func (k idbKeys) Find(_ context.Context, jwk receipt.JWK) (receipt.Signer, error) {
	cur, err := loadKey(k.db, "key")
	if err != nil {
		return nil, err
	}
	if cur != nil && cur.PublicJWK() == jwk {
		return cur, nil
	}
	s, err := loadKey(k.db, "key:"+jwk.X)
	if err != nil || s == nil || s.PublicJWK() != jwk {
		return nil, err
	}
	return s, nil
}

// deviceKey loads the device key, creating it on first use: Ed25519 where
// the browser has it, ECDSA P-256 otherwise; the private key is not
// extractable, so not even this page's own script can copy it out.
func deviceKey(db js.Value) (receipt.Signer, error) {
	if s, err := loadKey(db, "key"); s != nil || err != nil {
		return s, err
	}
	rec, err := generateKey()
	if err != nil {
		return nil, err
	}
	tx := db.Call("transaction", []any{"device"}, "readwrite")
	// add, not put: when another tab created a key meanwhile, its key wins
	// and this one is dropped.
	tx.Call("objectStore", "device").Call("add", rec, "key")
	_ = transaction(tx, nil)
	s, err := loadKey(db, "key")
	if err == nil && s == nil {
		err = errs.New(errs.Internal, "outbox: the device key was not stored")
	}
	return s, err
}

// generateKey makes a key pair and returns the record IndexedDB keeps of
// it.
func generateKey() (map[string]any, error) {
	if !subtle().Truthy() {
		return nil, errs.New(errs.Internal, "outbox: WebCrypto is unavailable (not a secure context?)")
	}
	usages := []any{"sign", "verify"}
	alg := receipt.AlgEdDSA
	pair, err := await(subtle().Call("generateKey", map[string]any{"name": "Ed25519"}, false, usages))
	if err != nil {
		alg = receipt.AlgES256
		pair, err = await(subtle().Call("generateKey", map[string]any{"name": "ECDSA", "namedCurve": "P-256"}, false, usages))
		if err != nil {
			return nil, errs.New(errs.Internal, "outbox: generating the device key: %v", err)
		}
	}
	exported, err := await(subtle().Call("exportKey", "jwk", pair.Get("publicKey")))
	if err != nil {
		return nil, errs.New(errs.Internal, "outbox: exporting the device public key: %v", err)
	}
	// Only the members RFC 7638 thumbprints cover: no ext, no key_ops.
	jwk := receipt.JWK{Kty: exported.Get("kty").String(), Crv: exported.Get("crv").String(), X: exported.Get("x").String()}
	if y := exported.Get("y"); y.Type() == js.TypeString {
		jwk.Y = y.String()
	}
	jwkJSON, _ := json.Marshal(jwk)
	return map[string]any{
		"alg": alg, "jwk": string(jwkJSON), "privateKey": pair.Get("privateKey"), "publicKey": pair.Get("publicKey"),
	}, nil
}

func loadKey(db js.Value, name string) (receipt.Signer, error) {
	tx := db.Call("transaction", []any{"device"}, "readonly")
	req := tx.Call("objectStore", "device").Call("get", name)
	if err := transaction(tx, nil); err != nil {
		return nil, err
	}
	v := req.Get("result")
	if !v.Truthy() {
		return nil, nil
	}
	var jwk receipt.JWK
	if err := json.Unmarshal([]byte(v.Get("jwk").String()), &jwk); err != nil {
		return nil, errs.New(errs.Internal, "outbox: stored device key unreadable")
	}
	return &webSigner{alg: v.Get("alg").String(), jwk: jwk, priv: v.Get("privateKey"), pub: v.Get("publicKey")}, nil
}
