import { useState, type FormEvent } from 'react';
import {
  verifyAccountProof,
  verifyBatch,
  verifyTransferProof,
  type AccountProof,
  type SealedBatch,
  type TransferProof,
} from '../../../../packages/sdk/src/index';
import { credits, describeError, when, type Schemas, type TallyClient } from '../api';
import { Empty, Pager, Show, useApi, useClient, useCursorPages } from '../ui';
import { PayoutsOwed } from './payouts';

type Batch = Schemas['SealedBatchResponseDto'];
type Sink = Schemas['SinkStatusDto'];

async function loadSettlement(client: TallyClient, cursor: string | undefined) {
  const [status, fallback, batches] = await Promise.all([
    client.api.GET('/v1/settlement/status').then((r) => r.data!),
    client.api.GET('/v1/settlement/fallback/status').then((r) => r.data!),
    client.api.GET('/v1/settlement/batches', { params: { query: { limit: 20, cursor } } }).then((r) => r.data!),
  ]);
  return { status, fallback, batches };
}

export function Settlement() {
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const settlement = useApi((client) => loadSettlement(client, cursor), [cursor]);
  return (
    <>
      <h1>Settlement</h1>
      <Show loaded={settlement} what="settlement">
        {({ status, fallback, batches }) => (
          <>
            <p>
              Sealing is {status.enabled ? `on (${status.seal_cron})` : 'off'}; {status.pending_count} transfers wait
              for the next batch. Delivery state: <strong data-testid="fallback-state">{fallback.state}</strong>
              {fallback.fallback_active ? `, falling back to ${fallback.active_sink ?? 'another sink'}` : ''}
              {fallback.reason ? ` (${fallback.reason})` : ''}.
            </p>
            <h2>Sinks</h2>
            <SinkTable sinks={status.sinks} />
            <h2>Batches</h2>
            {batches.items.length === 0 ? (
              <Empty>No batch has been sealed yet.</Empty>
            ) : (
              <BatchTable batches={batches.items} />
            )}
            <Pager pages={pages} next={batches.next_cursor} newestFirst />
            <ProofLookup latest={batches.items[0]?.batch_no} />
          </>
        )}
      </Show>
      <PayoutsOwed />
    </>
  );
}

