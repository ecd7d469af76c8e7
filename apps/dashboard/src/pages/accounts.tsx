import { useMemo, useState, type FormEvent } from 'react';
import { creditsText, when, type Schemas, type TallyClient } from '../api';
import { Empty, Pager, Show, Stat, TimeChart, useApi, useCursorPages } from '../ui';

type AccountType = Schemas['AccountDetailResponseDto']['account_type'];
const ACCOUNT_TYPES: AccountType[] = ['user', 'provider', 'platform', 'escrow', 'issuance'];

const accountHref = (type: string, id: string) => `#/accounts/${encodeURIComponent(type)}/${encodeURIComponent(id)}`;

export function Accounts() {
  const [search, setSearch] = useState<{ account_type?: AccountType; id_prefix?: string }>({});
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const accounts = useApi(
    async (client) =>
      (await client.api.GET('/v1/admin/accounts', { params: { query: { ...search, cursor, limit: 25 } } })).data!,
    [search, cursor],
  );
  const apply = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const type = String(form.get('account_type') ?? '');
    const prefix = String(form.get('id_prefix') ?? '').trim();
    setSearch({ account_type: (type || undefined) as AccountType | undefined, id_prefix: prefix || undefined });
    pages.restart();
  };
  return (
    <>
      <h1>Accounts</h1>
      <form className="filters" onSubmit={apply}>
        <label>
          Type
          <select name="account_type" defaultValue="">
            <option value="">any</option>
            {ACCOUNT_TYPES.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <label className="grow">
          Id starts with
          <input name="id_prefix" placeholder="alice" />
        </label>
        <button type="submit">Search</button>
      </form>
      <Show loaded={accounts} what="accounts">
        {(page) =>
          page.items.length === 0 ? (
            <Empty>No account matches.</Empty>
          ) : (
            <>
              <div className="scroll">
                <table data-testid="accounts">
                  <thead>
                    <tr>
                      <th>Account</th>
                      <th className="num">Posted</th>
                      <th className="num">Pending</th>
                      <th className="num">Available</th>
                      <th>Opened</th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.items.map((a) => (
                      <tr key={`${a.account_type}/${a.account_id}`}>
                        <td>
                          <a href={accountHref(a.account_type, a.account_id)}>
                            {a.account_type}/{a.account_id}
                          </a>
                        </td>
                        <td className="num">{creditsText(a.balance.posted)}</td>
                        <td className="num">{creditsText(a.balance.pending)}</td>
                        <td className="num">{creditsText(a.balance.available)}</td>
                        <td>{when(a.created_at)}</td>
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

/** How many as-of points the balance chart asks for, evenly spaced from the account's creation to now. */
const CHART_POINTS = 16;

async function loadAccount(client: TallyClient, type: AccountType, id: string) {
  const path = { account_type: type, account_id: id };
  const [account, alerts] = await Promise.all([
    client.api.GET('/v1/credits/accounts/{account_type}/{account_id}', { params: { path } }).then((r) => r.data!),
    client.api
      .GET('/v1/credits/accounts/{account_type}/{account_id}/alerts', { params: { path } })
      .then((r) => r.data!.items),
  ]);
  const start = Date.parse(account.created_at);
  const end = Date.now();
  const instants = Array.from({ length: CHART_POINTS }, (_, i) =>
    new Date(start + ((end - start) * i) / (CHART_POINTS - 1)).toISOString(),
  );
  const history = await Promise.all(
    instants.map(async (as_of) => {
      const r = await client.api.GET('/v1/credits/accounts/{account_type}/{account_id}', {
        params: { path, query: { as_of } },
      });
      return { at: as_of, posted: r.data!.balance.posted };
    }),
  );
  return { account, alerts, history };
}

export function AccountPage({ type, id }: { type: string; id: string }) {
  const accountType = type as AccountType;
  const loaded = useApi((client) => loadAccount(client, accountType, id), [type, id]);
  return (
    <>
      <p>
        <a href="#/accounts">← Accounts</a>
      </p>
      <h1>
        {type}/{id}
      </h1>
      <Show loaded={loaded} what="this account">
        {({ account, alerts, history }) => (
          <>
            <div className="stats">
              <Stat id="posted" label="Posted" value={creditsText(account.balance.posted)} />
              <Stat
                id="pending"
                label="Pending"
                value={creditsText(account.balance.pending)}
                hint="held, not yet captured"
              />
              <Stat id="available" label="Available" value={creditsText(account.balance.available)} />
            </div>
            <p className="muted">Opened {when(account.created_at)}.</p>
            <h2>Posted balance over time</h2>
            <BalanceChart history={history} />
            <h2>Transactions</h2>
            <Transactions type={accountType} id={id} />
            <h2>Holds</h2>
            <Holds type={accountType} id={id} />
            <h2>Alerts</h2>
            {alerts.length === 0 ? (
              <Empty>No balance alert is set on this account.</Empty>
            ) : (
              <ul data-testid="alerts">
                {alerts.map((a) => (
                  <li key={a.alert_id}>
                    When {a.direction} {creditsText(a.threshold)}:{' '}
                    {a.armed ? 'armed' : 'past its threshold, re-armed when the balance crosses back'}, fired{' '}
                    {a.fired_count} times{a.last_fired_at ? `, last ${when(a.last_fired_at)}` : ''}.
                  </li>
                ))}
              </ul>
            )}
          </>
        )}
      </Show>
    </>
  );
}

function BalanceChart({ history }: { history: { at: string; posted: string }[] }) {
  // A chart needs numbers: these are for drawing only; the exact figures are the strings above.
  const xs = useMemo(() => history.map((h) => Date.parse(h.at) / 1000), [history]);
  const series = useMemo(
    () => [{ label: 'posted', color: '#2563eb', values: history.map((h) => parseFloat(h.posted)) }],
    [history],
  );
  return <TimeChart xs={xs} series={series} label="posted balance over time" height={200} />;
}

function Transactions({ type, id }: { type: AccountType; id: string }) {
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const page = useApi(
    async (client) =>
      (
        await client.api.GET('/v1/credits/transactions', {
          params: { query: { account_type: type, account_id: id, cursor, limit: 20 } },
        })
      ).data!,
    [type, id, cursor],
  );
  return (
    <Show loaded={page} what="transactions">
      {(p) =>
        p.items.length === 0 ? (
          <Empty>No transaction has touched this account.</Empty>
        ) : (
          <>
            <div className="scroll">
              <table data-testid="transactions">
                <thead>
                  <tr>
                    <th>When</th>
                    <th>Kind</th>
                    <th className="num">Amount</th>
                    <th>This account</th>
                    <th>Job</th>
                  </tr>
                </thead>
                <tbody>
                  {p.items.map((t) => {
                    const mine = t.entries.filter((e) => e.account_type === type && e.account_id === id);
                    return (
                      <tr key={t.transfer_id}>
                        <td>{when(t.created_at)}</td>
                        <td>{t.kind}</td>
                        <td className="num">{creditsText(t.amount)}</td>
                        <td>
                          {mine
                            .map((e) => `${e.side} ${creditsText(e.amount)}${e.phase ? ` (${e.phase})` : ''}`)
                            .join(', ') || '—'}
                        </td>
                        <td>{t.job_id ? <a href={`#/jobs/${encodeURIComponent(t.job_id)}`}>{t.job_id}</a> : '—'}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
            <Pager pages={pages} next={p.next_cursor} newestFirst />
          </>
        )
      }
    </Show>
  );
}

type HoldStatus = Schemas['HoldResponseDto']['status'];
const HOLD_STATUSES: HoldStatus[] = ['pending', 'captured', 'voided', 'expired'];

function Holds({ type, id }: { type: AccountType; id: string }) {
  const [status, setStatus] = useState<HoldStatus | ''>('');
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const page = useApi(
    async (client) =>
      (
        await client.api.GET('/v1/credits/accounts/{account_type}/{account_id}/holds', {
          params: {
            path: { account_type: type, account_id: id },
            query: { status: status || undefined, cursor, limit: 20 },
          },
        })
      ).data!,
    [type, id, status, cursor],
  );
  return (
    <>
      <label className="inline-label">
        Status{' '}
        <select
          name="hold_status"
          value={status}
          onChange={(e) => {
            setStatus(e.target.value as HoldStatus | '');
            pages.restart();
          }}
        >
          <option value="">any</option>
          {HOLD_STATUSES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
      </label>
      <Show loaded={page} what="holds">
        {(p) =>
          p.items.length === 0 ? (
            <Empty>{status ? `No ${status} hold on this account.` : 'No hold has been placed on this account.'}</Empty>
          ) : (
            <>
              <div className="scroll">
                <table data-testid="holds">
                  <thead>
                    <tr>
                      <th>Placed</th>
                      <th>Status</th>
                      <th className="num">Amount</th>
                      <th className="num">Captured</th>
                      <th>To</th>
                      <th>Job</th>
                      <th>Resolved</th>
                    </tr>
                  </thead>
                  <tbody>
                    {p.items.map((h) => (
                      <tr key={h.id}>
                        <td>{when(h.created_at)}</td>
                        <td>{h.status}</td>
                        <td className="num">{creditsText(h.amount)}</td>
                        <td className="num">{creditsText(h.captured)}</td>
                        <td>
                          {h.credit_kind}/{h.credit_owner}
                        </td>
                        <td>{h.job_id ? <a href={`#/jobs/${encodeURIComponent(h.job_id)}`}>{h.job_id}</a> : '—'}</td>
                        <td>
                          {h.resolved_at ? when(h.resolved_at) : h.expires_at ? `expires ${when(h.expires_at)}` : '—'}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <Pager pages={pages} next={p.next_cursor} newestFirst />
            </>
          )
        }
      </Show>
    </>
  );
}
