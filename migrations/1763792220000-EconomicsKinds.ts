import { MigrationInterface, QueryRunner } from 'typeorm';

const ACCOUNT_KINDS_BEFORE = ['user', 'provider', 'platform', 'escrow', 'issuance'];
const TRANSFER_KINDS_BEFORE = ['mint', 'spend', 'reward', 'refund', 'transfer', 'hold', 'capture', 'void', 'expire'];

const list = (kinds: string[]) => kinds.map((k) => `'${k}'`).join(', ');

/**
 * The marketplace's own accounts and movements: a prover's `stake` (bonded credits) and the
 * `payout` clearing account (earnings on their way out of the ledger); transfers that bond
 * (`stake`) and slash (`slash`). Each check is added NOT VALID and then validated, so the
 * scan of existing rows blocks no writer.
 */
export class EconomicsKinds1763792220000 implements MigrationInterface {
  name = 'EconomicsKinds1763792220000';

  async up(q: QueryRunner): Promise<void> {
    await this.check(q, 'accounts', [...ACCOUNT_KINDS_BEFORE, 'stake', 'payout']);
    await this.check(q, 'transfers', [...TRANSFER_KINDS_BEFORE, 'stake', 'slash']);
  }

  async down(q: QueryRunner): Promise<void> {
    await this.check(q, 'accounts', ACCOUNT_KINDS_BEFORE);
    await this.check(q, 'transfers', TRANSFER_KINDS_BEFORE);
  }

  private async check(q: QueryRunner, table: string, kinds: string[]): Promise<void> {
    await q.query(`ALTER TABLE ${table} DROP CONSTRAINT ${table}_kind_check`);
    await q.query(`ALTER TABLE ${table} ADD CONSTRAINT ${table}_kind_check CHECK (kind IN (${list(kinds)})) NOT VALID`);
    await q.query(`ALTER TABLE ${table} VALIDATE CONSTRAINT ${table}_kind_check`);
  }
}
