import { Fragment, useState } from 'react';
import { credits, describeError, when, type Schemas, type TallyClient } from '../api';
import { Empty, Show, Sparkline, useApi, useClient } from '../ui';

type Prover = Schemas['ProverResponseDto'];
type Action = 'drain' | 'resume';

async function allProvers(client: TallyClient): Promise<Prover[]> {
  const all: Prover[] = [];
  for await (const p of client.pages('/v1/admin/provers', { query: { limit: 100 } })) all.push(p);
  return all;
}

const STATE_NAMES: Record<Prover['state'], string> = { active: 'online', draining: 'draining', offline: 'offline' };

export function Provers() {
  const provers = useApi(allProvers);
  return (
    <>
      <h1>Provers</h1>
      <Show loaded={provers} what="provers">
        {(list) =>
          list.length === 0 ? (
            <Empty>No prover has registered yet.</Empty>
          ) : (
            <div className="cards">
              {list.map((p) => (
                <ProverCard key={p.prover_id} prover={p} onChanged={provers.reload} />
              ))}
            </div>
          )
        }
      </Show>
    </>
  );
}

async function act(client: TallyClient, action: Action, proverId: string): Promise<Prover> {
  const params = { params: { path: { prover_id: proverId } }, body: {} };
  const answer =
    action === 'drain'
      ? await client.api.POST('/v1/provers/{prover_id}/drain', params)
      : await client.api.POST('/v1/provers/{prover_id}/resume', params);
  return answer.data!;
}

function ProverCard({ prover, onChanged }: { prover: Prover; onChanged: () => void }) {
  const client = useClient();
  const [confirming, setConfirming] = useState<Action | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [showCapabilities, setShowCapabilities] = useState(false);
  const run = async (action: Action) => {
    setBusy(true);
    setError(undefined);
    try {
      await act(client, action, prover.prover_id);
      setConfirming(null);
      onChanged();
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  };
  const action: Action = prover.state === 'draining' ? 'resume' : 'drain';
  return (
    <article className="card" data-testid="prover" data-prover={prover.prover_id}>
      <h2>{prover.prover_id}</h2>
      <p>
        <span className={`badge ${prover.state}`} data-testid="prover-state">
          {STATE_NAMES[prover.state]}
        </span>{' '}
        {prover.region}
      </p>
      <dl>
        <dt>Score</dt>
        <dd>
          <span data-testid="prover-score">{prover.score_value.toFixed(3)}</span>
          <ScoreHistory proverId={prover.prover_id} />
        </dd>
        <dt>Load</dt>
        <dd>
          {Math.round(prover.load_factor * 100)}% of {prover.max_concurrency} slots
        </dd>
        <dt>Jobs</dt>
        <dd>
          {prover.successful_jobs} succeeded, {prover.failed_jobs} failed
        </dd>
        <dt>Last heartbeat</dt>
        <dd>{when(prover.last_heartbeat)}</dd>
        <Stake proverId={prover.prover_id} shown={prover} />
      </dl>
      <button className="link" onClick={() => setShowCapabilities(!showCapabilities)}>
        {showCapabilities ? 'Hide capabilities' : 'Show capabilities'}
      </button>
      {showCapabilities && <Capabilities proverId={prover.prover_id} />}
      <div className="actions">
        {prover.state !== 'offline' &&
          (confirming ? (
            <div className="confirm" role="group">
              <p>
                {confirming === 'drain'
                  ? `Drain ${prover.prover_id}? It finishes the jobs it has and is given no new ones.`
                  : `Resume ${prover.prover_id}? It is given new jobs again.`}
              </p>
              <button onClick={() => run(confirming)} disabled={busy} data-testid="confirm">
                {busy ? 'Working…' : `Yes, ${confirming}`}
              </button>
              <button className="link" onClick={() => setConfirming(null)} disabled={busy}>
                Cancel
              </button>
            </div>
          ) : (
            <button onClick={() => setConfirming(action)} data-testid={action}>
              {action === 'drain' ? 'Drain…' : 'Resume…'}
            </button>
          ))}
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
      </div>
    </article>
  );
}

function Capabilities({ proverId }: { proverId: string }) {
  const capabilities = useApi(
    async (client) =>
      (await client.api.GET('/v1/provers/{prover_id}/capabilities', { params: { path: { prover_id: proverId } } }))
        .data!,
    [proverId],
  );
  return (
    <Show loaded={capabilities} what="capabilities">
      {(c) =>
        c.supported_features.length === 0 ? (
          <Empty>No declared capabilities.</Empty>
        ) : (
          <ul className="tags">
            {c.supported_features.map((f) => (
              <li key={f}>{f}</li>
            ))}
          </ul>
        )
      }
    </Show>
  );
}

/** The score's recent course, from the prover's scorecard events. */
function ScoreHistory({ proverId }: { proverId: string }) {
  const history = useApi(
    async (client) =>
      (
        await client.api.GET('/v1/provers/{prover_id}/score-history', {
          params: { path: { prover_id: proverId }, query: { limit: 50 } },
        })
      ).data!.items,
    [proverId],
  );
  return (
    <div className="score-history" data-testid="score-history">
      <Show loaded={history} what="the score history">
        {(points) => (
          <Sparkline values={points.map((p) => p.score)} label={`score over the last ${points.length} scorecards`} />
        )}
      </Show>
    </div>
  );
}

const STAKE_FIGURES = [
  ['bonded', 'Bonded'],
  ['unbonding', 'Unbonding'],
  ['slashed', 'Slashed'],
  ['earned', 'Earned'],
] as const;

/** The prover's stake and earnings to date, in credits (GET /v1/provers/{id}); reloaded with its card. */
function Stake({ proverId, shown }: { proverId: string; shown: Prover }) {
  const loaded = useApi(
    async (client) =>
      (await client.api.GET('/v1/provers/{prover_id}', { params: { path: { prover_id: proverId } } })).data!.stake,
    [proverId, shown],
  );
  const stake = loaded.data;
  if (!stake && loaded.error) {
    return (
      <>
        <dt>Stake</dt>
        <dd className="error">Could not load the stake: {loaded.error}</dd>
      </>
    );
  }
  return (
    <>
      {STAKE_FIGURES.map(([name, label]) => (
        <Fragment key={name}>
          <dt>{label}</dt>
          <dd data-testid={`stake-${name}`}>{stake ? credits(stake[`${name}_micros`]) : '…'}</dd>
        </Fragment>
      ))}
    </>
  );
}
