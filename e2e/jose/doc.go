// Package jose checks the server's countersignatures with an implementation
// that shares no code with ours: the jose library and WebCrypto under node
// (verify.mjs). Its only content is the test that drives that script.
package jose
