import { Agent, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SchedulerRegistry } from '@nestjs/schedule';
import fc from 'fast-check';
import { ControlLogChainer, signRequest } from '@tally/auth';
import { JobsCtx } from '../support/jobs-ctx';
import {
  type Caller,
  type FuzzRequest,
  type Operation,
  operationsOf,
  RequestGenerator,
  type Seeds,
} from '../support/openapi-requests';
import { changedTables, StateFingerprint } from '../support/state-fingerprint';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * Every route and method of the OpenAPI document, fed generated requests (see
 * openapi-requests.ts) with a key of a role the route admits (and sometimes not): no answer
 * is a 5xx, every 4xx is problem+json with a DSE code, and a refused request changes no row
 * of any table. FUZZ_RUNS sets the requests per operation (default 100; a soak: FUZZ_RUNS=1000);
 * FUZZ_SEED replays a run; FUZZ_ONLY (a pattern of "METHOD /path") fuzzes only the operations it matches.
 */
const RUNS_PER_OPERATION = Number(process.env.FUZZ_RUNS ?? 100);
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
/** Only the operations ("POST /v1/credits/transfer") this matches, for a closer look at one. */
const ONLY = new RegExp(process.env.FUZZ_ONLY ?? '');
/** A long poll answers when its wait is over (up to 30 s): the fuzz stops waiting sooner. */
const LONG_POLL_GIVE_UP_MS = 1_500;
const REQUEST_TIMEOUT_MS = 30_000;
/** Room for the slowest machine: some 50 ms a request. */
const TEST_TIMEOUT_MS = 120_000 + RUNS_PER_OPERATION * 60 * 50;

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

