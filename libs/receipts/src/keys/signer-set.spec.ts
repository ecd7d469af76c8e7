import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyIdOf, publicKeyOfSeed } from '../offline';
import { parseSignerSet, SignerSetConfigError } from './signer-set';

const pk = (n: number) => publicKeyOfSeed(n.toString(16).padStart(2, '0').repeat(32));
const entries = [
  { signer_id: 'a', public_keys: [pk(1), pk(2)] },
  { signer_id: 'b', public_keys: [pk(3)] },
  { signer_id: 'c', public_keys: [pk(4).toUpperCase()] },
];

describe('RECEIPT_SIGNER_SET and RECEIPT_QUORUM', () => {
  it('is nothing when unset, and reads JSON text or a file, k defaulting to a majority', () => {
    expect(parseSignerSet(undefined, undefined)).toBeUndefined();
    const set = parseSignerSet(JSON.stringify(entries), undefined)!;
    expect(set.threshold).toBe(2);
    expect(set.signers.map((s) => [s.signer_id, s.keys.map((k) => k.key_id)])).toEqual([
      ['a', [keyIdOf(pk(1)), keyIdOf(pk(2))]],
      ['b', [keyIdOf(pk(3))]],
      ['c', [keyIdOf(pk(4))]],
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'tally-signers-'));
    try {
      const file = join(dir, 'signers.json');
      writeFileSync(file, JSON.stringify({ signers: entries }));
      expect(parseSignerSet(file, 3)).toEqual({ ...set, threshold: 3 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a wrong set or k, naming the variable and the fix', () => {
    const wrong = (raw: string, k?: number) => () => parseSignerSet(raw, k);
    expect(wrong(JSON.stringify(entries), 4)).toThrow(SignerSetConfigError);
    expect(wrong(JSON.stringify(entries), 4)).toThrow(
      /^RECEIPT_QUORUM \(4\): the threshold must be an integer from 1 to 3/,
    );
    expect(wrong('[{"signer_id": "a"')).toThrow(/RECEIPT_SIGNER_SET is not JSON/);
    expect(wrong('/nowhere/signers.json')).toThrow(/RECEIPT_SIGNER_SET: cannot read \/nowhere\/signers.json/);
    expect(wrong('{"threshold": 1}')).toThrow(/lists no signers/);
    expect(wrong(JSON.stringify([{ signer_id: 'a', public_keys: ['00'] }]))).toThrow(
      /RECEIPT_SIGNER_SET: signer a lists a key that is not a 64-hex-character Ed25519 public key/,
    );
    expect(wrong(JSON.stringify([entries[0], entries[0]]))).toThrow(/signer a is listed twice/);
  });
});
