import { useState, type FormEvent } from 'react';
import { credits, describeError, when, type Schemas, type TallyClient } from '../api';
import { Empty, Pager, Show, useApi, useClient, useCursorPages } from '../ui';

type Payout = Schemas['PayoutResponseDto'];

const PAGE = 20;

async function pendingPayouts(client: TallyClient, cursor: string | undefined) {
  return (await client.api.GET('/v1/admin/payouts', { params: { query: { status: 'pending', limit: PAGE, cursor } } }))
    .data!;
}

/** The payouts owed: every prover's pending payouts, newest first, a page at a time. */
export function PayoutsOwed() {
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const payouts = useApi((client) => pendingPayouts(client, cursor), [cursor]);
  return (
    <section>
      <h2>Payouts owed</h2>
      <Show loaded={payouts} what="the payouts owed">
        {(page) => (
          <>
            {page.items.length === 0 ? (
              <Empty>No payout is pending.</Empty>
            ) : (
              <div className="scroll">
                <table data-testid="payouts-owed">
                  <thead>
                    <tr>
                      <th>Prover</th>
                      <th className="num">Amount</th>
                      <th>Requested</th>
                      <th>Payout</th>
                      <th />
                    </tr>
                  </thead>
                  <tbody>
                    {page.items.map((p) => (
                      <PayoutRow key={p.payout_id} payout={p} onConfirmed={payouts.reload} />
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            <Pager pages={pages} next={page.next_cursor} newestFirst />
          </>
        )}
      </Show>
    </section>
  );
}

/** A pending payout; confirming it (its money left, with the sink's reference) asks first. */
function PayoutRow({ payout, onConfirmed }: { payout: Payout; onConfirmed: () => void }) {
  const client = useClient();
  const [confirming, setConfirming] = useState(false);
  const [ref, setRef] = useState('');
  const [state, setState] = useState<{ busy?: boolean; error?: string }>({});
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!ref.trim()) return setState({ error: "Give the payment's reference (where the money went)." });
    setState({ busy: true });
    try {
      await client.api.POST('/v1/provers/{prover_id}/payouts/{payout_id}/confirm', {
        params: { path: { prover_id: payout.prover_id, payout_id: payout.payout_id } },
        body: { external_ref: ref.trim() },
      });
      setState({});
      setConfirming(false);
      onConfirmed();
    } catch (error) {
      setState({ error: describeError(error) });
    }
  };
  return (
    <tr data-payout={payout.payout_id}>
      <td>{payout.prover_id}</td>
      <td className="num" data-testid="payout-amount">
        {credits(payout.amount_micros)}
      </td>
      <td>{when(payout.created_at)}</td>
      <td className="hash" title={payout.payout_id}>
        {payout.payout_id}
      </td>
      <td>
        {confirming ? (
          <form className="confirm" onSubmit={submit}>
            <label>
              Paid with reference
              <input value={ref} onChange={(e) => setRef(e.target.value)} name="external_ref" size={14} />
            </label>
            <button type="submit" disabled={state.busy} data-testid="confirm-payout">
              {state.busy ? 'Working…' : 'Yes, confirm paid'}
            </button>
            <button type="button" className="link" onClick={() => setConfirming(false)} disabled={state.busy}>
              Cancel
            </button>
          </form>
        ) : (
          <button onClick={() => setConfirming(true)} data-testid="confirm-payout-start">
            Confirm paid…
          </button>
        )}
        {state.error && (
          <p className="error" role="alert">
            {state.error}
          </p>
        )}
      </td>
    </tr>
  );
}