describe('no input gives a 5xx, and a refused request changes nothing', () => {
  let t: TestApp;
  let port: number;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let keys: Record<Caller, string | undefined>;
  let signatures = 0;
  let seeds: Seeds;
  let operations: Operation[];
  let generator: RequestGenerator;
  let fingerprint: StateFingerprint;

  beforeAll(async () => {
    t = await startTestApp({
      // Nothing changes the state but the requests: no assignment or settlement ticks, ...
      SCHEDULER_ENABLED: 'false',
      SETTLEMENT_ENABLED: 'false',
      // ... and no rate limit cutting requests off before they reach validation.
      RATE_LIMIT_MAX: '100000000',
    });
    // ... nor the app's own timers (hold expiry, scorecard redelivery): a hold a request
    // placed must not expire in the middle of a later request.
    const timers = t.app.get(SchedulerRegistry);
    for (const name of timers.getIntervals()) timers.deleteInterval(name);
    for (const name of timers.getCronJobs().keys()) timers.deleteCronJob(name);

    const ctx = new JobsCtx(t);
    const client = await ctx.fundedClient('1000');
    const prover = await ctx.workingProver();
    const job = { max_cost_micros: '1000000' };
    const pending = (await ctx.submit(client.key, job).expect(201)).body.network_job_id;
    const assigned = (await ctx.submit(client.key, job).expect(201)).body.network_job_id;
    await ctx.assign(assigned, [prover.name]).expect(201);
    const running = await ctx.running(client.key, [prover], job);
    const admin = ctx.admin();
    const idempotent = (key: string) => ({ ...admin, 'Idempotency-Key': key });
    const mint = await t
      .http()
      .post('/v1/credits/mint')
      .set(idempotent('seed-mint'))
      .send({ account_type: 'provider', account_id: prover.name, amount: '10' })
      .expect(201);
    const hold = await t
      .http()
      .post('/v1/credits/holds')
      .set(idempotent('seed-hold'))
      .send({ account_type: 'user', account_id: client.name, amount: '5' })
      .expect(201);
    await t
      .http()
      .put('/v1/registry/services/fuzz-svc')
      .set(admin)
      .send({
        price_per_unit: '0.25',
        unit: 'gpu_second',
        size_factor: '1.5',
        minimum_charge: '0.5',
        hardware_requirements: { gpu_count: 1 },
      })
      .expect(201);
    // A key only the fuzz may revoke (the callers' keys never appear in a path).
    const signingProver = await t
      .http()
      .post('/v1/admin/keys')
      .set(admin)
      .send({ role: 'prover', subject: prover.name, require_signature: true })
      .expect(201);
    const victim = await t.http().post('/v1/admin/keys').set(admin).send({ role: 'client', subject: 'victim' });
    await sealOneBatch(t, admin);

    // A real cursor of each listing (each listing refuses the others'), and instants around now.
    const cursors: string[] = [];
    for (const listing of [
      '/v1/credits/transactions',
      '/v1/admin/jobs',
      '/v1/admin/provers',
      '/v1/admin/keys',
      '/v1/settlement/batches',
    ]) {
      const page = await t.http().get(`${listing}?limit=1`).set(admin).expect(200);
      if (page.body.next_cursor) cursors.push(page.body.next_cursor);
    }
    const instants = [-3_600_000, 0, 3_600_000].map((ms) => new Date(Date.now() + ms).toISOString());

    keys = {
      admin: t.adminKey,
      client: client.key.Authorization.slice('Bearer '.length),
      prover: prover.key.Authorization.slice('Bearer '.length),
      'signing prover': signingProver.body.key,
      unknown: 'tly_client_not-a-key-this-server-knows',
      malformed: undefined,
      none: undefined,
    };
    seeds = {
      network_job_id: [pending, assigned, running],
      job_id: [running],
      key: [pending],
      prover_id: [prover.name],
      client_id: [client.name],
      subject: [client.name, prover.name],
      account_type: ['user', 'provider', 'platform'],
      account_id: [client.name, prover.name, 'main'],
      hold_id: [hold.body.hold_id],
      transfer_id: [mint.body.transfer_id],
      n: ['1'],
      service: ['fuzz-svc'],
      service_id: ['fuzz-svc'],
      api_key_id: [victim.body.id],
      cursor: cursors,
      from: instants,
      to: instants,
      as_of: instants,
    };
    const document = (await t.http().get('/docs-json').expect(200)).body;
    operations = operationsOf(document);
    generator = new RequestGenerator(document.components.schemas, seeds);
    fingerprint = await StateFingerprint.of(t.dataSource, () => t.app.get(ControlLogChainer).chain());

    const server = t.app.getHttpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    agent.destroy();
    await t?.close();
  });

  it(
    'every operation of the OpenAPI document',
    async () => {
      // The document itself is the list: a route added later is fuzzed with no change here.
      expect(operations.length).toBeGreaterThan(40);
      const report = new Report();
      let current = await fingerprint.settled();

      for (const [index, op] of operations.entries()) {
        const name = `${op.method} ${op.path}`;
        if (!ONLY.test(name)) continue;
        const longPoll = op.query.some((q) => q.name === 'max_wait_seconds');
        const property = fc.asyncProperty(generator.requests(op), async (req) => {
          const before = current;
          let answer: Answer | 'gave up';
          try {
            answer = await send(req, longPoll ? LONG_POLL_GIVE_UP_MS : REQUEST_TIMEOUT_MS);
          } catch (error) {
            current = await fingerprint.settled();
            throw error;
          }
          const after = await fingerprint.take(before);
          report.add(name, answer);
          if (answer === 'gave up' || answer.status < 400) {
            // Done, or (a long poll given up) perhaps done: wait for what it set going.
            const busy =
              answer === 'gave up' ||
              after.unrelayed > 0 ||
              after.unchained > 0 ||
              changedTables(before, after).length > 0;
            current = busy ? await fingerprint.settled() : after;
            return;
          }
          current = after;
          const problems = answerProblems(answer, changedTables(before, after));
          if (problems.length) {
            current = await fingerprint.settled();
            throw new Error(`${problems.join('; ')}\n${summary(req, answer)}`);
          }
        });
        try {
          await fc.assert(property, { numRuns: RUNS_PER_OPERATION, seed: SEED + index });
        } catch (error) {
          (error as Error).message =
            `${name}: ${(error as Error).message}\nreplay this run: FUZZ_SEED=${SEED} (operation ${index})`;
          throw error;
        }
      }

      // Each operation's requests got past authentication, to its validation or its handler.
      expect(report.unreached()).toEqual([]);
      expect(report.operations()).toBe(operations.filter((op) => ONLY.test(`${op.method} ${op.path}`)).length);
      if (process.env.FUZZ_REPORT) console.log(report.text());
    },
    TEST_TIMEOUT_MS,
  );

  /** Sends a request as written (path, headers and body bytes untouched), signed where the caller signs. */
  function send(req: FuzzRequest, timeoutMs: number): Promise<Answer | 'gave up'> {
    const key = keys[req.caller];
    const body = req.body === undefined ? undefined : Buffer.from(req.body);
    const headers: Record<string, string> = { ...req.headers };
    if (key) headers.authorization = `Bearer ${key}`;
    if (req.caller === 'signing prover' && req.signing !== 'missing') {
      const signed = signRequest({
        key: key!,
        method: req.method,
        path: req.path,
        body: req.signing === 'wrong' ? `${req.body ?? ''} ` : body,
        // Each a second apart within the window, so that requests alike are not replays of each other.
        timestamp: Math.floor(Date.now() / 1000) - (req.signing === 'stale' ? 600 : signatures++ % 240),
      });
      Object.assign(headers, signed.headers);
    }
    if (body) headers['content-length'] = String(body.length);
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest({ host: '127.0.0.1', port, agent, method: req.method, path: req.path, headers });
      outgoing.setTimeout(timeoutMs, () => {
        outgoing.destroy();
        if (timeoutMs === LONG_POLL_GIVE_UP_MS) resolve('gave up');
        else reject(new Error(`no answer in ${timeoutMs} ms\n${summary(req)}`));
      });
      outgoing.once('error', (error) => {
        if (!outgoing.destroyed || (error as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(error);
      });
      outgoing.once('response', (res) => {
        // An event stream answers with its headers and stays open: that answer is the one to check.
        if (String(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
          outgoing.destroy();
          resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), text: '' });
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            text: Buffer.concat(chunks).toString(),
          }),
        );
      });
      outgoing.end(body);
    });
  }
});

