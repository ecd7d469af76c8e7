import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { UnitOfWork } from '@tally/database';
import { ConfigurationError, TallyEnv } from '@tally/shared';
import { ReceiptKeysQuery } from '../queries/receipt-keys.query';
import type { KeyPurpose, PublishedKey } from './published-key';
import { ed25519AsyncSigner, ed25519Signer, keyIdOf, publicKeyOfSeed } from '../offline';

export type { KeyPurpose, PublishedKey } from './published-key';

export interface KeySignature {
  key_id: string;
  signature: string;
}

interface LoadedKey {
  seed: string;
  sign: (message: Buffer) => string;
  signAsync: (message: Buffer) => Promise<string>;
  publicKey: string;
  keyId: string;
}

/** Where embedded mode keeps the seed it generated (next to the embedded database). */
export const EMBEDDED_SEED_FILE = 'receipt-signing-key.hex';

export class MissingSigningKeyError extends ConfigurationError {
  constructor() {
    super(
      'RECEIPT_SIGNING_KEY_HEX is required with DATABASE_URL (64 hex characters: a 32-byte Ed25519 seed); ' +
        'every replica signs with its configured key (the same one on every replica, or with RECEIPT_SIGNER_SET ' +
        'each replica its own, listed in the set). Make one with `openssl rand -hex 32` ' +
        'and keep it secret.',
    );
  }
}

function load(seed: string): LoadedKey {
  const publicKey = publicKeyOfSeed(seed.toLowerCase());
  const lower = seed.toLowerCase();
  return {
    seed: lower,
    publicKey,
    keyId: keyIdOf(publicKey),
    sign: ed25519Signer(lower),
    signAsync: ed25519AsyncSigner(lower),
  };
}

/**
 * The Ed25519 keys that sign receipts (and settlement batches) and the optional attesting
 * key. At start the configured keys are published as active; any other key that was
 * active for the same purpose is retired, and stays published so old signatures verify.
 */
@Injectable()
export class SigningKeyring implements OnModuleInit {
  private readonly logger = new Logger(SigningKeyring.name);
  private readonly signing: LoadedKey;
  private readonly attestation?: LoadedKey;

  constructor(
    private readonly env: TallyEnv,
    private readonly uow: UnitOfWork,
    private readonly keys: ReceiptKeysQuery,
  ) {
    this.signing = load(env.RECEIPT_SIGNING_KEY_HEX ?? this.embeddedSeed());
    if (env.RECEIPT_ATTESTATION_KEY_HEX) {
      this.attestation = load(env.RECEIPT_ATTESTATION_KEY_HEX);
      if (this.attestation.keyId === this.signing.keyId) {
        throw new Error('RECEIPT_ATTESTATION_KEY_HEX must differ from RECEIPT_SIGNING_KEY_HEX');
      }
    }
  }

  async onModuleInit(): Promise<void> {
    await this.publish('signing', this.signing);
    if (this.attestation) await this.publish('attestation', this.attestation);
  }

  /** The public half (hex) of the key that signs now. */
  get publicKey(): string {
    return this.signing.publicKey;
  }

  /** The id of the key that signs now. */
  get keyId(): string {
    return this.signing.keyId;
  }

  sign(message: Buffer): KeySignature {
    return { key_id: this.signing.keyId, signature: this.signing.sign(message) };
  }

  /** The same signature, computed off the event loop (on the thread pool). */
  async signAsync(message: Buffer): Promise<KeySignature> {
    return { key_id: this.signing.keyId, signature: await this.signing.signAsync(message) };
  }

  /** A second signature by the attesting key, when one is configured (off the event loop). */
  async attestAsync(message: Buffer): Promise<KeySignature | undefined> {
    if (!this.attestation) return undefined;
    return { key_id: this.attestation.keyId, signature: await this.attestation.signAsync(message) };
  }

  /** Every key ever published, active and retired, oldest first. */
  publicKeys(): Promise<PublishedKey[]> {
    return this.keys.published();
  }

  /**
   * Makes `key` the active key of its purpose. Replicas starting together serialise on an
   * advisory lock, so there is never more than one active key per purpose (an index checks it).
   */
  private async publish(purpose: KeyPurpose, key: LoadedKey): Promise<void> {
    await this.uow.run(async () => {
      const { tx } = this.uow;
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('receipt_keys'))`);
      const existing: Array<{ purpose: KeyPurpose; status: string }> = await tx.query(
        `SELECT purpose, status FROM receipt_keys WHERE key_id = $1`,
        [key.keyId],
      );
      if (existing[0] && existing[0].purpose !== purpose) {
        throw new Error(`the ${purpose} key ${key.keyId} was published as the ${existing[0].purpose} key`);
      }
      if (existing[0]?.status === 'active') return;
      await tx.query(
        `UPDATE receipt_keys SET status = 'retired', retired_at = now() WHERE purpose = $1 AND status = 'active'`,
        [purpose],
      );
      // A key brought back after a rollback becomes active again; it signs from now on.
      await tx.query(
        `INSERT INTO receipt_keys (key_id, public_key, purpose, status) VALUES ($1, $2, $3, 'active')
         ON CONFLICT (key_id) DO UPDATE SET status = 'active', retired_at = NULL`,
        [key.keyId, key.publicKey, purpose],
      );
      this.logger.log({ key_id: key.keyId, purpose }, 'receipt key published as active');
    });
  }

  /**
   * Embedded mode without a configured key: a seed generated once and kept beside the
   * database (mode 0600), so receipts keep one key across restarts. The private seed is a
   * file rather than a row so that a database dump or a read replica never holds it.
   */
  private embeddedSeed(): string {
    if (this.env.DATABASE_URL) throw new MissingSigningKeyError();
    const dir = this.env.TALLY_DATA_DIR;
    const file = join(dir, EMBEDDED_SEED_FILE);
    if (!existsSync(file)) {
      mkdirSync(dir, { recursive: true });
      try {
        writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
        chmodSync(file, 0o600);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      this.logger.warn(
        { file },
        'RECEIPT_SIGNING_KEY_HEX is not set: generated a receipt signing key for this embedded database; ' +
          'set RECEIPT_SIGNING_KEY_HEX in production',
      );
    } else {
      this.logger.warn(
        { file },
        'RECEIPT_SIGNING_KEY_HEX is not set: signing with the key generated for this embedded database',
      );
    }
    const seed = readFileSync(file, 'utf8').trim();
    if (!/^[0-9a-fA-F]{64}$/.test(seed)) throw new Error(`${file} does not hold a 64-hex-character Ed25519 seed`);
    return seed;
  }
}
