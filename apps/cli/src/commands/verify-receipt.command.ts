import { Command } from 'commander';
import {
  chainDocumentProblem,
  isChainDocument,
  ReceiptChainDocument,
  verifyAttestation,
  verifyChainDocument,
  verifyReceipt,
  verifyReceiptChain,
  type ChainCheck,
} from '@tally/receipts';
import { Cli, EXIT, once, withExamples } from '../cli-command';
import { KEYS_HELP, publishedKeys, readJson } from './offline-files';

function chainResult(check: ChainCheck, length: number): number {
  if (!check.valid) {
    console.log(`invalid: ${check.reason} (receipt ${check.index + 1} of ${length})`);
    return EXIT.failed;
  }
  console.log(`valid: chain of ${check.length} receipt(s), head ${check.head}`);
  return EXIT.ok;
}

/**
 * Verifies a receipt, or a job's chain (GET /v1/jobs/{id}/receipts's answer as it is, or just
 * its array), offline against the published keys.
 */
export function verifyReceiptCommand(program: Command, cli: Cli): void {
  withExamples(
    program
      .command('verify-receipt')
      .description(
        "verify a job's receipt, or its whole chain, offline against the published keys; exit 1 with the reason when invalid",
      )
      .argument(
        '<file>',
        'a receipt (GET /v1/jobs/{id}/receipt) or a chain (GET /v1/jobs/{id}/receipts, or its receipts array)',
      )
      .option('--keys <keys.json>', KEYS_HELP, once())
      .action(
        cli.action(async (file: string, opts: { keys?: string }) => {
          const doc = readJson(file, 'receipt');
          const keys = await publishedKeys(opts.keys, cli);
          if (Array.isArray(doc)) return chainResult(verifyReceiptChain(doc, keys), doc.length);
          if (isChainDocument(doc)) {
            const problem = chainDocumentProblem(doc);
            if (problem) {
              console.log(`invalid: ${problem.detail}`);
              return EXIT.failed;
            }
            const chain = doc as unknown as ReceiptChainDocument;
            return chainResult(verifyChainDocument(chain, keys), chain.receipts.length);
          }
          const check = verifyReceipt(doc, keys);
          if (!check.valid) {
            console.log(`invalid: ${check.reason}`);
            return EXIT.failed;
          }
          console.log(`valid: signed by key ${check.key_id}, receipt hash ${check.receipt_hash}`);
          if ((doc as { attestation?: unknown }).attestation) {
            const attested = verifyAttestation(doc, keys);
            console.log(
              attested.valid ? `attestation valid: key ${attested.key_id}` : `attestation invalid: ${attested.reason}`,
            );
            if (!attested.valid) return EXIT.failed;
          }
          return EXIT.ok;
        }),
      ),
    'verify-receipt receipts.json --keys keys.json',
    'verify-receipt receipt.json   (keys from the configured database)',
  );
}
