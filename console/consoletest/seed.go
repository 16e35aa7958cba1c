package consoletest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"time"

	"github.com/google/uuid"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentreceipt"
	"github.com/kaiconn/consent/console"
	"github.com/kaiconn/consent/notice"
	"github.com/kaiconn/consent/receipt"
)

// Later is the policy version the data set re-asks under, when the
// catalogues hold it (the fictitious 2026-12 of testdata).
const Later = "2026-12"

// Seeded is what Seed stored, and what the console must count of it.
type Seeded struct {
	Today console.Day
	// Subjects by role in the data set: "app-zh" (device-signed, chained
	// three times, re-asked when Later is known), "app-en"
	// (server-attested), "web" (the banner, ES256 device key) and
	// "app-v1" (a kaiconn-receipt/1 receipt).
	Subjects map[string]string
	// Receipts by name: "app-zh-1" … "app-zh-3", "app-en-1", "web-1",
	// "app-v1-1".
	Receipts map[string]string
	// Decisions counts the decisions per day and kind.
	Decisions map[console.Day]map[string]int64
	// Total is how many receipts were stored.
	Total int64
	// MedianSeconds is the median time from shown to decision.
	MedianSeconds int64
	// Reasked is true when the data set holds a re-ask (Later was known).
	Reasked bool
}

// Sources are the catalogues and policy texts the receipts are made from,
// as the server that will read them is configured.
type Sources struct {
	Catalogues map[string]*consent.Catalogue // by policy version
	Policy     fs.FS                         // <version>/<lang>.md
}

// Seed stores the data set in store, countersigned with keys, decided on
// the three days up to now (China Standard Time).
func Seed(ctx context.Context, store receipt.Store, keys *receipt.Keyring, src Sources, now time.Time) (*Seeded, error) {
	s := &seeder{ctx: ctx, store: store, keys: keys, src: src,
		out: &Seeded{Today: console.DayOf(now), Subjects: map[string]string{}, Receipts: map[string]string{},
			Decisions: map[console.Day]map[string]int64{}}}
	cat, ok := src.Catalogues["2022-10"]
	if !ok {
		return nil, fmt.Errorf("consoletest: no catalogue of 2022-10")
	}
	// at is a time of day on the day n days before today, in Shanghai.
	at := func(daysBefore, hour int) time.Time {
		return (s.out.Today - console.Day(daysBefore)).Start().Add(time.Duration(hour) * time.Hour)
	}
	appZh := &subject{name: "app-zh", id: receipt.NewSubject(), signer: receipt.GenerateEd25519Signer()}
	appEn := &subject{name: "app-en", id: receipt.NewSubject()} // server-attested
	web := &subject{name: "web", id: receipt.NewSubject(), signer: receipt.GenerateES256Signer()}
	appV1 := &subject{name: "app-v1", id: receipt.NewSubject(), signer: receipt.GenerateEd25519Signer(), v1: true}

	steps := []step{
		{appZh, func(_ *consent.Decision, t time.Time) (consent.Decision, error) {
			return consent.Agree(cat, consent.SurfaceFirstLaunch, []consent.PurposeID{"push", "location"}, consent.LangZhHans, t)
		}, at(2, 10), 8 * time.Second, cat},
		{appZh, func(prev *consent.Decision, t time.Time) (consent.Decision, error) {
			return consent.Withdraw(cat, *prev, consent.SurfaceSettings, consent.LangZhHans, t, "location")
		}, at(1, 11), 20 * time.Second, cat},
		{appEn, func(_ *consent.Decision, t time.Time) (consent.Decision, error) {
			return consent.Decline(cat, consent.SurfaceFirstLaunch, consent.LangEn, t)
		}, at(1, 12), 3 * time.Second, cat},
		{web, func(_ *consent.Decision, t time.Time) (consent.Decision, error) {
			return consent.Agree(cat, consent.SurfaceWebBanner, []consent.PurposeID{"analytics"}, consent.LangZhHans, t)
		}, at(0, 8), 5 * time.Second, cat},
		{appV1, func(_ *consent.Decision, t time.Time) (consent.Decision, error) {
			return consent.Agree(cat, consent.SurfaceFirstLaunch, []consent.PurposeID{"crash-reports"}, consent.LangEn, t)
		}, at(0, 10), 0, cat},
	}
	if later, ok := src.Catalogues[Later]; ok {
		steps = append(steps, step{appZh, func(_ *consent.Decision, t time.Time) (consent.Decision, error) {
			return consent.Agree(later, consent.SurfaceFirstLaunch, []consent.PurposeID{"push", "sensors"}, consent.LangZhHans, t)
		}, at(0, 9), 40 * time.Second, later})
		s.out.Reasked = true
	}
	var times []console.LatencyCount
	for _, st := range steps {
		when := st.when
		if when.After(now) {
			// Early in the day: keep every receipt in the past.
			when = now.Add(-time.Duration(len(s.out.Receipts)+1) * time.Minute)
		}
		d, err := st.decide(st.who.last, when)
		if err != nil {
			return nil, err
		}
		// A later policy's receipt is kaiconn-receipt/1: the registry of
		// notices ships none of a fictitious version.
		v1 := st.who.v1 || st.cat.Version() == Later
		if err := s.put(st.who, st.cat, d, v1, st.shown); err != nil {
			return nil, err
		}
		day := console.DayOf(when)
		if s.out.Decisions[day] == nil {
			s.out.Decisions[day] = map[string]int64{}
		}
		s.out.Decisions[day][string(d.Kind)]++
		if st.shown > 0 {
			times = append(times, console.LatencyCount{Seconds: console.LatencyBucket(int64(st.shown / time.Second)), N: 1})
		}
	}
	s.out.MedianSeconds, _ = console.Quantile(times, 0.5)
	return s.out, nil
}

