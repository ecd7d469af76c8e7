// An admin mints credits to an account and reads its balance and history, with @tally/sdk only.
//
//   TALLY_URL=http://localhost:3000 TALLY_ADMIN_KEY=tly_admin_… node admin-mint.mjs alice 25.5
//
// A lost answer is retried with the same Idempotency-Key, so the mint happens once.
/* global process, console */
import { TallyClient, fromMicros, toMicros } from '@tally/sdk';

const tally = new TallyClient({
  baseUrl: process.env.TALLY_URL ?? 'http://localhost:3000',
  apiKey: process.env.TALLY_ADMIN_KEY,
});
const [account = 'alice', amount = '25.5'] = process.argv.slice(2);
const account_ref = { account_type: 'user', account_id: account };

const { data: minted } = await tally.api.POST('/v1/credits/mint', { body: { ...account_ref, amount } });
console.log(`minted ${amount} credits to user/${account} (transfer ${minted.transfer_id})`);

const { data } = await tally.api.GET('/v1/credits/accounts/{account_type}/{account_id}', {
  params: { path: account_ref },
});
console.log(`balance of user/${account}: posted ${data.balance.posted}, available ${data.balance.available}`);

// Every transaction of the account, page after page; amounts added as bigint micros.
let total = 0n;
let count = 0;
for await (const transfer of tally.pages('/v1/credits/transactions', { query: { ...account_ref, limit: 100 } })) {
  if (transfer.kind === 'mint') total += toMicros(transfer.amount);
  count++;
}
console.log(`${count} transactions, ${fromMicros(total)} credits minted in all`);
