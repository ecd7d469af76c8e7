import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EMBEDDED_SEED_FILE,
  keyIdOf,
  MissingSigningKeyError,
  publicKeyOfSeed,
  SigningKeyring,
  verifyEd25519,
  verifyReceipt,
} from '@tally/receipts';
import { ReceiptsCtx } from '../../support/receipts-ctx';
import { startTestApp, TestApp } from '../../support/test-app';
import { createTestDatabase, TestDatabase } from '../../support/test-database';

const seed = () => randomBytes(32).toString('hex');
// The config module copies the validated environment into process.env; '' unsets a key for an app.
const NO_ATTESTATION = { RECEIPT_ATTESTATION_KEY_HEX: '' };

describe('receipt signing keys', () => {
  let db: TestDatabase;
  const saved = { ...process.env };
  beforeEach(async () => (db = await createTestDatabase()));
  afterEach(async () => {
    await db.drop();
    for (const name of ['RECEIPT_SIGNING_KEY_HEX', 'RECEIPT_ATTESTATION_KEY_HEX']) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  it('retires the old key on rotation, keeps it published, and its signatures still verify', async () => {
    const [a, b] = [seed(), seed()];
    const message = Buffer.from('a statement signed before the rotation');

    const first = await startTestApp({ RECEIPT_SIGNING_KEY_HEX: a, ...NO_ATTESTATION }, db);
    const signed = first.app.get(SigningKeyring).sign(message);
    expect(signed.key_id).toBe(keyIdOf(publicKeyOfSeed(a)));
    await first.close();

    const second = await startTestApp({ RECEIPT_SIGNING_KEY_HEX: b, ...NO_ATTESTATION }, db);
    try {
      const keyring = second.app.get(SigningKeyring);
      const keys = await keyring.publicKeys();
      expect(keys.map((k) => [k.key_id, k.purpose, k.status])).toEqual([
        [signed.key_id, 'signing', 'retired'],
        [keyIdOf(publicKeyOfSeed(b)), 'signing', 'active'],
      ]);
      expect(keys[0].retired_at).not.toBeNull();
      expect(keys[1].retired_at).toBeNull();
      const old = keys.find((k) => k.key_id === signed.key_id)!;
      expect(verifyEd25519(old.public_key, message, signed.signature)).toBe(true);
      expect(keyring.sign(message).key_id).toBe(keys[1].key_id);
    } finally {
      await second.close();
    }
  });

  it('receipts signed before a rotation still verify through POST /v1/receipts/verify', async () => {
    const [a, b] = [seed(), seed()];
    const first = await startTestApp({ RECEIPT_SIGNING_KEY_HEX: a, ...NO_ATTESTATION }, db);
    const ctx = new ReceiptsCtx(first);
    const client = await ctx.fundedClient('5');
    const id = (await ctx.submit(client.key, { max_cost_micros: 1_000_000 }).expect(201)).body.network_job_id;
    await first.http().post(`/v1/jobs/${id}/cancel`).set(client.key).expect(200);
    const [old] = await ctx.chain(id);
    await first.close();

    const second = await startTestApp({ RECEIPT_SIGNING_KEY_HEX: b, ...NO_ATTESTATION }, db);
    try {
      const ctx2 = new ReceiptsCtx(second);
      const keys = await ctx2.keys();
      expect(keys.find((k) => k.key_id === old.signature.key_id)?.status).toBe('retired');
      expect(await ctx2.verify(old)).toEqual({
        valid: true,
        key_id: old.signature.key_id,
        receipt_hash: old.receipt_hash,
      });
      expect(verifyReceipt(old, keys).valid).toBe(true);
      // New receipts are signed by the new key and verify too.
      const next = (await ctx2.submit(client.key, { max_cost_micros: 1_000_000 }).expect(201)).body.network_job_id;
      await second.http().post(`/v1/jobs/${next}/cancel`).set(client.key).expect(200);
      const [fresh] = await ctx2.chain(next);
      expect(fresh.signature.key_id).toBe(keyIdOf(publicKeyOfSeed(b)));
      expect((await ctx2.verify(fresh)).valid).toBe(true);
    } finally {
      await second.close();
    }
  });

  it('publishes the attestation key beside the signing key, and attests only when configured', async () => {
    const [s, att] = [seed(), seed()];
    const t = await startTestApp({ RECEIPT_SIGNING_KEY_HEX: s, RECEIPT_ATTESTATION_KEY_HEX: att }, db);
    try {
      const keyring = t.app.get(SigningKeyring);
      const message = Buffer.from('attested');
      const attested = (await keyring.attestAsync(message))!;
      expect(attested.key_id).toBe(keyIdOf(publicKeyOfSeed(att)));
      expect(verifyEd25519(publicKeyOfSeed(att), message, attested.signature)).toBe(true);
      const keys = await keyring.publicKeys();
      expect(keys.map((k) => `${k.purpose}:${k.status}`).sort()).toEqual(['attestation:active', 'signing:active']);
    } finally {
      await t.close();
    }
    const plain = await startTestApp({ RECEIPT_SIGNING_KEY_HEX: s, ...NO_ATTESTATION }, db);
    try {
      const keyring = plain.app.get(SigningKeyring);
      expect(await keyring.attestAsync(Buffer.from('x'))).toBeUndefined();
      // Signing on the thread pool gives the very signature the event loop would (Ed25519 is deterministic).
      const message = Buffer.from('signed off the event loop');
      expect(await keyring.signAsync(message)).toEqual(keyring.sign(message));
      expect(verifyEd25519(publicKeyOfSeed(s), message, (await keyring.signAsync(message)).signature)).toBe(true);
    } finally {
      await plain.close();
    }
  });

  it('keeps exactly one active key per purpose when replicas with different keys start at once', async () => {
    const seeds = [seed(), seed(), seed()];
    const start = (s: string) => startTestApp({ RECEIPT_SIGNING_KEY_HEX: s, ...NO_ATTESTATION }, db);
    let apps: TestApp[];
    if (db.env.DATABASE_URL) {
      apps = await Promise.all(seeds.map(start));
    } else {
      // Embedded PGlite: one process per data directory, so the replicas start in turn.
      for (const s of seeds.slice(0, -1)) await (await start(s)).close();
      apps = [await start(seeds[seeds.length - 1])];
    }
    try {
      const keys = await apps[0].app.get(SigningKeyring).publicKeys();
      expect(keys).toHaveLength(3);
      expect(keys.filter((k) => k.status === 'active')).toHaveLength(1);
      expect(new Set(keys.map((k) => k.key_id))).toEqual(new Set(seeds.map((s) => keyIdOf(publicKeyOfSeed(s)))));
    } finally {
      await Promise.all(apps.map((a) => a.close()));
    }
  });

  it('refuses to start on a server database without RECEIPT_SIGNING_KEY_HEX', async () => {
    if (!db.env.DATABASE_URL) return expect(db.env.TALLY_DATA_DIR).toBeDefined(); // embedded run: covered below
    await expect(startTestApp({ RECEIPT_SIGNING_KEY_HEX: '' }, db)).rejects.toThrow(MissingSigningKeyError);
    await expect(startTestApp({ RECEIPT_SIGNING_KEY_HEX: '' }, db)).rejects.toThrow(/RECEIPT_SIGNING_KEY_HEX/);
  });

  it('embedded without a key: generates one on first start (mode 0600) and signs with it after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tally-keys-'));
    const embedded: TestDatabase = { env: { TALLY_DATA_DIR: dir }, drop: async () => undefined };
    const env = { RECEIPT_SIGNING_KEY_HEX: '', DATABASE_URL: '', ...NO_ATTESTATION };
    try {
      const first = await startTestApp(env, embedded);
      const keyId = first.app.get(SigningKeyring).keyId;
      await first.close();
      const file = join(dir, EMBEDDED_SEED_FILE);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(keyIdOf(publicKeyOfSeed(readFileSync(file, 'utf8').trim()))).toBe(keyId);

      const second = await startTestApp(env, embedded);
      try {
        expect(second.app.get(SigningKeyring).keyId).toBe(keyId);
        const keys = await second.app.get(SigningKeyring).publicKeys();
        expect(keys.map((k) => [k.key_id, k.status])).toEqual([[keyId, 'active']]);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