function BatchTable({ batches }: { batches: Batch[] }) {
  return (
    <div className="scroll">
      <table data-testid="batches">
        <thead>
          <tr>
            <th>Batch</th>
            <th>Sealed</th>
            <th className="num">Transfers</th>
            <th className="num">Accounts</th>
            <th className="num">Total supply</th>
            <th>Transfers root</th>
            <th>Balances root</th>
          </tr>
        </thead>
        <tbody>
          {batches.map((b) => (
            <tr key={b.batch_no}>
              <td>#{b.batch_no}</td>
              <td>{when(b.created_at)}</td>
              <td className="num">{b.transfer_count}</td>
              <td className="num">{b.account_count}</td>
              <td className="num">{credits(b.total_supply)}</td>
              <td className="hash" title={b.transfers_root}>
                {b.transfers_root.slice(0, 16)}…
              </td>
              <td className="hash" title={b.balances_root}>
                {b.balances_root.slice(0, 16)}…
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function SinkTable({ sinks }: { sinks: Sink[] }) {
  if (sinks.length === 0) return <Empty>No settlement sink is configured.</Empty>;
  return (
    <div className="scroll">
      <table data-testid="sinks">
        <thead>
          <tr>
            <th>Sink</th>
            <th>Tier</th>
            <th>Delivered up to</th>
            <th className="num">Pending</th>
            <th className="num">Failed</th>
            <th className="num">Attempts</th>
            <th>Last error</th>
          </tr>
        </thead>
        <tbody>
          {sinks.map((s) => (
            <tr key={s.name}>
              <td>
                {s.name}
                {!s.configured && <span className="muted"> (not configured)</span>}
              </td>
              <td>{s.tier}</td>
              <td>
                {s.last_delivered_batch_no !== null && s.last_delivered_batch_no !== undefined
                  ? `#${s.last_delivered_batch_no}, ${when(s.last_delivered_at)}`
                  : 'nothing yet'}
              </td>
              <td className="num">{s.pending}</td>
              <td className={s.failed ? 'num bad' : 'num'}>{s.failed}</td>
              <td className="num">{s.attempts ?? '—'}</td>
              <td className={s.last_error ? 'bad' : 'muted'}>{s.last_error ?? 'none'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

type Lookup =
  | { kind: 'transfer'; batch: SealedBatch; proof: TransferProof; batchCheck: string | true; proofCheck: string | true }
  | { kind: 'account'; batch: SealedBatch; proof: AccountProof; batchCheck: string | true; proofCheck: string | true };

const verdict = (v: { valid: true } | { valid: false; reason: string }) => (v.valid ? true : v.reason);

/** Fetches a batch, the published keys and a proof, then checks all three here, in the browser. */
async function lookUp(client: TallyClient, batchNo: number, target: string): Promise<Lookup> {
  const n = String(batchNo);
  const [batch, keys] = await Promise.all([
    client.api.GET('/v1/settlement/batches/{n}', { params: { path: { n } } }).then((r) => r.data! as SealedBatch),
    client.api.GET('/v1/receipts/keys').then((r) => r.data!.keys),
  ]);
  const batchCheck = verdict(verifyBatch(batch, keys));
  const [type, ...rest] = target.trim().split('/');
  if (rest.length > 0) {
    const proof = (
      await client.api.GET('/v1/settlement/batches/{n}/proofs/accounts/{account_type}/{account_id}', {
        params: { path: { n, account_type: type as never, account_id: rest.join('/') } },
      })
    ).data! as AccountProof;
    return { kind: 'account', batch, proof, batchCheck, proofCheck: verdict(verifyAccountProof(batch, proof)) };
  }
  const proof = (
    await client.api.GET('/v1/settlement/batches/{n}/proofs/transfers/{transfer_id}', {
      params: { path: { n, transfer_id: type } },
    })
  ).data! as TransferProof;
  return { kind: 'transfer', batch, proof, batchCheck, proofCheck: verdict(verifyTransferProof(batch, proof)) };
}

function ProofLookup({ latest }: { latest: number | undefined }) {
  const client = useClient();
  const [batchNo, setBatchNo] = useState(latest === undefined ? '' : String(latest));
  const [target, setTarget] = useState('');
  const [state, setState] = useState<{ busy?: boolean; error?: string; result?: Lookup }>({});
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!/^\d+$/.test(batchNo)) return setState({ error: 'Give the batch number (a whole number).' });
    if (!target.trim()) return setState({ error: 'Give a transfer id, or an account as type/id (user/alice).' });
    setState({ busy: true });
    try {
      setState({ result: await lookUp(client, Number(batchNo), target) });
    } catch (error) {
      setState({ error: describeError(error) });
    }
  };
  const result = state.result;
  return (
    <section>
      <h2>Proof lookup</h2>
      <form className="inline" onSubmit={submit}>
        <label>
          Batch
          <input
            value={batchNo}
            onChange={(e) => setBatchNo(e.target.value)}
            inputMode="numeric"
            size={6}
            name="batch"
          />
        </label>
        <label className="grow">
          Transfer id, or account as type/id
          <input value={target} onChange={(e) => setTarget(e.target.value)} placeholder="user/alice" name="target" />
        </label>
        <button type="submit" disabled={state.busy}>
          {state.busy ? 'Verifying…' : 'Look up and verify'}
        </button>
      </form>
      {state.error && (
        <p className="error" role="alert">
          {state.error}
        </p>
      )}
      {result && (
        <div className="proof" data-testid="proof-result">
          <p
            data-testid="proof-verdict"
            className={result.batchCheck === true && result.proofCheck === true ? 'good' : 'bad'}
          >
            {result.batchCheck === true && result.proofCheck === true
              ? `Verified in this browser: batch #${result.batch.batch_no} is signed by a published key, and the ${result.kind} is in it.`
              : `Not verified: ${result.batchCheck === true ? '' : `the batch's signature fails (${result.batchCheck}). `}${
                  result.proofCheck === true ? '' : `The ${result.kind}'s proof fails (${result.proofCheck}).`
                }`}
          </p>
          {result.kind === 'account' ? (
            <p>
              Balance of {result.proof.account_type}/{result.proof.account_id} after the batch:{' '}
              <strong>{credits(result.proof.balance)}</strong> credits; leaf {result.proof.leaf_index + 1} of{' '}
              {result.proof.leaf_count}.
            </p>
          ) : (
            <p>
              Transfer {result.proof.transfer.id}: leaf {result.proof.leaf_index + 1} of {result.proof.leaf_count},{' '}
              {result.proof.siblings.length} sibling hashes to the root {result.batch.transfers_root.slice(0, 16)}….
            </p>
          )}
        </div>
      )}
    </section>
  );
}
