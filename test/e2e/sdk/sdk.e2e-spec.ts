import { randomUUID } from 'node:crypto';
import {
  TallyClient,
  TallyError,
  fromMicros,
  isTallyError,
  toMicros,
  verifyAccountProof,
  verifyBatch,
  verifyTransferProof,
  type AccountProof,
  type SealedBatch,
  type TallyEvent,
  type TransferProof,
} from '../../../packages/sdk/src';
import { CAPABILITIES, HARDWARE } from '../../support/prover-profile';
import { listening } from '../../support/sse-client';
import { startTestApp, type TestApp } from '../../support/test-app';

/** The SDK against the real server, listening on a local port, on a database of its own. */
describe('@tally/sdk against the real server', () => {
  let t: TestApp;
  let baseUrl: string;
  /** Every request the SDK sent through `recording`: method, path and headers. */
  const sent: { method: string; path: string; headers: Headers }[] = [];
  const recording = (request: Request) => {
    sent.push({ method: request.method, path: new URL(request.url).pathname, headers: request.headers });
    return fetch(request);
  };
  const admin = (options: Partial<ConstructorParameters<typeof TallyClient>[0]> = {}) =>
    new TallyClient({ baseUrl, apiKey: t.adminKey, retry: { baseDelayMs: 10 }, ...options });
  const name = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
  const mint = (tally: TallyClient, accountId: string, amount: string) =>
    tally.api.POST('/v1/credits/mint', { body: { account_type: 'user', account_id: accountId, amount } });
  const balance = async (accountId: string) => {
    const { data } = await admin().api.GET('/v1/credits/accounts/{account_type}/{account_id}', {
      params: { path: { account_type: 'user', account_id: accountId } },
    });
    return body<{ balance: { posted: string } }>({ data }).balance.posted;
  };

  beforeAll(async () => {
    // No background sealing or scheduling: the tests seal and assign themselves.
    t = await startTestApp({ SETTLEMENT_ENABLED: 'false', SCHEDULER_ENABLED: 'false' });
    baseUrl = `http://127.0.0.1:${await listening(t)}`;
  });
  afterAll(() => t.close());
  beforeEach(() => (sent.length = 0));

  it('retries a mint whose response was lost with the same Idempotency-Key, and it mints once', async () => {
    const account = name('lost');
    let dropped = false;
    const tally = admin({
      fetch: async (request) => {
        const response = await recording(request);
        // The server handled the first mint; its answer never reaches the client.
        if (!dropped && request.url.endsWith('/v1/credits/mint')) {
          dropped = true;
          await response.body?.cancel();
          throw new TypeError('fetch failed (connection reset)');
        }
        return response;
      },
    });
    const { response } = await mint(tally, account, '2.5');
    expect(response.status).toBe(201);
    expect(response.headers.get('Idempotent-Replayed')).toBe('true');
    const keys = sent.filter((r) => r.path === '/v1/credits/mint').map((r) => r.headers.get('Idempotency-Key'));
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[1]).toBe(keys[0]);
    expect(await balance(account)).toBe('2.5');
    const transfers = [];
    for await (const item of tally.pages('/v1/credits/transactions', {
      query: { account_type: 'user', account_id: account },
    })) {
      transfers.push(item);
    }
    expect(transfers).toHaveLength(1);
  });

  it("keeps the caller's Idempotency-Key, and a second call with it replays instead of minting again", async () => {
    const account = name('own-key');
    const key = randomUUID();
    const tally = admin({ fetch: recording });
    for (let i = 0; i < 2; i++) {
      await tally.api.POST('/v1/credits/mint', {
        params: { header: { 'Idempotency-Key': key } },
        body: { account_type: 'user', account_id: account, amount: '1' },
      });
    }
    expect(sent.map((r) => r.headers.get('Idempotency-Key'))).toEqual([key, key]);
    expect(await balance(account)).toBe('1');
  });

  it('waits as Retry-After says on a 503, then retries with the same key', async () => {
    const account = name('busy');
    let refused = false;
    const tally = admin({
      fetch: async (request) => {
        if (!refused) {
          // What a proxy in front of a restarting server answers.
          refused = true;
          sent.push({ method: request.method, path: new URL(request.url).pathname, headers: request.headers });
          return new Response('{"title":"Service unavailable","status":503}', {
            status: 503,
            headers: { 'Retry-After': '1', 'Content-Type': 'application/problem+json' },
          });
        }
        return recording(request);
      },
    });
    const started = Date.now();
    await mint(tally, account, '3');
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(sent).toHaveLength(2);
    expect(sent[1].headers.get('Idempotency-Key')).toBe(sent[0].headers.get('Idempotency-Key'));
    expect(await balance(account)).toBe('3');
  });

  it('throws a TallyError typed by DSE code, with status, title, detail and the problem body', async () => {
    const tally = admin();
    const error = await mint(tally, name('bad'), '1.1234567').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TallyError);
    expect(isTallyError(error, 'DSE-001')).toBe(true);
    const e = error as TallyError;
    expect(e).toMatchObject({ code: 'DSE-001', status: 400, title: 'Invalid request' });
    expect(e.detail).toMatch(/at most 6 fractional digits/);
    expect(e.problem).toMatchObject({ type: '/docs/errors#DSE-001', code: 'DSE-001', status: 400 });
    expect(e.requestId).toBeTruthy();

    const missing = await tally.api
      .GET('/v1/credits/accounts/{account_type}/{account_id}', {
        params: { path: { account_type: 'user', account_id: name('nobody') } },
      })
      .catch((x: unknown) => x);
    expect(missing).toMatchObject({ code: 'DSE-011', status: 404 });
    const unauthenticated = new TallyClient({ baseUrl, apiKey: 'tly_not_a_key' });
    await expect(unauthenticated.api.GET('/v1/credits/transactions')).rejects.toMatchObject({
      code: 'DSE-002',
      status: 401,
    });
  });

  it('walks every page of a listing, following next_cursor', async () => {
    const account = name('pages');
    const tally = admin({ fetch: recording });
    for (let i = 1; i <= 5; i++) await mint(tally, account, `${i}`);
    sent.length = 0;
    const amounts: string[] = [];
    const ids = new Set<unknown>();
    for await (const item of tally.pages('/v1/credits/transactions', {
      query: { account_type: 'user', account_id: account, limit: 2 },
    })) {
      amounts.push((item as { amount: string }).amount);
      ids.add((item as { transfer_id: unknown }).transfer_id);
    }
    // Newest first, three pages of at most 2.
    expect(amounts).toEqual(['5', '4', '3', '2', '1']);
    expect(ids.size).toBe(5);
    const pages = sent.filter((r) => r.path === '/v1/credits/transactions');
    expect(pages).toHaveLength(3);
  });

  it('follows the event stream and, when it drops, resumes with Last-Event-ID: nothing missed or repeated', async () => {
    const account = name('events');
    const [{ max }] = await t.dataSource.query(`SELECT COALESCE(max(id), 0)::text AS max FROM outbox`);
    for (let i = 1; i <= 3; i++) await mint(admin(), account, `${i}`);
    let streams = 0;
    const tally = admin({
      fetch: async (request) => {
        const response = await recording(request);
        if (!request.url.includes('/v1/events/stream') || streams++ > 0) return response;
        // The first connection drops right after its first event.
        return new Response(cutAfterFirstEvent(response.body!), { status: response.status, headers: response.headers });
      },
    });
    const mine = (e: TallyEvent) => JSON.stringify(e.data.data).includes(account);
    const seen: TallyEvent[] = [];
    for await (const event of tally.events({ types: ['TransferPosted'], lastEventId: max, reconnectDelayMs: 10 })) {
      if (mine(event)) seen.push(event);
      if (seen.length === 3) break;
    }
    const opens = sent.filter((r) => r.path === '/v1/events/stream');
    expect(opens).toHaveLength(2);
    expect(opens[0].headers.get('Last-Event-ID')).toBe(max);
    expect(opens[1].headers.get('Last-Event-ID')).toBe(seen[0].id);
    expect(seen.map((e) => e.type)).toEqual(['TransferPosted', 'TransferPosted', 'TransferPosted']);
    expect(new Set(seen.map((e) => e.id)).size).toBe(3);
    expect(seen.map((e) => BigInt(e.id))).toEqual([...seen.map((e) => BigInt(e.id))].sort((a, b) => (a < b ? -1 : 1)));

    // A later run resumes after the last event it handled: it gets the next one only.
    await mint(admin(), account, '4');
    for await (const event of admin().events({ types: ['TransferPosted'], lastEventId: seen[2].id })) {
      expect(mine(event)).toBe(true);
      expect(BigInt(event.id)).toBeGreaterThan(BigInt(seen[2].id));
      break;
    }
  });

  it("long-polls a prover's assignments", async () => {
    const tally = admin();
    const client = name('client');
    const prover = name('prover');
    await mint(tally, client, '10');
    const keyOf = async (role: 'client' | 'prover', subject: string) =>
      body<{ key: string }>(
        await tally.api.POST('/v1/admin/keys', { body: { role, subject, require_signature: false } }),
      ).key;
    const asClient = new TallyClient({ baseUrl, apiKey: await keyOf('client', client) });
    const asProver = new TallyClient({ baseUrl, apiKey: await keyOf('prover', prover) });
    await asProver.api.POST('/v1/provers/register', {
      body: {
        prover_id: prover,
        hardware_profile: HARDWARE,
        capabilities: CAPABILITIES,
        region: 'eu-west-1',
        max_concurrency: 4,
      } as never,
    });
    const submitted = await asClient.api.POST('/v1/jobs/submit', {
      body: { payload: { task: 'prove' }, max_cost_micros: 1_000_000 } as never,
    });
    const jobId = body<{ network_job_id: string }>(submitted).network_job_id;
    const assignments = asProver.assignments(prover, { maxWaitSeconds: 5 });
    const next = assignments.next();
    await tally.api.POST('/v1/jobs/{network_job_id}/assign', {
      params: { path: { network_job_id: jobId } },
      body: { prover_ids: [prover] } as never,
    });
    const job = (await next).value as { network_job_id: string };
    expect(job.network_job_id).toBe(jobId);
    await assignments.return(undefined);
  });

  it('checks a real sealed batch, its signature, an account proof and a transfer proof with the re-exported verifiers', async () => {
    const tally = admin();
    const account = name('proven');
    const { transfer_id: transferId } = body<{ transfer_id: string }>(await mint(tally, account, '7.25'));
    expect(transferId).toMatch(/^[0-9a-f-]{36}$/);
    const { batch: sealed } = body<{ batch: { batch_no: number } }>(
      await tally.api.POST('/v1/settlement/batches', { body: {} }),
    );
    const n = String(sealed.batch_no);
    const batch = body<SealedBatch>(await tally.api.GET('/v1/settlement/batches/{n}', { params: { path: { n } } }));
    const { keys } = body<{ keys: { key_id: string; public_key: string }[] }>(await tally.api.GET('/v1/receipts/keys'));
    expect(verifyBatch(batch, keys)).toEqual({ valid: true });

    const proof = body<AccountProof>(
      await tally.api.GET('/v1/settlement/batches/{n}/proofs/accounts/{account_type}/{account_id}', {
        params: { path: { n, account_type: 'user', account_id: account } },
      }),
    );
    expect(fromMicros(BigInt(proof.balance))).toBe('7.25');
    expect(verifyAccountProof(batch, proof)).toEqual({ valid: true });
    expect(verifyAccountProof(batch, { ...proof, balance: String(toMicros('7.25') + 1n) }).valid).toBe(false);

    const transfer = body<TransferProof>(
      await tally.api.GET('/v1/settlement/batches/{n}/proofs/transfers/{transfer_id}', {
        params: { path: { n, transfer_id: transferId } },
      }),
    );
    expect(verifyTransferProof(batch, transfer)).toEqual({ valid: true });
  });
});

/** A stream that passes the text through up to the end of the first event (an `id:` block), then ends. */
function cutAfterFirstEvent(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  return new ReadableStream({
    async pull(controller) {
      const { value, done } = await reader.read();
      if (done) return controller.close();
      const before = text.length;
      text += decoder.decode(value, { stream: true });
      const first = /(^|\n)id: [^\n]*\n[\s\S]*?\n\n/.exec(text);
      if (!first) return controller.enqueue(new TextEncoder().encode(text.slice(before)));
      controller.enqueue(new TextEncoder().encode(text.slice(before, first.index + first[0].length)));
      await reader.cancel();
      controller.close();
    },
    cancel: () => reader.cancel(),
  });
}

/** A response's body as the test reads it (typed by the generated schema once it declares one). */
function body<T>(response: { data?: unknown }): T {
  return response.data as T;
}
