import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The database refuses, at commit, a transfer whose entries do not balance: per currency
 * (the accounts') and phase, its debits must equal its credits. A deferred constraint
 * trigger, so a transfer may be written in several statements of one transaction; it fires
 * once per transfer, on its leg 0 (legs are numbered from 0), and looks at that transfer's
 * few entries through entries_transfer_idx, so a batch pays one index probe per transfer.
 */
export class BalancedTransfers1763791720000 implements MigrationInterface {
  name = 'BalancedTransfers1763791720000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION ledger_transfer_balances() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
          off record;
        BEGIN
          SELECT (SELECT a.currency FROM accounts a WHERE a.id = e.account_id) AS currency, e.phase,
                 sum(CASE e.side WHEN 'D' THEN e.amount ELSE -e.amount END) AS diff
            INTO off
            FROM entries e WHERE e.transfer_id = NEW.transfer_id
           GROUP BY 1, 2 HAVING sum(CASE e.side WHEN 'D' THEN e.amount ELSE -e.amount END) <> 0
           LIMIT 1;
          IF FOUND THEN
            RAISE EXCEPTION 'transfer % does not balance: its % % debits minus its credits are %',
              NEW.transfer_id, off.currency, off.phase, off.diff
              USING ERRCODE = 'check_violation', CONSTRAINT = 'entries_transfer_balances';
          END IF;
          RETURN NULL;
        END $$`);
    await q.query(
      `CREATE CONSTRAINT TRIGGER entries_transfer_balances AFTER INSERT ON entries
       DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.leg = 0) EXECUTE FUNCTION ledger_transfer_balances()`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER entries_transfer_balances ON entries`);
    await q.query(`DROP FUNCTION ledger_transfer_balances()`);
  }
}
