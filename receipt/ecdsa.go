package receipt

import (
	"encoding/asn1"
	"errors"
	"math/big"
)

// WebCrypto writes ECDSA signatures as raw r||s while Go's crypto/ecdsa reads
// and writes ASN.1 DER; these two convert between them for P-256.

type ecdsaSig struct{ R, S *big.Int }

func rawToASN1(raw []byte) ([]byte, error) {
	if len(raw) != 64 {
		return nil, errors.New("ES256 signature must be 64 bytes")
	}
	return asn1.Marshal(ecdsaSig{R: new(big.Int).SetBytes(raw[:32]), S: new(big.Int).SetBytes(raw[32:])})
}

func asn1ToRaw(der []byte) ([]byte, error) {
	var sig ecdsaSig
	rest, err := asn1.Unmarshal(der, &sig)
	if err != nil || len(rest) != 0 {
		return nil, errors.New("malformed ECDSA signature")
	}
	if sig.R.Sign() <= 0 || sig.S.Sign() <= 0 || sig.R.BitLen() > 256 || sig.S.BitLen() > 256 {
		return nil, errors.New("ECDSA signature out of range")
	}
	raw := make([]byte, 64)
	sig.R.FillBytes(raw[:32])
	sig.S.FillBytes(raw[32:])
	return raw, nil
}
