// Independent check of a Kaiconn consent receipt with the jose library and
// WebCrypto, sharing no code with the Go implementation:
//
//   node verify.mjs jwks.json receipt.json
//
// receipt.json is {"envelope": {...}, "countersignature": "...", "hash": "..."}
// as GET /api/v1/receipts/{id} returns it. The script checks that
//   1. the countersignature is a JWS by a key of the JWKS (jose.compactVerify
//      with createLocalJWKSet), alg EdDSA, with a kid;
//   2. its payload is byte for byte the RFC 8785 canonical form of the
//      envelope, computed here from scratch;
//   3. the hash, when given, is the SHA-256 of those bytes;
//   4. for a device-signed envelope ("attestation": "device"), the device
//      signature verifies with WebCrypto over the canonical receipt (Ed25519,
//      or ECDSA P-256 with a raw r||s signature); a server-attested envelope
//      ("attestation": "server", recorded by the server from a form post)
//      must carry no device member, and the countersignature alone vouches
//      for it.
// The countersignature may be detached (RFC 7515 Appendix F,
// "<protected>..<signature>", as the server writes it since
// kaiconn-receipt/2): the script then reattaches the base64url of the
// canonical envelope it computed, so that a signature over other bytes fails.
// A countersignature stored before carries its payload, which must then be
// those bytes.
// It prints OK and exits 0, or prints FAILED and exits 1.
import { readFileSync } from 'node:fs';
import { createHash, webcrypto } from 'node:crypto';
import * as jose from 'jose';

// RFC 8785 for documents of objects, arrays and strings: ECMAScript
// JSON.stringify already writes strings the way JCS wants, and JCS sorts
// member names by UTF-16 code units, which is JavaScript's default sort.
function canonicalize(value) {
  if (Array.isArray(value)) {
    return '[' + value.map(canonicalize).join(',') + ']';
  }
  if (value !== null && typeof value === 'object') {
    return '{' + Object.keys(value).sort()
      .map((k) => JSON.stringify(k) + ':' + canonicalize(value[k])).join(',') + '}';
  }
  return JSON.stringify(value);
}

async function verifyDevice(envelope) {
  const { alg, jwk, sig } = envelope.device;
  const message = new TextEncoder().encode(canonicalize(envelope.receipt));
  const signature = jose.base64url.decode(sig);
  let params;
  if (alg === 'EdDSA') {
    params = { name: 'Ed25519' };
  } else if (alg === 'ES256') {
    params = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  } else {
    throw new Error(`device.alg ${alg} is not EdDSA or ES256`);
  }
  const key = await webcrypto.subtle.importKey('jwk', jwk, params, false, ['verify']);
  if (!(await webcrypto.subtle.verify(params, key, signature, message))) {
    throw new Error('device signature does not verify');
  }
}

async function main([jwksPath, receiptPath]) {
  if (!jwksPath || !receiptPath) {
    throw new Error('usage: node verify.mjs jwks.json receipt.json');
  }
  const jwks = jose.createLocalJWKSet(JSON.parse(readFileSync(jwksPath, 'utf8')));
  const doc = JSON.parse(readFileSync(receiptPath, 'utf8'));

  const expected = Buffer.from(canonicalize(doc.envelope), 'utf8');
  let jws = doc.countersignature;
  const [protectedPart, payloadPart, signaturePart, ...rest] = jws.split('.');
  const detached = payloadPart === '' && rest.length === 0;
  if (detached) {
    jws = `${protectedPart}.${jose.base64url.encode(expected)}.${signaturePart}`;
  }
  let verified;
  try {
    verified = await jose.compactVerify(jws, jwks, { algorithms: ['EdDSA'] });
  } catch (err) {
    if (detached && err.code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') {
      throw new Error('detached countersignature does not verify over the canonical envelope');
    }
    throw err;
  }
  const { payload, protectedHeader } = verified;
  if (!protectedHeader.kid) {
    throw new Error('countersignature has no kid');
  }
  if (!Buffer.from(payload).equals(expected)) {
    throw new Error('countersignature payload is not the canonical envelope');
  }
  const hash = createHash('sha256').update(expected).digest('hex');
  if (doc.hash !== undefined && doc.hash !== hash) {
    throw new Error('hash is not the SHA-256 of the canonical envelope');
  }
  const { attestation } = doc.envelope;
  if (attestation === 'device') {
    await verifyDevice(doc.envelope);
  } else if (attestation === 'server') {
    if ('device' in doc.envelope) {
      throw new Error('a server-attested envelope must not carry a device member');
    }
  } else {
    throw new Error(`attestation ${attestation} is not device or server`);
  }
  console.log(`OK kid=${protectedHeader.kid} hash=${hash} attestation=${attestation} detached=${detached}`);
}

main(process.argv.slice(2)).catch((err) => {
  console.log(`FAILED: ${err.message}`);
  process.exit(1);
});
