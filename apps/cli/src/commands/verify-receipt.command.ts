import { Command } from 'commander';
import {
  chainDocumentProblem,
  isChainDocument,
  ReceiptChainDocument,
  type ReceiptSignerSet,
  verifyAttestation,
  verifyChainQuorum,
  verifyQuorum,
  verifyChainDocument,
  verifyReceipt,
  verifyReceiptChain,
  type ChainCheck,
} from '@tally/receipts';
import { Cli, EXIT, once, withExamples } from '../cli-command';
import { configuredSignerSet, KEYS_HELP, publishedKeys, readJson } from './offline-files';

function chainResult(check: ChainCheck, docs: unknown[], set: ReceiptSignerSet | undefined): number {
  if (!check.valid) {
    console.log(`invalid: ${check.reason} (receipt ${check.index + 1} of ${docs.length})`);
    return EXIT.failed;
  }
  console.log(`valid: chain of ${check.length} receipt(s), head ${check.head}`);
  if (!set) return EXIT.ok;
  const quorum = verifyChainQuorum(docs, set);
  quorum.receipts.forEach((r, i) => {
    if (!(r.valid && r.final)) console.log(`not final: receipt ${i + 1} of ${docs.length}`);
  });
  console.log(quorum.final ? `final: every receipt signed by ${set.threshold} or more signers` : 'chain not final');
  return quorum.final ? EXIT.ok : EXIT.failed;
}

/** The k-of-n check of one receipt: who signed, what was not counted, final or not. */
function quorumResult(doc: unknown, set: ReceiptSignerSet): number {
  const q = verifyQuorum(doc, set);
  if (!q.valid) return EXIT.failed;
  for (const r of q.rejected) {
    console.log(`signature not counted: key ${r.key_id}${r.signer_id ? ` (signer ${r.signer_id})` : ''}: ${r.reason}`);
  }
  const who = q.signed_by.join(', ') || 'none';
  console.log(`${q.final ? 'final' : 'not final'}: ${q.signed_by.length} of ${q.threshold} signer(s) needed (${who})`);
  return q.final ? EXIT.ok : EXIT.failed;
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
        "verify a job's receipt, or its whole chain, offline against the published keys (and, with a signer set, " +
          'that k of its signers signed); exit 1 with the reason when invalid or not final',
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
          const set = await configuredSignerSet(opts.keys, cli);
          if (Array.isArray(doc)) return chainResult(verifyReceiptChain(doc, keys), doc, set);
          if (isChainDocument(doc)) {
            const problem = chainDocumentProblem(doc);
            if (problem) {
              console.log(`invalid: ${problem.detail}`);
              return EXIT.failed;
            }
            const chain = doc as unknown as ReceiptChainDocument;
            return chainResult(verifyChainDocument(chain, keys), chain.receipts, set);
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
          return set ? quorumResult(doc, set) : EXIT.ok;
        }),
      ),
    'verify-receipt receipts.json --keys keys.json',
    'verify-receipt receipt.json   (keys from the configured database)',
  );
}
