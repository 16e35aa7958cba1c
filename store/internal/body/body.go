package body

import (
	"bytes"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/flate"
)

// Codecs a stored body may be encoded with.
const (
	// Raw is the body as given: every row stored before codecs existed,
	// and any body compression would not shrink.
	Raw = 0
	// Deflate1 is raw DEFLATE (RFC 1951) with Dictionary1 as the preset
	// dictionary.
	Deflate1 = 1
)

// Dictionary1 is the preset dictionary of Deflate1: member names and
// constant values of kaiconn-receipt/1 and /2 envelopes in canonical
// (RFC 8785) order. DEFLATE codes a match more cheaply the nearer it is, so
// the strings every v2 receipt carries come last. Never edit it.
const Dictionary1 = `"consentType":"separate-consent","dataCategories":["recipient":"Kaiconn","time":"","withdraw":{"text":"","url":"/settings/privacy"}},` +
	`"controller":{"address":"深圳市南山区粤海街道高新南环路42号北邮科技大厦10楼1002","email":"privacy@kaiconn.com",` +
	`"name":"深圳市每开创新科技有限公司 / Shenzhen Kaiconn Innovative Technology Co., Ltd."},"schema":"kaiconn-receipt/1",` +
	`"decision":"declined","decision":"updated","decision":"withdrawn","surface":"web-banner","surface":"settings","language":"en",` +
	`"state":"withdrawn","id":"necessary","id":"preferences","id":"wechat-share","id":"location","id":"crash-reports","id":"analytics",` +
	`{"attestation":"server","receipt":{"confirmed":["age-18"],` +
	`{"attestation":"device","device":{"alg":"ES256","jwk":{"crv":"P-256","kty":"EC","x":"","y":""},"sig":""},` +
	`{"attestation":"device","device":{"alg":"EdDSA","jwk":{"crv":"Ed25519","kty":"OKP","x":""},"sig":""},"receipt":{"controller":"",` +
	`"decision":"agreed","id":"","issuedAt":"2026-11-29T04:30:00.000Z","jurisdiction":"CN","language":"zh-Hans",` +
	`"policy":{"sha256":"","version":"2022-10"},"prevHash":"","purposes":[{"expiresAt":"2027-11-29T04:30:00.000Z",` +
	`"id":"basic","notice":"","state":"given"},{"id":"push","notice":"","state":"refused"}],` +
	`"schema":"kaiconn-receipt/2","subject":"sub_","surface":"first-launch","withdrawal":""}}`

var dict1 = []byte(Dictionary1)

var writers = sync.Pool{New: func() any {
	w, err := flate.NewWriterDict(nil, 5, dict1)
	if err != nil {
		panic(err) // Only an invalid level fails.
	}
	return w
}}

var readers = sync.Pool{New: func() any {
	return flate.NewReaderDict(bytes.NewReader(nil), dict1)
}}

// Pack returns b as a store keeps it and the codec to give Unpack: Deflate1
// when that is smaller, else b itself and Raw.
func Pack(b []byte) (stored []byte, codec int) {
	var buf bytes.Buffer
	buf.Grow(len(b) / 2)
	w := writers.Get().(*flate.Writer)
	defer writers.Put(w)
	w.Reset(&buf)
	// Writes to a bytes.Buffer do not fail.
	_, _ = w.Write(b)
	_ = w.Close()
	if buf.Len() >= len(b) {
		return b, Raw
	}
	return buf.Bytes(), Deflate1
}

// Unpack returns the body Pack was given.
func Unpack(stored []byte, codec int) ([]byte, error) {
	switch codec {
	case Raw:
		return stored, nil
	case Deflate1:
		r := readers.Get().(io.ReadCloser)
		defer readers.Put(r)
		if err := r.(flate.Resetter).Reset(bytes.NewReader(stored), dict1); err != nil {
			return nil, err
		}
		out := bytes.NewBuffer(make([]byte, 0, 3*len(stored)))
		if _, err := io.Copy(out, r); err != nil {
			return nil, fmt.Errorf("body: codec %d: %w", codec, err)
		}
		return out.Bytes(), nil
	}
	return nil, fmt.Errorf("body: unknown codec %d", codec)
}
