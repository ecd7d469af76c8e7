// Anyone holding an account checks its own balance against the latest sealed settlement
// batch, offline: the batch's signature against the published keys, then the account's
// Merkle-sum proof against the batch's root. Nothing is taken on trust from the server.
//
//   TALLY_URL=http://localhost:3000 TALLY_KEY=tly_… TALLY_ACCOUNT=user/alice node verify-balance.mjs
/* global process, console */
import { TallyClient, fromMicros, verifyAccountProof, verifyBatch } from '@tally/sdk';

const tally = new TallyClient({
  baseUrl: process.env.TALLY_URL ?? 'http://localhost:3000',
  apiKey: process.env.TALLY_KEY,
});
const [account_type, account_id] = (process.env.TALLY_ACCOUNT ?? 'user/alice').split('/');

// The newest sealed batch: the listing is public, keyset-paged.
let latest;
for await (const batch of tally.pages('/v1/settlement/batches', { query: { limit: 100 } })) {
  if (!latest || BigInt(batch.batch_no) > BigInt(latest.batch_no)) latest = batch;
}
if (!latest) throw new Error('no batch is sealed yet');
const n = String(latest.batch_no);
const { data: batch } = await tally.api.GET('/v1/settlement/batches/{n}', { params: { path: { n } } });
const { data: published } = await tally.api.GET('/v1/receipts/keys');
const { data: proof } = await tally.api.GET('/v1/settlement/batches/{n}/proofs/accounts/{account_type}/{account_id}', {
  params: { path: { n, account_type, account_id } },
});

const signed = verifyBatch(batch, published.keys);
const proven = verifyAccountProof(batch, proof);
if (!signed.valid || !proven.valid) {
  console.error(`NOT proven: ${signed.valid ? proven.reason : signed.reason}`);
  process.exit(1);
}
console.log(
  `your balance is proven: ${fromMicros(BigInt(proof.balance))} credits for ${account_type}/${account_id} in batch ${n}`,
);
