package receipt

// checkDeviceKey checks a device's public key when a receipt is decoded:
// on the server, whole, to the point being on the curve.
func (j JWK) checkDeviceKey(alg, field string) error {
	_, err := j.publicKey(alg, field)
	return err
}

// verifySigned checks the signature Sign just made, so that a signer that
// signs wrongly is caught where it signs.
func verifySigned(s *Signed) error { return s.VerifyDevice() }
