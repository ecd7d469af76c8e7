import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { canonicalBytes, keyIdOf, publicKeyOfSeed, signEd25519, verifyEd25519 } from './crypto';

// RFC 8032 §7.1, test 2: a known seed, its public key and the signature of one byte.
const SEED = '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb';
const PUBLIC = '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c';
const MESSAGE = Buffer.from('72', 'hex');
const SIGNATURE =
  '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00';

describe('offline receipt crypto', () => {
  it('derives the RFC 8032 public key and signature from a seed', () => {
    expect(publicKeyOfSeed(SEED)).toBe(PUBLIC);
    expect(signEd25519(SEED, MESSAGE)).toBe(SIGNATURE);
    expect(verifyEd25519(PUBLIC, MESSAGE, SIGNATURE)).toBe(true);
  });

  it('names a key by the SHA-256 of its raw public key', () => {
    expect(keyIdOf(PUBLIC)).toBe(createHash('sha256').update(Buffer.from(PUBLIC, 'hex')).digest('hex'));
    expect(() => keyIdOf('abc')).toThrow(TypeError);
  });

  it('verifies signatures made by another Ed25519 implementation of node', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('hex');
    const message = Buffer.from('tally');
    expect(verifyEd25519(raw, message, sign(null, message, privateKey).toString('hex'))).toBe(true);
  });

  it('rejects another message, another key, a changed signature, and malformed input without throwing', () => {
    const other = publicKeyOfSeed('11'.repeat(32));
    expect(verifyEd25519(PUBLIC, Buffer.from('73', 'hex'), SIGNATURE)).toBe(false);
    expect(verifyEd25519(other, MESSAGE, SIGNATURE)).toBe(false);
    const flipped = (SIGNATURE[0] === '9' ? '8' : '9') + SIGNATURE.slice(1);
    expect(verifyEd25519(PUBLIC, MESSAGE, flipped)).toBe(false);
    for (const [key, sig] of [
      ['', SIGNATURE],
      ['zz'.repeat(32), SIGNATURE],
      [PUBLIC, 'abcd'],
      [PUBLIC, 'zz'.repeat(64)],
      [null, SIGNATURE],
      [PUBLIC, undefined],
      ['00'.repeat(32), SIGNATURE],
    ] as const) {
      expect(verifyEd25519(key as unknown as string, MESSAGE, sig as unknown as string)).toBe(false);
    }
    expect(verifyEd25519(PUBLIC, 'text' as unknown as Buffer, SIGNATURE)).toBe(false);
  });

  it('canonicalises per RFC 8785: sorted keys, no spaces, stable numbers', () => {
    expect(canonicalBytes({ b: '1', a: [3, { d: null, c: true }], e: 1e21 }).toString()).toBe(
      '{"a":[3,{"c":true,"d":null}],"b":"1","e":1e+21}',
    );
    expect(canonicalBytes({ x: 1, y: 2 }).equals(canonicalBytes({ y: 2, x: 1 }))).toBe(true);
    expect(() => canonicalBytes(undefined)).toThrow(TypeError);
  });

  it('refuses a malformed seed', () => {
    expect(() => signEd25519('00', MESSAGE)).toThrow(TypeError);
    expect(() => publicKeyOfSeed('g'.repeat(64))).toThrow(TypeError);
  });
});
