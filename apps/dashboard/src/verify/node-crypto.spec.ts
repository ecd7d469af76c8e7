import * as node from 'node:crypto';
import { Buffer as BrowserBuffer } from 'buffer/';
import * as shim from './node-crypto';

// The browser's node:crypto must answer exactly as Node's does for what the verifiers ask of it.
describe("the dashboard's node:crypto for the browser", () => {
  const message = Buffer.from('{"domain":"tally.receipt","version":2}', 'utf8');
  const { publicKey, privateKey } = node.generateKeyPairSync('ed25519');
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  const signature = node.sign(null, message, privateKey);

  it('hashes with SHA-256 as Node does, in one call or in parts', () => {
    const expected = node.createHash('sha256').update(message).update('tail').digest('hex');
    expect(shim.createHash('sha256').update(message).update('tail').digest('hex')).toBe(expected);
    expect(shim.hash('sha256', message, 'hex')).toBe(node.hash('sha256', message, 'hex'));
    expect(Buffer.from(shim.hash('sha256', message, 'buffer') as Uint8Array)).toEqual(
      node.hash('sha256', message, 'buffer'),
    );
  });

  it('accepts an Ed25519 signature Node made, and refuses it altered or under another key', () => {
    const key = shim.createPublicKey({ key: spki, format: 'der', type: 'spki' });
    expect(shim.verify(null, message, key, signature)).toBe(true);
    const altered = Buffer.from(signature);
    altered[10] ^= 1;
    expect(shim.verify(null, message, key, altered)).toBe(false);
    expect(shim.verify(null, Buffer.concat([message, Buffer.of(0)]), key, signature)).toBe(false);
    const other = node.generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
    expect(
      shim.verify(null, message, shim.createPublicKey({ key: other, format: 'der', type: 'spki' }), signature),
    ).toBe(false);
  });

  it('refuses what the browser does not do: other hashes and signing', () => {
    expect(() => shim.createHash('sha512')).toThrow(/only sha256/);
    expect(() => shim.sign()).toThrow(/server/);
  });

  it("gives the browser's Buffer the BigInt write the summed Merkle tree uses", () => {
    const out = BrowserBuffer.alloc(12) as unknown as Buffer;
    expect(out.writeBigUInt64BE(0x0102030405060708n, 2)).toBe(10);
    expect(out.toString('hex')).toBe('000001020304050607080000');
  });
});
