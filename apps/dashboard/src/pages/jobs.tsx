import { useState, type FormEvent } from 'react';
import { verifyReceiptChain, type ChainCheck, type TallyEvent } from '../../../../packages/sdk/src/index';
import { credits, when, type Schemas, type TallyClient } from '../api';
import { LiveNote, useLive } from '../live';
import { Empty, Pager, Show, Stat, useApi, useCursorPages } from '../ui';

type JobStatus = Schemas['JobSummaryResponseDto']['status'];
const STATUSES: JobStatus[] = [
  'PENDING',
  'ASSIGNED',
  'RUNNING',
  'COMPLETED',
  'DISPUTED',
  'AUDITED',
  'FAILED',
  'CANCELLED',
];

interface JobFilter {
  status?: JobStatus;
  client_id?: string;
  prover_id?: string;
  from?: string;
  to?: string;
}

/** A datetime-local value (the person's own zone) as an ISO instant; empty stays unset. */
const instant = (local: string) => (local ? new Date(local).toISOString() : undefined);

export function Jobs() {
  const [filter, setFilter] = useState<JobFilter>({});
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const jobs = useApi(
    async (client) =>
      (await client.api.GET('/v1/admin/jobs', { params: { query: { ...filter, cursor, limit: 25 } } })).data!,
    [filter, cursor],
  );
  const apply = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const text = (name: string) => String(form.get(name) ?? '').trim() || undefined;
    setFilter({
      status: text('status') as JobStatus | undefined,
      client_id: text('client_id'),
      prover_id: text('prover_id'),
      from: instant(String(form.get('from') ?? '')),
      to: instant(String(form.get('to') ?? '')),
    });
    pages.restart();
  };
  return (
    <>
      <h1>Jobs</h1>
      <form className="filters" onSubmit={apply}>
        <label>
          State
          <select name="status" defaultValue="">
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Client
          <input name="client_id" placeholder="client id" />
        </label>
        <label>
          Prover
          <input name="prover_id" placeholder="prover id" />
        </label>
        <label>
          Submitted from
          <input name="from" type="datetime-local" />
        </label>
        <label>
          to
          <input name="to" type="datetime-local" />
        </label>
        <button type="submit">Filter</button>
      </form>
      <Show loaded={jobs} what="jobs">
        {(page) =>
          page.items.length === 0 ? (
            <Empty>No job matches these filters.</Empty>
          ) : (
            <>
              <div className="scroll">
                <table data-testid="jobs">
                  <thead>
                    <tr>
                      <th>Job</th>
                      <th>State</th>
                      <th>Client</th>
                      <th className="num">Replicas</th>
                      <th className="num">Held</th>
                      <th className="num">Cost</th>
                      <th>Submitted</th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.items.map((j) => (
                      <tr key={j.network_job_id}>
                        <td>
                          <a href={`#/jobs/${encodeURIComponent(j.network_job_id)}`}>{j.network_job_id}</a>
                        </td>
                        <td>{j.status}</td>
                        <td>{j.client_id}</td>
                        <td className="num">{j.replicas}</td>
                        <td className="num">{credits(j.held_micros)}</td>
                        <td className="num">{credits(j.final_cost_micros)}</td>
                        <td>{when(j.submitted_at)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <Pager pages={pages} next={page.next_cursor} />
            </>
          )
        }
      </Show>
    </>
  );
}

async function loadJob(client: TallyClient, id: string) {
  const path = { network_job_id: id };
  const [job, timeline, chain, keys] = await Promise.all([
    client.api.GET('/v1/jobs/{network_job_id}', { params: { path } }).then((r) => r.data!),
    client.api.GET('/v1/jobs/{network_job_id}/timeline', { params: { path } }).then((r) => r.data!),
    client.api.GET('/v1/jobs/{network_job_id}/receipts', { params: { path } }).then((r) => r.data!.receipts),
    client.api.GET('/v1/receipts/keys').then((r) => r.data!.keys),
  ]);
  // Checked here, with the SDK's offline verifier: the browser trusts only the published keys.
  const check: ChainCheck | null = chain.length === 0 ? null : verifyReceiptChain(chain, keys);
  return { job, timeline, chain, check };
}

/** Whether an event (its public envelope) is about this job. */
const aboutJob = (id: string) => (event: TallyEvent) => event.data.data?.network_job_id === id;

export function JobPage({ id }: { id: string }) {
  const loaded = useApi((client) => loadJob(client, id), [id]);
  const mode = useLive(loaded.reload, aboutJob(id));
  return (
    <>
      <p>
        <a href="#/jobs">← Jobs</a>
      </p>
      <h1>Job {id}</h1>
      <LiveNote mode={mode} />
      <Show loaded={loaded} what="this job">
        {({ job, timeline, chain, check }) => {
          const success = new Map(job.assignments.map((a) => [a.prover_id, a.success]));
          const money = timeline.money;
          return (
            <>
              <div className="stats">
                <Stat id="job-status" label="State" value={timeline.status} />
                <Stat label="Client" value={job.client_id} />
                <Stat
                  label="Service"
                  value={job.service ? `${job.service} ${job.service_version ?? ''}` : 'none named'}
                />
                <Stat label="Replicas" value={job.replicas} />
              </div>
              <section className="columns">
                <div>
                  <h2>Timeline</h2>
                  <ol className="timeline" data-testid="timeline">
                    {timeline.transitions.map((t, i) => (
                      <li key={i}>
                        <strong>{t.status}</strong> {when(t.at)}
                      </li>
                    ))}
                  </ol>
                </div>
                <div>
                  <h2>Money (credits)</h2>
                  <table className="counts" data-testid="job-money">
                    <tbody>
                      <MoneyRow label="Max cost" micros={job.max_cost_micros} />
                      <MoneyRow label="Held" micros={money.held_micros} name="held" />
                      <MoneyRow label="Captured" micros={money.captured_micros} name="captured" />
                      <MoneyRow label="Platform fee" micros={money.fee_micros} name="fee" />
                      {money.rewards.map((r) => (
                        <MoneyRow key={r.prover_id} label={`Reward to ${r.prover_id}`} micros={r.amount_micros} />
                      ))}
                      <MoneyRow label="Refunded" micros={money.refunded_micros} name="refunded" />
                    </tbody>
                  </table>
                </div>
              </section>
              <h2>Assignments</h2>
              {timeline.assignments.length === 0 ? (
                <Empty>Not assigned to any prover yet.</Empty>
              ) : (
                <div className="scroll">
                  <table data-testid="assignments">
                    <thead>
                      <tr>
                        <th>Prover</th>
                        <th className="num">Replica</th>
                        <th>State</th>
                        <th>Result</th>
                        <th>Assigned</th>
                        <th>Started</th>
                        <th>Reported</th>
                        <th>Result hash</th>
                      </tr>
                    </thead>
                    <tbody>
                      {timeline.assignments.map((a) => {
                        const ok = success.get(a.prover_id);
                        return (
                          <tr key={`${a.prover_id}-${a.replica}`}>
                            <td>{a.prover_id}</td>
                            <td className="num">{a.replica}</td>
                            <td>{a.status}</td>
                            <td>{ok === null || ok === undefined ? '—' : ok ? 'success' : 'failure'}</td>
                            <td>{when(a.assigned_at)}</td>
                            <td>{when(a.started_at)}</td>
                            <td>{when(a.reported_at)}</td>
                            <td className="hash">{a.result_hash ? `${a.result_hash.slice(0, 16)}…` : '—'}</td>
                          </tr>
                        );
                      })}
                    </tbody>
                  </table>
                </div>
              )}
              <h2>Receipts</h2>
              {check === null ? (
                <Empty>No receipt has been issued for this job yet.</Empty>
              ) : (
                <>
                  <p className={check.valid ? 'good' : 'bad'} data-testid="receipts-verdict">
                    {check.valid
                      ? `Verified in this browser: ${check.length} receipts, each signed by a published key, chained in order.`
                      : `Not verified: receipt ${check.index + 1} fails (${check.reason}).`}
                  </p>
                  <ol className="receipts">
                    {chain.map((r) => (
                      <li key={r.receipt_hash}>
                        <strong>{String(r.receipt?.kind ?? 'receipt')}</strong>{' '}
                        {when(String(r.receipt?.issued_at ?? ''))}{' '}
                        <span className="hash">{r.receipt_hash.slice(0, 16)}…</span>
                      </li>
                    ))}
                  </ol>
                </>
              )}
            </>
          );
        }}
      </Show>
    </>
  );
}

function MoneyRow({ label, micros, name }: { label: string; micros: string; name?: string }) {
  return (
    <tr>
      <th scope="row">{label}</th>
      <td className="num" data-name={name}>
        {credits(micros)}
      </td>
    </tr>
  );
}
