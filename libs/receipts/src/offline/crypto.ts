import { createHash, createPrivateKey, createPublicKey, sign, verify, KeyObject } from 'node:crypto';
import canonicalize from 'canonicalize';

// Pure functions only: an external verifier imports this folder without Nest or a database.

/** DER prefixes that wrap a raw 32-byte Ed25519 seed (PKCS#8) or public key (SPKI). */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const HEX_32 = /^[0-9a-fA-F]{64}$/;
const HEX_64 = /^[0-9a-fA-F]{128}$/;

/** RFC 8785 canonical JSON bytes: the same value always gives the same bytes. */
export function canonicalBytes(value: unknown): Buffer {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value cannot be canonicalised');
  return Buffer.from(text, 'utf8');
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A key's id: the hex SHA-256 of its raw 32-byte public key. */
export function keyIdOf(publicKeyHex: string): string {
  if (!HEX_32.test(publicKeyHex)) throw new TypeError('an Ed25519 public key is 64 hex characters');
  return sha256Hex(Buffer.from(publicKeyHex, 'hex'));
}

function privateKeyOf(seedHex: string): KeyObject {
  if (!HEX_32.test(seedHex)) throw new TypeError('an Ed25519 seed is 64 hex characters');
  return createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, Buffer.from(seedHex, 'hex')]),
    format: 'der',
    type: 'pkcs8',
  });
}

/** The raw public key (hex) of a 32-byte seed. */
export function publicKeyOfSeed(seedHex: string): string {
  const spki = createPublicKey(privateKeyOf(seedHex)).export({ format: 'der', type: 'spki' });
  return spki.subarray(SPKI_ED25519_PREFIX.length).toString('hex');
}

/** Signs `message` with the seed's key; the signature is 64 bytes, hex. */
export function signEd25519(seedHex: string, message: Buffer): string {
  return ed25519Signer(seedHex)(message);
}

/** A signing function for one seed: the key is parsed once, not on every signature. */
export function ed25519Signer(seedHex: string): (message: Buffer) => string {
  const key = privateKeyOf(seedHex);
  return (message) => sign(null, message, key).toString('hex');
}

/**
 * Like ed25519Signer, but each signature is computed on libuv's thread pool: the calling
 * thread (the API's event loop) only hands the message over.
 */
export function ed25519AsyncSigner(seedHex: string): (message: Buffer) => Promise<string> {
  const key = privateKeyOf(seedHex);
  return (message) =>
    new Promise((resolve, reject) =>
      sign(null, message, key, (error, signature) => (error ? reject(error) : resolve(signature.toString('hex')))),
    );
}

/** True when `signatureHex` is the key's signature of `message`; malformed input is just false. */
export function verifyEd25519(publicKeyHex: string, message: Buffer, signatureHex: string): boolean {
  if (typeof publicKeyHex !== 'string' || typeof signatureHex !== 'string' || !Buffer.isBuffer(message)) return false;
  if (!HEX_32.test(publicKeyHex) || !HEX_64.test(signatureHex)) return false;
  try {
    const key = createPublicKey({
      key: Buffer.concat([SPKI_ED25519_PREFIX, Buffer.from(publicKeyHex, 'hex')]),
      format: 'der',
      type: 'spki',
    });
    return verify(null, message, key, Buffer.from(signatureHex, 'hex'));
  } catch {
    return false;
  }
}
