// The part of node:crypto the SDK's offline verifiers use, for the browser (Vite aliases
// node:crypto here): SHA-256 and Ed25519 verification, synchronous as the verifiers are,
// from audited pure-JavaScript implementations. Signing is the server's and is not here.
import './buffer-global';
// 'buffer/': the npm package, never Node's core module of the same name.
import { Buffer } from 'buffer/';
import { sha256 } from '@noble/hashes/sha2';
import nacl from 'tweetnacl';

type Bytes = Uint8Array | string;

const bytesOf = (data: Bytes): Buffer =>
  typeof data === 'string'
    ? Buffer.from(data, 'utf8')
    : Buffer.from(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);

function digest(data: Uint8Array, encoding?: string): Buffer | string {
  const out = Buffer.from(sha256(data));
  return encoding === 'hex' ? out.toString('hex') : out;
}

function onlySha256(algorithm: string): void {
  if (algorithm !== 'sha256') throw new Error(`only sha256 is available in the browser, not ${algorithm}`);
}

export function createHash(algorithm: string) {
  onlySha256(algorithm);
  const parts: Buffer[] = [];
  return {
    update(data: Bytes) {
      parts.push(bytesOf(data));
      return this;
    },
    digest: (encoding?: string) => digest(Buffer.concat(parts), encoding),
  };
}

export function hash(algorithm: string, data: Bytes, encoding?: string): Buffer | string {
  onlySha256(algorithm);
  return digest(bytesOf(data), encoding);
}

/** A public key: the raw 32 bytes at the end of its DER (SPKI) encoding. */
export class KeyObject {
  constructor(readonly raw: Uint8Array) {}
}

export function createPublicKey(options: { key: Uint8Array; format: 'der'; type: 'spki' }): KeyObject {
  if (options.format !== 'der' || options.type !== 'spki' || options.key.length < 32) {
    throw new Error('only DER (SPKI) Ed25519 public keys are available in the browser');
  }
  return new KeyObject(options.key.subarray(options.key.length - 32));
}

export function verify(_algorithm: null, message: Uint8Array, key: KeyObject, signature: Uint8Array): boolean {
  if (key.raw.length !== 32 || signature.length !== 64) return false;
  return nacl.sign.detached.verify(new Uint8Array(message), new Uint8Array(signature), new Uint8Array(key.raw));
}

function serverOnly(): never {
  throw new Error('signing is done by the server, not in the browser');
}
export const createPrivateKey = serverOnly;
export const sign = serverOnly;
