package receipt

import "encoding/json"

// The wire types are the JSON of each schema, member for member. Receipt
// holds both schemas' members so that the code reading receipts (chains,
// stores, the console) works on either; encoding goes through these types,
// so that a receipt's JSON, and so its signature and hash, carries exactly
// the members of its schema. Decode checks a document's shape against them.

type receiptV1 struct {
	Schema       string      `json:"schema"`
	ID           string      `json:"id"`
	Subject      string      `json:"subject"`
	Controller   Controller  `json:"controller"`
	Jurisdiction string      `json:"jurisdiction"`
	Surface      string      `json:"surface"`
	Language     string      `json:"language"`
	Policy       Policy      `json:"policy"`
	Decision     string      `json:"decision"`
	IssuedAt     string      `json:"issuedAt"`
	Purposes     []purposeV1 `json:"purposes"`
	PrevHash     string      `json:"prevHash"`
}

type purposeV1 struct {
	ID             string     `json:"id"`
	Recipient      string     `json:"recipient"`
	DataCategories []string   `json:"dataCategories"`
	ConsentType    string     `json:"consentType"`
	State          string     `json:"state"`
	Time           string     `json:"time"`
	ExpiresAt      string     `json:"expiresAt"`
	Withdraw       Withdrawal `json:"withdraw"`
}

// receiptV2 is the JSON of kaiconn-receipt/2 and of kaiconn-receipt/3,
// which has the same members and one more purpose state.
type receiptV2 struct {
	Schema       string      `json:"schema"`
	ID           string      `json:"id"`
	Subject      string      `json:"subject"`
	Notice       string      `json:"notice"`
	Jurisdiction string      `json:"jurisdiction"`
	Surface      string      `json:"surface"`
	Language     string      `json:"language"`
	Policy       Policy      `json:"policy"`
	Decision     string      `json:"decision"`
	IssuedAt     string      `json:"issuedAt"`
	Confirmed    []string    `json:"confirmed,omitempty"`
	Purposes     []purposeV2 `json:"purposes"`
	PrevHash     string      `json:"prevHash"`
}

type purposeV2 struct {
	ID        string `json:"id"`
	State     string `json:"state"`
	ExpiresAt string `json:"expiresAt,omitempty"`
}

// envelopeV1 and envelopeV2 are Signed as Decode checks its shape.
type envelopeV1 struct {
	Attestation string    `json:"attestation"`
	Receipt     receiptV1 `json:"receipt"`
	Device      Device    `json:"device,omitzero"`
}

type envelopeV2 struct {
	Attestation string    `json:"attestation"`
	Receipt     receiptV2 `json:"receipt"`
	Device      Device    `json:"device,omitzero"`
}

func (r *Receipt) v1() receiptV1 {
	w := receiptV1{
		Schema: r.Schema, ID: r.ID, Subject: r.Subject, Controller: r.Controller,
		Jurisdiction: r.Jurisdiction, Surface: r.Surface, Language: r.Language, Policy: r.Policy,
		Decision: r.Decision, IssuedAt: r.IssuedAt, PrevHash: r.PrevHash,
		Purposes: make([]purposeV1, len(r.Purposes)),
	}
	for i, p := range r.Purposes {
		w.Purposes[i] = purposeV1{
			ID: p.ID, Recipient: p.Recipient, DataCategories: p.DataCategories, ConsentType: p.ConsentType,
			State: p.State, Time: p.Time, ExpiresAt: p.ExpiresAt, Withdraw: p.Withdraw,
		}
	}
	return w
}

func (w *receiptV1) receipt() Receipt {
	r := Receipt{
		Schema: w.Schema, ID: w.ID, Subject: w.Subject, Controller: w.Controller,
		Jurisdiction: w.Jurisdiction, Surface: w.Surface, Language: w.Language, Policy: w.Policy,
		Decision: w.Decision, IssuedAt: w.IssuedAt, PrevHash: w.PrevHash,
		Purposes: make([]Purpose, len(w.Purposes)),
	}
	for i, p := range w.Purposes {
		r.Purposes[i] = Purpose{
			ID: p.ID, Recipient: p.Recipient, DataCategories: p.DataCategories, ConsentType: p.ConsentType,
			State: p.State, Time: p.Time, ExpiresAt: p.ExpiresAt, Withdraw: p.Withdraw,
		}
	}
	return r
}

func (r *Receipt) v2() receiptV2 {
	w := receiptV2{
		Schema: r.Schema, ID: r.ID, Subject: r.Subject, Notice: r.Notice,
		Jurisdiction: r.Jurisdiction, Surface: r.Surface, Language: r.Language, Policy: r.Policy,
		Decision: r.Decision, IssuedAt: r.IssuedAt, Confirmed: r.Confirmed, PrevHash: r.PrevHash,
		Purposes: make([]purposeV2, len(r.Purposes)),
	}
	for i, p := range r.Purposes {
		w.Purposes[i] = purposeV2{ID: p.ID, State: p.State, ExpiresAt: p.ExpiresAt}
	}
	return w
}

func (w *receiptV2) receipt() Receipt {
	r := Receipt{
		Schema: w.Schema, ID: w.ID, Subject: w.Subject, Notice: w.Notice,
		Jurisdiction: w.Jurisdiction, Surface: w.Surface, Language: w.Language, Policy: w.Policy,
		Decision: w.Decision, IssuedAt: w.IssuedAt, Confirmed: w.Confirmed, PrevHash: w.PrevHash,
		Purposes: make([]Purpose, len(w.Purposes)),
	}
	for i, p := range w.Purposes {
		r.Purposes[i] = Purpose{ID: p.ID, State: p.State, ExpiresAt: p.ExpiresAt}
	}
	return r
}

// wire returns r as the wire type of its schema. Canonical encodes it
// directly rather than through MarshalJSON, which encoding/json would
// re-parse to compact.
func (r *Receipt) wire() any {
	if r.NamesNotice() {
		return r.v2()
	}
	return r.v1()
}

// wire returns s with its receipt as the wire type of its schema.
func (s *Signed) wire() any {
	if s.Receipt.NamesNotice() {
		return envelopeV2{Attestation: s.Attestation, Receipt: s.Receipt.v2(), Device: s.Device}
	}
	return envelopeV1{Attestation: s.Attestation, Receipt: s.Receipt.v1(), Device: s.Device}
}

// MarshalJSON writes the members of the receipt's schema; a schema that is
// neither is written as kaiconn-receipt/1, which check then refuses.
func (r Receipt) MarshalJSON() ([]byte, error) { return json.Marshal(r.wire()) }

// UnmarshalJSON reads the members of the schema the document names. It is
// lenient like encoding/json; Decode is the strict reader.
func (r *Receipt) UnmarshalJSON(data []byte) error {
	var head struct {
		Schema string `json:"schema"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return err
	}
	if namesNotice(head.Schema) {
		var w receiptV2
		if err := json.Unmarshal(data, &w); err != nil {
			return err
		}
		*r = w.receipt()
		return nil
	}
	var w receiptV1
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*r = w.receipt()
	return nil
}