/** Each operation's answers by status, and the commonest reasons for a 400 (FUZZ_REPORT=1 prints them). */
class Report {
  private readonly statuses = new Map<string, Map<number | 'gave up', number>>();
  private readonly refusals = new Map<string, number>();

  add(operation: string, answer: Answer | 'gave up'): void {
    const status = answer === 'gave up' ? answer : answer.status;
    const seen = this.statuses.get(operation) ?? new Map<number | 'gave up', number>();
    this.statuses.set(operation, seen.set(status, (seen.get(status) ?? 0) + 1));
    if (status === 400 && answer !== 'gave up') {
      const detail = String(JSON.parse(answer.text).detail)
        .replace(/\d+|"[^"]*"/g, '#')
        .slice(0, 90);
      const reason = `${operation} | ${detail}`;
      this.refusals.set(reason, (this.refusals.get(reason) ?? 0) + 1);
    }
  }

  operations(): number {
    return this.statuses.size;
  }

  /** Operations every request of which was refused for its key (401, 403). */
  unreached(): string[] {
    return [...this.statuses]
      .filter(([, seen]) => [...seen.keys()].every((status) => status === 401 || status === 403))
      .map(([operation]) => operation);
  }

  text(): string {
    const answers = [...this.statuses].map(
      ([operation, seen]) => `${operation}: ${[...seen].map(([status, n]) => `${status}×${n}`).join(' ')}`,
    );
    const refusals = [...this.refusals]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 60)
      .map(([reason, n]) => `${n} ${reason}`);
    return [...answers, '', 'commonest 400s:', ...refusals].join('\n');
  }
}

/** What is wrong with an answer to a request: a 5xx, a 4xx that is not problem+json with a code, a change. */
function answerProblems(answer: Answer, changes: string[]): string[] {
  const problems: string[] = [];
  if (answer.status >= 500) problems.push(`answered ${answer.status}`);
  if (answer.status >= 400) {
    let code: unknown;
    try {
      code = (JSON.parse(answer.text) as { code?: unknown }).code;
    } catch {
      code = undefined;
    }
    if (!answer.contentType.startsWith('application/problem+json')) problems.push('not problem+json');
    if (typeof code !== 'string' || !/^DSE-\d{3}$/.test(code)) problems.push('no DSE code');
    if (changes.length) problems.push(`refused, yet changed ${changes.join(', ')}`);
  }
  return problems;
}

function summary(req: FuzzRequest, answer?: Answer): string {
  const cut = (s: string) => (s.length > 600 ? `${s.slice(0, 600)}… (${s.length} characters)` : s);
  const lines = [`${req.method} ${cut(req.path)} as ${req.caller}`, `headers ${JSON.stringify(req.headers)}`];
  if (req.body !== undefined) lines.push(`body ${cut(req.body)}`);
  if (answer) lines.push(`answer ${answer.status} ${answer.contentType} ${cut(answer.text)}`);
  return lines.join('\n');
}

/** Seals batch 1; the horizon waits for the transfers before it to settle, so a seal may find nothing yet. */
async function sealOneBatch(t: TestApp, admin: Record<string, string>): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const res = await t.http().post('/v1/settlement/batches').set(admin).send();
    if (res.status === 201) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('could not seal a settlement batch');
}
