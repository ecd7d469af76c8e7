import { Command } from 'commander';
import {
  type AccountProof,
  type SealedBatch,
  type TransferProof,
  verifyAccountProof,
  verifyBatch,
  verifyTransferProof,
} from '@tally/receipts';
import { formatMicros } from '@tally/shared';
import { Cli, EXIT, once, withExamples } from '../cli-command';
import { KEYS_HELP, publishedKeys, readJson } from './offline-files';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Verifies a settlement proof offline: that the batch is signed by a published key, and that
 * the transfer (transfer proof) or the account's balance (account proof) is in it.
 */
export function verifyProofCommand(program: Command, cli: Cli): void {
  withExamples(
    program
      .command('verify-proof')
      .description(
        "verify a transfer's or an account's settlement proof offline against its signed batch; exit 1 with the reason when invalid",
      )
      .argument(
        '<proof.json>',
        'GET /v1/settlement/batches/{n}/proofs/transfers/{id} or …/proofs/accounts/{type}/{id}, saved',
      )
      .requiredOption('--batch <batch.json>', 'GET /v1/settlement/batches/{n}, saved', once())
      .option('--keys <keys.json>', KEYS_HELP, once())
      .action(
        cli.action(async (file: string, opts: { batch: string; keys?: string }) => {
          const proof = readJson(file, 'proof');
          const batch = readJson(opts.batch, 'batch') as SealedBatch;
          const keys = await publishedKeys(opts.keys, cli);
          const invalid = (reason: string) => {
            console.log(`invalid: ${reason}`);
            return EXIT.failed;
          };
          const signed = verifyBatch(batch, keys);
          if (!signed.valid) return invalid(`batch: ${signed.reason}`);
          const signedBy = `batch ${batch.batch_no}, signed by key ${batch.key_id}`;
          if (isObject(proof) && 'transfer' in proof) {
            const check = verifyTransferProof(batch, proof as unknown as TransferProof);
            if (!check.valid) return invalid(check.reason);
            const { transfer } = proof as unknown as TransferProof;
            console.log(`valid: transfer ${transfer.id} (${transfer.kind}, seq ${transfer.seq}) is in ${signedBy}`);
            return EXIT.ok;
          }
          if (isObject(proof) && 'account_type' in proof) {
            const check = verifyAccountProof(batch, proof as unknown as AccountProof);
            if (!check.valid) return invalid(check.reason);
            const account = proof as unknown as AccountProof;
            console.log(
              `valid: ${account.account_type}/${account.account_id} holds ${formatMicros(BigInt(account.balance))} ` +
                `credits after ${signedBy} (total supply ${formatMicros(BigInt(batch.total_supply))})`,
            );
            return EXIT.ok;
          }
          return invalid('not a transfer proof nor an account proof');
        }),
      ),
    'verify-proof my-balance.json --batch batch-7.json --keys keys.json',
    'verify-proof transfer.json --batch batch-7.json   (keys from the configured database)',
  );
}
