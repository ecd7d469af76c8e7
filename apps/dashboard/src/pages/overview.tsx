import { credits, when, type Schemas, type TallyClient } from '../api';
import { LiveNote, useLive } from '../live';
import { Empty, Show, Stat, useApi } from '../ui';
import { SinkTable } from './settlement';

type Prover = Schemas['ProverResponseDto'];

async function loadOverview(client: TallyClient) {
  const [stats, settlement, provers] = await Promise.all([
    client.api.GET('/v1/admin/stats').then((r) => r.data!),
    client.api.GET('/v1/settlement/status').then((r) => r.data!),
    allProvers(client),
  ]);
  const byState: Record<string, number> = { active: 0, draining: 0, offline: 0 };
  for (const p of provers) byState[p.state] = (byState[p.state] ?? 0) + 1;
  return { stats, settlement, proversByState: byState };
}

export async function allProvers(client: TallyClient): Promise<Prover[]> {
  const all: Prover[] = [];
  for await (const p of client.pages('/v1/admin/provers', { query: { limit: 100 } })) all.push(p);
  return all;
}

export function Overview() {
  const overview = useApi(loadOverview);
  const mode = useLive(overview.reload);
  return (
    <>
      <h1>Overview</h1>
      <LiveNote mode={mode} />
      <Show loaded={overview} what="the overview">
        {({ stats, settlement, proversByState }) => (
          <>
            <section>
              <h2>Money</h2>
              <div className="stats">
                <Stat
                  id="total-supply"
                  label="Total supply"
                  value={credits(stats.total_supply_micros)}
                  hint="credits minted and not burned (= −issuance)"
                />
                <Stat
                  id="escrow"
                  label="Escrow held"
                  value={credits(stats.escrow_micros)}
                  hint="held for running jobs"
                />
                <Stat
                  id="platform-revenue"
                  label="Platform revenue"
                  value={credits(stats.platform_balance_micros)}
                  hint="the platform account: fees"
                />
              </div>
            </section>
            <section className="columns">
              <div>
                <h2>Jobs by state</h2>
                <CountTable counts={stats.jobs_by_status} empty="No jobs yet." testid="jobs-by-state" />
              </div>
              <div>
                <h2>Provers</h2>
                <CountTable
                  counts={{
                    online: proversByState.active,
                    draining: proversByState.draining,
                    offline: proversByState.offline,
                  }}
                  empty="No provers registered."
                  testid="provers-by-state"
                />
              </div>
            </section>
            <section>
              <h2>Last settlement batch</h2>
              {settlement.last_batch ? (
                <>
                  <p data-testid="last-batch">
                    Batch <a href="#/settlement">#{String(settlement.last_batch.batch_no)}</a>
                    {settlement.last_batch.created_at
                      ? `, sealed ${when(String(settlement.last_batch.created_at))}`
                      : ''}
                    {settlement.last_batch.transfer_count !== undefined
                      ? `, ${String(settlement.last_batch.transfer_count)} transfers`
                      : ''}
                    .
                  </p>
                  <SinkTable sinks={settlement.sinks} />
                </>
              ) : (
                <Empty>No batch has been sealed yet.</Empty>
              )}
            </section>
          </>
        )}
      </Show>
    </>
  );
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
