package proof_test

import "github.com/gowebpki/jcs"

func jcsTransform(b []byte) ([]byte, error) { return jcs.Transform(b) }