// step is one decision of the data set.
type step struct {
	who    *subject
	decide func(prev *consent.Decision, t time.Time) (consent.Decision, error)
	when   time.Time
	shown  time.Duration // before the decision; 0 when unknown
	cat    *consent.Catalogue
}

type subject struct {
	name   string
	id     string
	signer receipt.Signer // nil: server-attested
	v1     bool
	head   string
	last   *consent.Decision
	n      int
}

type seeder struct {
	ctx   context.Context
	store receipt.Store
	keys  *receipt.Keyring
	src   Sources
	out   *Seeded
}

// put builds, signs, countersigns and stores the receipt of d, as the API
// (a device key) or the form path (server-attested) does.
func (s *seeder) put(who *subject, cat *consent.Catalogue, d consent.Decision, v1 bool, shown time.Duration) error {
	text, err := fs.ReadFile(s.src.Policy, d.PolicyVersion+"/"+d.Lang+".md")
	if err != nil {
		return fmt.Errorf("consoletest: policy text: %w", err)
	}
	sum := sha256.Sum256(text)
	meta := consentreceipt.Meta{ReceiptID: uuid.NewString(), PolicySHA256: hex.EncodeToString(sum[:]),
		Purposes: consentreceipt.Purposes(cat, d.Surface, d.Lang)}
	if who.last != nil && consentreceipt.SameAudience(who.last.Surface, d.Surface) {
		meta.Previous = who.last
	}
	if !v1 {
		meta.Notice = notice.For(cat, d.Surface, d.Lang)
	}
	p, err := consentreceipt.Params(d, meta, who.id, who.head)
	if err != nil {
		return err
	}
	r := receipt.New(p)
	var env *receipt.Signed
	thumb := ""
	if who.signer != nil {
		if env, err = receipt.Sign(r, who.signer); err != nil {
			return err
		}
		if thumb, err = env.Device.JWK.Thumbprint(); err != nil {
			return err
		}
	} else if env, err = receipt.Attest(r); err != nil {
		return err
	}
	canon, err := env.Canonical()
	if err != nil {
		return err
	}
	jws, kid, err := s.keys.Countersign(canon)
	if err != nil {
		return err
	}
	rec := receipt.Record{
		ID: r.ID, Subject: who.id, PrevHash: who.head, Hash: receipt.HashBytes(canon),
		PolicyVersion: d.PolicyVersion, Surface: string(d.Surface), IssuedAt: r.IssuedTime(),
		ReceivedAt: r.IssuedTime().Add(700 * time.Millisecond), Body: canon, Countersig: jws, KeyID: kid,
		Language: r.Language, Decision: r.Decision, Schema: receipt.SchemaNumber(r.Schema), States: r.States(), DeviceKey: thumb,
	}
	if shown > 0 {
		rec.ShownAt = r.IssuedTime().Add(-shown)
	}
	if _, _, err := s.store.Put(s.ctx, rec, receipt.PutOptions{}); err != nil {
		return fmt.Errorf("consoletest: put %s: %w", who.name, err)
	}
	who.head, who.n = rec.Hash, who.n+1
	dec := d
	who.last = &dec
	s.out.Subjects[who.name] = who.id
	s.out.Receipts[fmt.Sprintf("%s-%d", who.name, who.n)] = r.ID
	s.out.Total++
	return nil
}
