import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { fromMicros } from '../../packages/sdk/src/money';
import { launchChromium, screenshot } from '../support/browser';
import { ReceiptsCtx } from '../support/receipts-ctx';
import { listening } from '../support/sse-client';
import { startTestApp, type TestApp } from '../support/test-app';

/** What the page shows for an amount: commas grouping thousands, dropped to compare. */
const plain = (text: string | null) => (text ?? '').replace(/,/g, '').trim();
/** The whole text, not a part of it. */
const exactly = (text: string) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

describe('the admin dashboard, in Chromium', () => {
  let t: TestApp;
  let ctx: ReceiptsCtx;
  let browser: Browser;
  let page: Page;
  let base: string;
  let client: { name: string; key: Record<string, string> };
  let provers: { name: string; key: Record<string, string> }[];
  let jobId: string;
  let batchNo: number;
  let transferId: string;
  let sinkDir: string;
  let runningJobId: string;
  const refused: string[] = [];

  const api = (path: string) => t.http().get(path).set(ctx.admin()).expect(200);

  beforeAll(async () => {
    sinkDir = mkdtempSync(join(tmpdir(), 'tally-dashboard-'));
    // Jobs are assigned by hand and batches sealed by hand: the seeded figures hold still.
    t = await startTestApp({
      SCHEDULER_ENABLED: 'false',
      // Sealed on request only, delivered to a directory: the batch has a sink to show.
      SETTLEMENT_ENABLED: 'true',
      SETTLEMENT_SEAL_CRON: '0 0 0 1 1 *',
      SETTLEMENT_FILE_DIR: sinkDir,
      PLATFORM_FEE_BPS: '1000',
      // The seeded provers send no heartbeats: they stay online for the whole file.
      PROVER_LIVENESS_TTL_MS: '600000',
    });
    ctx = new ReceiptsCtx(t);
    base = `http://127.0.0.1:${await listening(t)}`;
    client = await ctx.fundedClient('250');
    await t
      .http()
      .post(`/v1/credits/accounts/user/${client.name}/alerts`)
      .set(ctx.admin())
      .send({ below: '1000' })
      .expect(201);
    provers = [await ctx.registeredProver(), await ctx.registeredProver()];
    // Three jobs to completion (two on the first prover, so its score has a history) and one left running.
    for (const [n, prover] of [provers[0], provers[1], provers[0]].entries()) {
      const id = await ctx.running(client.key, [prover], { max_cost_micros: 2_000_000, client_job_id: `dash-${n}` });
      await ctx.report(id, prover.key, { success: true, final_cost_micros: 1_500_000 }).expect(201);
      await ctx.settledChain(id, 'AUDITED');
      jobId ??= id;
    }
    runningJobId = await ctx.running(client.key, [provers[0]], {
      max_cost_micros: 1_000_000,
      client_job_id: 'dash-running',
    });
    const sealed = await t.http().post('/v1/settlement/batches').set(ctx.admin()).expect(201);
    batchNo = sealed.body.batch.batch_no;
    const [row]: { id: string }[] = await t.dataSource.query(
      `SELECT transfer_id::text AS id FROM settlement_batch_transfers WHERE batch_no = $1 LIMIT 1`,
      [batchNo],
    );
    transferId = row.id;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // Chromium logs each thing the page's Content-Security-Policy refused.
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) refused.push(message.text());
    });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    rmSync(sinkDir, { recursive: true, force: true });
  });

  async function signIn(target: Page, key: string) {
    await target.goto(`${base}/dashboard`);
    await target.fill('#admin-key', key);
    await target.click('button[type=submit]');
  }

  it('refuses a wrong key with a message, and a client key as not an admin', async () => {
    const other = await browser.newPage();
    await signIn(other, 'tly_not_a_real_key');
    await expectText(other, '[data-testid=signin-error]', /refused/);
    await screenshot(other, 'sign-in-refused');
    await signIn(other, client.key.Authorization.replace('Bearer ', ''));
    await expectText(other, '[data-testid=signin-error]', /client key: the dashboard needs an admin key/);
    await other.close();
  });

  it('signs in; the overview shows the money, jobs, provers and last batch as the API does', async () => {
    await signIn(page, t.adminKey);
    const overview = (await api('/v1/admin/overview')).body;
    const stats = (await api('/v1/admin/stats')).body;
    expect(overview.total_supply_micros).toBe(stats.total_supply_micros);
    await expectText(
      page,
      '[data-testid=total-supply]',
      exactly(fromMicros(BigInt(overview.total_supply_micros))),
      plain,
    );
    expect(plain(await page.textContent('[data-testid=escrow]'))).toBe(fromMicros(BigInt(overview.escrow_micros)));
    expect(plain(await page.textContent('[data-testid=platform-revenue]'))).toBe(
      fromMicros(BigInt(overview.platform_revenue_micros)),
    );
    for (const [kind, micros] of Object.entries(overview.liabilities_by_kind as Record<string, string>)) {
      expect(plain(await page.textContent(`[data-testid=liabilities] [data-name=${kind}]`))).toBe(
        fromMicros(BigInt(micros)),
      );
    }
    expect(await page.textContent('[data-testid=jobs-by-state] [data-name=AUDITED]')).toBe('3');
    expect(await page.textContent('[data-testid=jobs-by-state] [data-name=RUNNING]')).toBe('1');
    expect(await page.textContent('[data-testid=provers-by-state] [data-name=online]')).toBe('2');
    await expectText(page, '[data-testid=last-batch]', new RegExp(`#${batchNo}\\b`));
    await expectText(page, '[data-testid=hour-totals]', /^\d+ transfers and 3 finished jobs in the last hour/);
    await page.waitForSelector('[data-testid=batch-sinks]');
    // The key lives in this tab's session storage, nowhere else.
    expect(await page.evaluate('[sessionStorage.length, localStorage.length, document.cookie]')).toEqual([1, 0, '']);
    await screenshot(page, 'overview');
  });

  it('the overview updates itself from the event stream when money moves', async () => {
    expect(await page.getAttribute('[data-testid=live-mode]', 'data-mode')).toBe('live');
    await ctx.mint('user', ctx.name('live'), '5');
    const supply = (await api('/v1/admin/overview')).body.total_supply_micros;
    await expectText(page, '[data-testid=total-supply]', exactly(fromMicros(BigInt(supply))), plain);
  });

  it('runs a ledger verify from the overview and shows it passed, as the API does', async () => {
    await page.click('[data-testid=run-verify]');
    await expectText(page, '[data-testid=ledger-verify] [data-status]', /passed/);
    expect((await api('/v1/admin/ledger/verify')).body).toMatchObject({ status: 'passed', problem_count: 0 });
  });

  it('finds an account by id prefix; its page shows posted, pending and available as the API does, a chart and transactions', async () => {
    await page.goto(`${base}/dashboard#/accounts`);
    await page.selectOption('select[name=account_type]', 'user');
    await page.fill('input[name=id_prefix]', client.name.slice(0, -2));
    await page.click('button[type=submit]');
    await expectText(page, '[data-testid=accounts]', `user/${client.name}`);
    await screenshot(page, 'accounts');
    await page.click(`[data-testid=accounts] a[href="#/accounts/user/${client.name}"]`);
    const balance = (await api(`/v1/credits/accounts/user/${client.name}`)).body.balance;
    await expectText(page, '[data-testid=posted]', exactly(balance.posted), plain);
    expect(plain(await page.textContent('[data-testid=pending]'))).toBe(balance.pending);
    expect(plain(await page.textContent('[data-testid=available]'))).toBe(balance.available);
    await page.waitForSelector('.chart canvas');
    await expectText(page, '[data-testid=alerts]', /When below 1,000/);
    // Its holds: one per job (three captured, the running one's still pending when this runs).
    const holds = (await api(`/v1/credits/accounts/user/${client.name}/holds`)).body.items;
    await expectRows(page, '[data-testid=holds] tbody tr', holds.length);
    await page.selectOption('select[name=hold_status]', 'captured');
    await expectRows(
      page,
      '[data-testid=holds] tbody tr',
      holds.filter((h: { status: string }) => h.status === 'captured').length,
    );
    // mint, then per job a hold and its capture or release.
    expect(await page.locator('[data-testid=transactions] tbody tr').count()).toBeGreaterThanOrEqual(4);
    await screenshot(page, 'account');
  });

  it('pages through a search one page at a time, forward and back', async () => {
    // 26 accounts under one prefix: a page of 25, then a page of one.
    const prefix = `pg${randomUUID().slice(0, 8)}`;
    for (let n = 0; n < 26; n++) {
      await t
        .http()
        .post('/v1/credits/accounts')
        .set(ctx.admin())
        .set('Idempotency-Key', randomUUID())
        .send({ account_type: 'user', account_id: `${prefix}-${String(n).padStart(2, '0')}` })
        .expect(201);
    }
    await page.goto(`${base}/dashboard#/accounts`);
    await page.selectOption('select[name=account_type]', 'user');
    await page.fill('input[name=id_prefix]', prefix);
    await page.click('button[type=submit]');
    await expectRows(page, '[data-testid=accounts] tbody tr', 25);
    expect(await page.locator('.pager button', { hasText: 'Previous' }).count()).toBe(0);
    await page.click('.pager button:has-text("Next")');
    await expectRows(page, '[data-testid=accounts] tbody tr', 1);
    await expectText(page, '[data-testid=accounts]', `user/${prefix}-25`);
    expect(await page.locator('.pager button', { hasText: 'Next' }).count()).toBe(0);
    await page.click('.pager button:has-text("Previous")');
    await expectRows(page, '[data-testid=accounts] tbody tr', 25);
    await expectText(page, '[data-testid=accounts]', `user/${prefix}-00`);
  });

  it('lists jobs by state, and a job page verifies its receipt chain in the browser', async () => {
    await page.goto(`${base}/dashboard#/jobs`);
    await page.selectOption('select[name=status]', 'AUDITED');
    await page.click('button[type=submit]');
    await page.waitForSelector(`[data-testid=jobs] a[href="#/jobs/${jobId}"]`);
    await expectRows(page, '[data-testid=jobs] tbody tr', 3);
    await screenshot(page, 'jobs');
    // By prover too: the second prover ran one of them.
    await page.fill('input[name=prover_id]', provers[1].name);
    await page.click('button[type=submit]');
    await expectRows(page, '[data-testid=jobs] tbody tr', 1);
    await page.fill('input[name=prover_id]', '');
    await page.click('button[type=submit]');
    await page.waitForSelector(`[data-testid=jobs] a[href="#/jobs/${jobId}"]`);

    await page.click(`[data-testid=jobs] a[href="#/jobs/${jobId}"]`);
    await expectText(page, '[data-testid=receipts-verdict]', /^Verified in this browser: 3 receipts/);
    await expectText(page, '[data-testid=job-status]', 'AUDITED');
    const timeline = (await api(`/v1/jobs/${jobId}/timeline`)).body;
    for (const name of ['held', 'captured', 'fee', 'refunded']) {
      expect(plain(await page.textContent(`[data-testid=job-money] [data-name=${name}]`))).toBe(
        fromMicros(BigInt(timeline.money[`${name}_micros`])),
      );
    }
    expect(await page.locator('[data-testid=timeline] li').count()).toBe(timeline.transitions.length);
    await expectText(page, '[data-testid=assignments]', provers[0].name);
    await screenshot(page, 'job');

    // The verdict is the browser's own: a receipt altered on the way fails it.
    await page.route('**/v1/jobs/*/receipts', async (route) => {
      const body = await (await route.fetch()).json();
      body.receipts[1].receipt.issued_at = '2000-01-01T00:00:00.000Z';
      await route.fulfill({ json: body });
    });
    await page.reload();
    await expectText(page, '[data-testid=receipts-verdict]', /^Not verified: receipt 2 fails \(hash_mismatch\)/);
    await page.unroute('**/v1/jobs/*/receipts');

    // A running job's page follows it to the end by itself (the event stream).
    await page.goto(`${base}/dashboard#/jobs/${runningJobId}`);
    await expectText(page, '[data-testid=job-status]', 'RUNNING');
    await ctx.report(runningJobId, provers[0].key, { success: true, final_cost_micros: 600_000 }).expect(201);
    await expectText(page, '[data-testid=job-status]', 'AUDITED');
    await expectText(page, '[data-testid=receipts-verdict]', /^Verified in this browser: 3 receipts/);
  });

  it('drains and resumes a prover after a confirmation; the API sees each state', async () => {
    await page.goto(`${base}/dashboard#/provers`);
    const card = page.locator(`[data-prover="${provers[1].name}"]`);
    await expectText(page, `[data-prover="${provers[1].name}"] [data-testid=prover-state]`, 'online');
    const score = (await api(`/v1/provers/${provers[1].name}`)).body.score_value;
    expect(await card.locator('[data-testid=prover-score]').textContent()).toBe(score.toFixed(3));
    // The first prover was scored twice: its history is a line.
    await page.waitForSelector(`[data-prover="${provers[0].name}"] [data-testid=score-history] canvas`);
    const features = (await api(`/v1/provers/${provers[1].name}/capabilities`)).body.supported_features;
    await card.getByText('Show capabilities').click();
    await expectRows(page, `[data-prover="${provers[1].name}"] .tags li`, features.length);
    await screenshot(page, 'provers');

    await card.locator('[data-testid=drain]').click();
    await card.locator('[data-testid=confirm]').click();
    await expectText(page, `[data-prover="${provers[1].name}"] [data-testid=prover-state]`, 'draining');
    expect((await api(`/v1/provers/${provers[1].name}`)).body.state).toBe('draining');

    await card.locator('[data-testid=resume]').click();
    await card.locator('[data-testid=confirm]').click();
    await expectText(page, `[data-prover="${provers[1].name}"] [data-testid=prover-state]`, 'online');
    expect((await api(`/v1/provers/${provers[1].name}`)).body.state).toBe('active');
  });

  it("shows each prover's stake, bonded, unbonding, slashed and earned, in credits exactly as the API has it", async () => {
    const move = (prover: { name: string; key: Record<string, string> }, what: 'stake' | 'unstake', amount: string) =>
      t
        .http()
        .post(`/v1/provers/${prover.name}/${what}`)
        .set(prover.key)
        .set('Idempotency-Key', randomUUID())
        .send({ amount })
        .expect(201);
    // The first prover bonds part of what it earned, then starts to unbond part of that.
    await move(provers[0], 'stake', '1.5');
    await move(provers[0], 'unstake', '0.250001');
    // A third prover bonds 10 and dissents from the other two on a job of a service that slashes
    // a dissenter 10% of its bond: 1 credit slashed, 9 left bonded.
    const service = `dash-slash-${randomUUID().slice(0, 8)}`;
    await t
      .http()
      .put(`/v1/registry/services/${service}`)
      .set(ctx.admin())
      .send({
        price_per_unit: '1',
        unit: 'gpu_second',
        size_factor: '1',
        minimum_charge: '0',
        hardware_requirements: {},
        slash_dissent_bps: 1000,
      })
      .expect(201);
    const dissenter = await ctx.registeredProver();
    await ctx.mint('provider', dissenter.name, '10');
    await move(dissenter, 'stake', '10');
    const id = await ctx.running(client.key, [provers[0], provers[1], dissenter], {
      service,
      units: '1',
      replicas: 3,
      max_cost_micros: 3_000_000,
      client_job_id: 'dash-dissent',
    });
    await ctx
      .report(id, dissenter.key, { success: true, final_cost_micros: 1_500_000, result_hash: 'other' })
      .expect(201);
    await ctx.report(id, provers[0].key, { success: true, final_cost_micros: 1_000_000, result_hash: 'h' }).expect(201);
    const decided = await ctx
      .report(id, provers[1].key, { success: true, final_cost_micros: 1_000_000, result_hash: 'h' })
      .expect(201);
    expect(decided.body).toMatchObject({ outcome: 'COMPLETED' });

    // The page is on the provers already: a reload fetches the new figures.
    await page.goto(`${base}/dashboard#/provers`);
    await page.reload();
    for (const prover of [...provers, dissenter]) {
      const stake = (await api(`/v1/provers/${prover.name}`)).body.stake;
      for (const name of ['bonded', 'unbonding', 'slashed', 'earned']) {
        await expectText(
          page,
          `[data-prover="${prover.name}"] [data-testid=stake-${name}]`,
          exactly(fromMicros(BigInt(stake[`${name}_micros`]))),
          plain,
        );
      }
    }
    const first = (await api(`/v1/provers/${provers[0].name}`)).body.stake;
    expect(first).toMatchObject({ bonded_micros: '1249999', unbonding_micros: '250001', slashed_micros: '0' });
    expect(BigInt(first.earned_micros)).toBeGreaterThan(0n);
    expect((await api(`/v1/provers/${dissenter.name}`)).body.stake).toMatchObject({
      bonded_micros: '9000000',
      unbonding_micros: '0',
      slashed_micros: '1000000',
      earned_micros: '0',
    });
    // As a person reads them.
    const card = `[data-prover="${dissenter.name}"]`;
    expect(await page.textContent(`${card} [data-testid=stake-bonded]`)).toBe('9');
    expect(await page.textContent(`${card} [data-testid=stake-slashed]`)).toBe('1');
    await screenshot(page, 'provers-stake');
  });

  it('shows the sealed batch and its sinks, and verifies account and transfer proofs in the browser', async () => {
    await page.goto(`${base}/dashboard#/settlement`);
    const batch = (await api(`/v1/settlement/batches/${batchNo}`)).body;
    await expectText(page, '[data-testid=batches]', `#${batchNo}`);
    expect(plain(await page.textContent('[data-testid=batches] tbody tr:first-child td:nth-child(5)'))).toBe(
      fromMicros(BigInt(batch.total_supply)),
    );

    await page.fill('input[name=batch]', String(batchNo));
    await page.fill('input[name=target]', `user/${client.name}`);
    await page.click('form.inline button[type=submit]');
    await expectText(page, '[data-testid=proof-verdict]', /^Verified in this browser/);
    await screenshot(page, 'settlement');

    await page.fill('input[name=target]', transferId);
    await page.click('form.inline button[type=submit]');
    await expectText(page, '[data-testid=proof-result]', `Transfer ${transferId}`);
    expect(await page.textContent('[data-testid=proof-verdict]')).toMatch(/^Verified in this browser/);
  });

  it('lists a pending payout with its exact amount, and takes it off the list once confirmed', async () => {
    const requested = await t
      .http()
      .post(`/v1/provers/${provers[1].name}/payouts`)
      .set(ctx.admin())
      .set('Idempotency-Key', randomUUID())
      .send({ amount: '1.234567' })
      .expect(201);
    const payoutId: string = requested.body.payout_id;
    const owed = (await api('/v1/admin/payouts?status=pending')).body.items;
    expect(owed.map((p: { payout_id: string }) => p.payout_id)).toContain(payoutId);

    // The page is on the settlement already: a reload fetches the list anew.
    await page.goto(`${base}/dashboard#/settlement`);
    await page.reload();
    const row = `[data-testid=payouts-owed] tr[data-payout="${payoutId}"]`;
    await expectText(page, `${row} [data-testid=payout-amount]`, exactly('1.234567'));
    await expectText(page, row, provers[1].name);
    await screenshot(page, 'payouts-owed');

    await page.click(`${row} [data-testid=confirm-payout-start]`);
    await page.fill(`${row} input[name=external_ref]`, 'wire-dash-1');
    await page.click(`${row} [data-testid=confirm-payout]`);
    await expectRows(page, row, 0);
    expect((await api('/v1/admin/payouts?status=pending')).body.items).toEqual([]);
    const [confirmed] = (await api(`/v1/provers/${provers[1].name}/payouts?status=confirmed`)).body.items;
    expect(confirmed).toMatchObject({ payout_id: payoutId, status: 'confirmed', external_ref: 'wire-dash-1' });
    await expectText(page, 'body', /No payout is pending\./);
  });

  it('renders the overview at 390 px wide without scrolling sideways', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
    await signIn(phone, t.adminKey);
    await phone.waitForSelector('[data-testid=total-supply]');
    const widths = await phone.evaluate<number[]>(
      '[document.documentElement.scrollWidth, document.documentElement.clientWidth]',
    );
    expect(widths[0]).toBeLessThanOrEqual(widths[1]);
    await screenshot(phone, 'overview-390px');
    await phone.close();
  });

  it('is served with a strict security policy that refused nothing the pages did', async () => {
    const response = await page.goto(`${base}/dashboard`);
    expect(response?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(response?.headers()['x-frame-options']).toBe('DENY');
    // Every test above ran on this page (sign-in, charts, live updates, in-browser verification).
    expect(refused).toEqual([]);
  });
});

/** Waits until `selector` matches `count` elements: a filter's answer replaces the table after a moment. */
async function expectRows(page: Page, selector: string, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  let seen = -1;
  while (Date.now() < deadline) {
    seen = await page.locator(selector).count();
    if (seen === count) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`${selector}: expected ${count} rows, saw ${seen}`);
}

/** Waits until the element's text (as `normalise` reads it) matches: pages load their figures after they render. */
async function expectText(
  page: Page,
  selector: string,
  expected: string | RegExp,
  normalise: (text: string | null) => string = (text) => (text ?? '').trim(),
): Promise<void> {
  const deadline = Date.now() + 10_000;
  let seen = '';
  while (Date.now() < deadline) {
    seen = normalise(
      await page
        .locator(selector)
        .first()
        .textContent({ timeout: 10_000 })
        .catch(() => null),
    );
    if (typeof expected === 'string' ? seen.includes(expected) : expected.test(seen)) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`${selector}: expected ${String(expected)}, saw ${JSON.stringify(seen)}`);
}
