//go:build wasm

// Command page drives the real browser outbox for e2e/outbox_test.go, and
// nothing else: it lives under testdata so that no production bundle ever
// contains it. It exposes three functions to the page's script, each
// returning a promise:
//
//	outboxRecord(decisionJSON, metaJSON) → receipt id
//
// The test makes the decision and its receipt's metadata on the host, as
// the server does for the settings page: the wasm carries no catalogue.
//
//	outboxState() → JSON {subject, alg, entries: [{id, state, attempts, prevHash, hash}]}
//	outboxDownload() → the DownloadJSON history
package main

import (
	"context"
	"encoding/json"
	"syscall/js"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentreceipt"
	"github.com/kaiconn/consent/outbox"
	"github.com/kaiconn/consent/receipt"
)

func main() {
	js.Global().Set("outboxRecord", async(func(args []js.Value) (any, error) {
		o, err := outbox.Browser(context.Background())
		if err != nil {
			return nil, err
		}
		var d consent.Decision
		if err := json.Unmarshal([]byte(args[0].String()), &d); err != nil {
			return nil, err
		}
		var meta consentreceipt.Meta
		if err := json.Unmarshal([]byte(args[1].String()), &meta); err != nil {
			return nil, err
		}
		return o.Record(context.Background(), d, meta)
	}))
	js.Global().Set("outboxState", async(func([]js.Value) (any, error) {
		o, err := outbox.Browser(context.Background())
		if err != nil {
			return nil, err
		}
		entries, err := o.Receipts(context.Background())
		if err != nil {
			return nil, err
		}
		subject, err := o.Subject(context.Background())
		if err != nil {
			return nil, err
		}
		type row struct {
			ID, State, PrevHash, Hash, Alg string
			Attempts                       int
		}
		st := struct {
			Subject string
			Entries []row
		}{Subject: subject, Entries: []row{}}
		for _, e := range entries {
			s, err := receipt.Decode(e.Envelope)
			if err != nil {
				return nil, err
			}
			st.Entries = append(st.Entries, row{ID: e.ID, State: string(e.State), PrevHash: s.Receipt.PrevHash,
				Hash: e.Hash, Alg: s.Device.Alg, Attempts: e.Attempts})
		}
		b, err := json.Marshal(st)
		return string(b), err
	}))
	js.Global().Set("outboxDownload", async(func([]js.Value) (any, error) {
		o, err := outbox.Browser(context.Background())
		if err != nil {
			return nil, err
		}
		b, err := o.DownloadJSON(context.Background())
		return string(b), err
	}))
	// Open the outbox at load, as every page of the product does, so that
	// what an earlier visit left is sent now.
	go func() {
		if _, err := outbox.Browser(context.Background()); err != nil {
			js.Global().Set("outboxError", err.Error())
			return
		}
		js.Global().Set("outboxReady", true)
	}()
	select {}
}

// async turns fn into a JS function returning a promise; fn runs on its own
// goroutine, because the outbox waits for WebCrypto and IndexedDB promises.
func async(fn func(args []js.Value) (any, error)) js.Func {
	return js.FuncOf(func(_ js.Value, args []js.Value) any {
		var executor js.Func
		executor = js.FuncOf(func(_ js.Value, pa []js.Value) any {
			resolve, reject := pa[0], pa[1]
			go func() {
				v, err := fn(args)
				if err != nil {
					reject.Invoke(err.Error())
					return
				}
				resolve.Invoke(v)
			}()
			return nil
		})
		p := js.Global().Get("Promise").New(executor)
		executor.Release()
		return p
	})
}
