import { useEffect, useMemo, useState } from 'react';
import { credits, describeError, when, type Schemas } from '../api';
import { LiveNote, useLive } from '../live';
import { Empty, Show, Stat, TimeChart, useApi, useClient } from '../ui';

type Overview = Schemas['OverviewResponseDto'];
type VerifyRun = Schemas['LedgerVerifyRunResponseDto'];

export function Overview() {
  const overview = useApi(async (client) => (await client.api.GET('/v1/admin/overview')).data!);
  const mode = useLive(overview.reload);
  return (
    <>
      <h1>Overview</h1>
      <LiveNote mode={mode} />
      <Show loaded={overview} what="the overview">
        {(o) => (
          <>
            <section>
              <h2>Money (credits)</h2>
              <div className="stats">
                <Stat
                  id="total-supply"
                  label="Total supply"
                  value={credits(o.total_supply_micros)}
                  hint="minted and not burned (= −issuance)"
                />
                <Stat
                  id="escrow"
                  label="Escrow held"
                  value={credits(o.escrow_micros)}
                  hint="for jobs and holds in flight"
                />
                <Stat
                  id="platform-revenue"
                  label="Platform revenue"
                  value={credits(o.platform_revenue_micros)}
                  hint="the platform account: fees"
                />
              </div>
            </section>
            <section className="columns">
              <div>
                <h2>Balances by account kind</h2>
                <table className="counts" data-testid="liabilities">
                  <tbody>
                    {Object.entries(o.liabilities_by_kind).map(([kind, micros]) => (
                      <tr key={kind}>
                        <th scope="row">{kind}</th>
                        <td className="num" data-name={kind}>
                          {credits(micros)}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                <p className="muted">Every kind together sums to zero: issuance is the negative of the supply.</p>
              </div>
              <div>
                <h2>Jobs by state</h2>
                <CountTable counts={o.jobs_by_status} empty="No jobs yet." testid="jobs-by-state" />
                <h2>Provers</h2>
                <CountTable
                  counts={{ ...o.provers_by_state }}
                  empty="No provers registered."
                  testid="provers-by-state"
                />
              </div>
            </section>
            <section>
              <h2>Activity, last hour</h2>
              <Rates rates={o.rates} />
            </section>
            <section>
              <h2>Last settlement batch</h2>
              <LastBatch batch={o.last_batch} />
            </section>
            <section>
              <h2>Ledger verify</h2>
              <LedgerVerify last={o.last_verify} onChange={overview.reload} />
            </section>
          </>
        )}
      </Show>
    </>
  );
}

function Rates({ rates }: { rates: Overview['rates'] }) {
  const xs = useMemo(() => rates.map((r) => Date.parse(r.minute) / 1000), [rates]);
  // Per second, averaged over each minute: counts, not money.
  const series = useMemo(
    () => [
      { label: 'transfers/s', color: '#2563eb', values: rates.map((r) => r.transfers / 60) },
      { label: 'lifecycles/s', color: '#047857', values: rates.map((r) => r.lifecycles / 60) },
    ],
    [rates],
  );
  const transfers = rates.reduce((n, r) => n + r.transfers, 0);
  const lifecycles = rates.reduce((n, r) => n + r.lifecycles, 0);
  return (
    <>
      <p data-testid="hour-totals">
        {transfers} transfers and {lifecycles} finished jobs in the last hour.
      </p>
      <TimeChart xs={xs} series={series} label="transfers and lifecycles per second, last hour" height={180} />
    </>
  );
}

function LastBatch({ batch }: { batch: Overview['last_batch'] }) {
  if (!batch) return <Empty>No batch has been sealed yet.</Empty>;
  return (
    <>
      <p data-testid="last-batch">
        Batch <a href="#/settlement">#{batch.n}</a>, sealed {when(batch.sealed_at)}: {batch.transfer_count} transfers,
        supply {credits(batch.total_supply)}.
      </p>
      {batch.sinks.length === 0 ? (
        <Empty>No settlement sink is configured: the batch is delivered nowhere.</Empty>
      ) : (
        <div className="scroll">
          <table data-testid="batch-sinks">
            <thead>
              <tr>
                <th>Sink</th>
                <th>Delivery</th>
                <th className="num">Attempts</th>
                <th>Delivered</th>
                <th>Last error</th>
              </tr>
            </thead>
            <tbody>
              {batch.sinks.map((s) => (
                <tr key={s.sink}>
                  <td>{s.sink}</td>
                  <td className={s.state === 'failed' ? 'bad' : s.state === 'delivered' ? 'good' : undefined}>
                    {s.state}
                  </td>
                  <td className="num">{s.attempts}</td>
                  <td>{when(s.delivered_at)}</td>
                  <td className={s.last_error ? 'bad' : 'muted'}>{s.last_error ?? 'none'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

const VERIFY_WORDS: Record<VerifyRun['status'], string> = {
  running: 'running',
  passed: 'passed: the journal, the cached balances and the settlement batches agree',
  failed: 'found problems',
  error: 'could not finish',
};

function LedgerVerify({ last, onChange }: { last: VerifyRun | null; onChange: () => void }) {
  const client = useClient();
  const [error, setError] = useState<string>();
  const [starting, setStarting] = useState(false);
  const start = async () => {
    setStarting(true);
    setError(undefined);
    try {
      await client.api.POST('/v1/admin/ledger/verify', { body: {} });
      onChange();
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setStarting(false);
    }
  };
  const running = last?.status === 'running';
  return (
    <div data-testid="ledger-verify">
      {last ? (
        <p data-status={last.status} className={last.status === 'passed' ? 'good' : running ? undefined : 'bad'}>
          The last run, started {when(last.started_at)} by {last.started_by}, {VERIFY_WORDS[last.status]}
          {running
            ? `: ${last.progress.done} of ${last.progress.total} accounts checked.`
            : `${last.finished_at ? `, ${when(last.finished_at)}` : ''}.`}
          {last.error && ` ${last.error}`}
        </p>
      ) : (
        <Empty>The ledger has never been verified from here.</Empty>
      )}
      {last && last.problem_count > 0 && (
        <>
          <p>
            {last.problem_count} problems
            {last.problem_count > last.problems.length ? `; the first ${last.problems.length}` : ''}:
          </p>
          <ul>
            {last.problems.map((p, i) => (
              <li key={i}>
                <strong>{p.kind}</strong> {p.detail}
              </li>
            ))}
          </ul>
        </>
      )}
      <button onClick={start} disabled={starting || running} data-testid="run-verify">
        {running ? 'Verifying…' : 'Verify the ledger now'}
      </button>
      {running && <VerifyPoller onTick={onChange} />}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/** While a verify runs, its progress is read every second (it publishes no events). */
function VerifyPoller({ onTick }: { onTick: () => void }) {
  useEffect(() => {
    const timer = setInterval(onTick, 1000);
    return () => clearInterval(timer);
  }, [onTick]);
  return null;
}

export function CountTable({
  counts,
  empty,
  testid,
}: {
  counts: Record<string, number>;
  empty: string;
  testid?: string;
}) {
  const rows = Object.entries(counts);
  if (rows.every(([, n]) => !n)) return <Empty>{empty}</Empty>;
  return (
    <table className="counts" data-testid={testid}>
      <tbody>
        {rows.map(([name, n]) => (
          <tr key={name}>
            <th scope="row">{name}</th>
            <td className="num" data-name={name}>
              {n}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
