//go:build !wasm

package consentreceipt_test

import (
	"testing"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentreceipt"
	catalogues "github.com/kaiconn/consent/locales/catalogue"
	"github.com/kaiconn/consent/locales/localestest"
	"github.com/kaiconn/consent/notice"
	"github.com/kaiconn/consent/receipt"
)

// BenchmarkReceiptSize reports the bytes a receipt stores: the canonical
// envelope (JCS, as Record.Body) and the server countersignature, for a
// first-launch decision over the six app purposes of the 2022-10 catalogue,
// chained to a previous receipt. "allGiven" is the largest such receipt
// (every purpose carries an expiry), "declined" the smallest; ES256 device
// keys (WebCrypto's) carry one more coordinate than Ed25519 ones. v1 is
// there for comparison. The loop canonicalises and countersigns, the
// server's work for the bytes measured.
//
//	go test -run '^$' -bench ReceiptSize ./consentreceipt
func BenchmarkReceiptSize(b *testing.B) {
	cat, err := consent.LoadCatalogue(catalogues.FS, localestest.Base)
	if err != nil {
		b.Fatal(err)
	}
	keys, err := receipt.NewKeyring()
	if err != nil {
		b.Fatal(err)
	}
	all := []consent.PurposeID{"push", "wechat-share", "location", "crash-reports", "analytics"}
	agreed, err := consent.Agree(cat, consent.SurfaceFirstLaunch, all, consent.LangZhHans, decided)
	if err != nil {
		b.Fatal(err)
	}
	declined, err := consent.Decline(cat, consent.SurfaceFirstLaunch, consent.LangZhHans, decided)
	if err != nil {
		b.Fatal(err)
	}
	// As the gate records an agreement: with the 18+ fact.
	adult := agreed
	adult.Confirmed = []string{consent.FactAge18}
	for _, tt := range []struct {
		name     string
		decision consent.Decision
		v1       bool
		signer   receipt.Signer
	}{
		{"v2/allGiven/ES256", agreed, false, receipt.GenerateES256Signer()},
		{"v2/allGiven/Ed25519", agreed, false, receipt.GenerateEd25519Signer()},
		{"v2/allGivenAge18/ES256", adult, false, receipt.GenerateES256Signer()},
		{"v2/declined/ES256", declined, false, receipt.GenerateES256Signer()},
		{"v2/declined/Ed25519", declined, false, receipt.GenerateEd25519Signer()},
		{"v1/allGiven/ES256", agreed, true, receipt.GenerateES256Signer()},
	} {
		b.Run(tt.name, func(b *testing.B) {
			m := consentreceipt.Meta{
				ReceiptID:    "2f1d7e2c-6a51-4f57-9a4e-1c0de5a1b2c3",
				PolicySHA256: sha,
				Purposes:     consentreceipt.Purposes(cat, consent.SurfaceFirstLaunch, consent.LangZhHans),
			}
			if !tt.v1 {
				m.Notice = notice.For(cat, consent.SurfaceFirstLaunch, consent.LangZhHans)
			}
			// A chained receipt: prevHash is as long as it gets.
			p, err := consentreceipt.Params(tt.decision, m, receipt.NewSubject(), sha)
			if err != nil {
				b.Fatal(err)
			}
			s, err := receipt.Sign(receipt.New(p), tt.signer)
			if err != nil {
				b.Fatal(err)
			}
			var envelope, countersig int
			for b.Loop() {
				body, err := s.Canonical()
				if err != nil {
					b.Fatal(err)
				}
				jws, _, err := keys.Countersign(body)
				if err != nil {
					b.Fatal(err)
				}
				envelope, countersig = len(body), len(jws)
			}
			b.ReportMetric(float64(envelope), "envelope-B")
			b.ReportMetric(float64(countersig), "countersig-B")
			b.ReportMetric(float64(envelope+countersig), "total-B")
		})
	}
}
