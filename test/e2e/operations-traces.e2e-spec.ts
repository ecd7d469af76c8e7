import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import request from 'supertest';
import { BuiltServer, startBuiltServer, waitForExit } from '../support/built-server';
import { GrpcCtx } from '../support/grpc-ctx';
import { OtlpReceiver, ReceivedSpan } from '../support/otlp-receiver';
import { CAPABILITIES, HARDWARE } from '../support/prover-profile';
import { createTestDatabase, TestDatabase } from '../support/test-database';

const ADMIN_KEY = `tly_admin_${randomBytes(16).toString('hex')}`;
const admin = { Authorization: `Bearer ${ADMIN_KEY}` };
/** Prints the @opentelemetry packages the server loaded, as it exits. */
const LOADED_PACKAGES = ['--require', join(__dirname, '../support/loaded-packages.cjs')];
const SERVER_KIND = 2;
const PG_SCOPE = '@opentelemetry/instrumentation-pg';
const HTTP_SCOPE = '@opentelemetry/instrumentation-http';

/** Stops the server (SIGTERM: it exports the spans still buffered) and returns the packages it had loaded. */
async function stop(server: BuiltServer): Promise<string[]> {
  server.proc.kill('SIGTERM');
  expect(await waitForExit(server, 30_000)).toEqual({ code: 0, signal: null });
  const reported = /\nloaded-opentelemetry (\[.*\])\n/.exec(server.stderr());
  if (!reported) throw new Error(`no loaded packages reported: ${server.stderr()}`);
  return JSON.parse(reported[1]) as string[];
}

/** The JSON log lines pino-http wrote as each request completed. */
function requestLogLines(
  stdout: string,
): { req: { method: string; url: string }; trace_id?: string; span_id?: string }[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line))
    .filter((line) => line.msg === 'request completed');
}

/** Ids of the span's ancestors among `spans`, nearest first. */
function ancestors(span: ReceivedSpan, spans: ReceivedSpan[]): string[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const chain: string[] = [];
  for (let parent = byId.get(span.parentSpanId ?? ''); parent; parent = byId.get(parent.parentSpanId ?? '')) {
    chain.push(parent.spanId);
  }
  return chain;
}

/** The spans of the trace whose parent is not in the trace: one for a trace that is one tree. */
function roots(spans: ReceivedSpan[]): ReceivedSpan[] {
  const ids = new Set(spans.map((s) => s.spanId));
  return spans.filter((s) => s.parentSpanId === undefined || !ids.has(s.parentSpanId));
}

// Two compiled servers, one of them driven through a job's whole lifecycle.
jest.setTimeout(180_000);

describe('OpenTelemetry traces (the compiled server)', () => {
  let db: TestDatabase;
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    db = await createTestDatabase();
    receiver = await OtlpReceiver.start();
  });
  afterAll(async () => {
    await receiver?.close();
    await db?.drop();
  });

  it("exports one tree per request and gRPC call: an incoming traceparent is its parent, and the request's log line carries its trace id", async () => {
    const server = await startBuiltServer(
      {
        ...db.env,
        TALLY_ADMIN_KEY: ADMIN_KEY,
        // Jobs are assigned by the admin below, not by the scheduler's ticks.
        SCHEDULER_ENABLED: 'false',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
      120_000,
      { nodeArgs: LOADED_PACKAGES },
    );
    let loaded: string[];
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const grpcTraceId = randomBytes(16).toString('hex');
    const grpcCallerSpanId = randomBytes(8).toString('hex');
    try {
      const api = () => request(server.url);
      const clientName = `client-${randomUUID().slice(0, 8)}`;
      const proverName = `prover-${randomUUID().slice(0, 8)}`;
      const keyOf = async (role: string, subject: string) => {
        const res = await api().post('/v1/admin/keys').set(admin).send({ role, subject }).expect(201);
        return { Authorization: `Bearer ${res.body.key}` };
      };
      const client = await keyOf('client', clientName);
      const prover = await keyOf('prover', proverName);
      await api()
        .post('/v1/credits/mint')
        .set(admin)
        .set('Idempotency-Key', randomUUID())
        .send({ account_type: 'user', account_id: clientName, amount: '10' })
        .expect(201);
      await api()
        .post('/v1/provers/register')
        .set(prover)
        .send({
          prover_id: proverName,
          hardware_profile: HARDWARE,
          capabilities: CAPABILITIES,
          region: 'eu-west-1',
          max_concurrency: 4,
        })
        .expect(201);
      const submitted = await api()
        .post('/v1/jobs/submit')
        .set(client)
        .set('traceparent', `00-${traceId}-${callerSpanId}-01`)
        .send({ payload: { task: 'prove' }, max_cost_micros: 1_000_000 })
        .expect(201);
      const jobId = submitted.body.network_job_id as string;
      await api()
        .post(`/v1/jobs/${jobId}/assign`)
        .set(admin)
        .send({ prover_ids: [proverName] })
        .expect(201);
      await api().post(`/v1/jobs/${jobId}/start`).set(prover).send().expect(201);
      await api()
        .post(`/v1/jobs/${jobId}/result`)
        .set(prover)
        .send({ success: true, final_cost_micros: 400_000 })
        .expect(201);
      expect(['COMPLETED', 'AUDITED']).toContain(
        (await api().get(`/v1/jobs/${jobId}`).set(admin).expect(200)).body.status,
      );
      // The collector took an export: /health/details says so (up, with the time of the last one).
      let tracing: Record<string, unknown> | undefined;
      for (const deadline = Date.now() + 15_000; !tracing?.last_run_at && Date.now() < deadline;) {
        await new Promise((r) => setTimeout(r, 200));
        const details = await api().get('/health/details').set(admin).expect(200);
        tracing = details.body.dependencies.find((d: { name: string }) => d.name === 'tracing');
      }
      expect(tracing).toMatchObject({ state: 'up', critical: false, last_run_at: expect.any(String) });
      expect(tracing?.last_error).toBeUndefined();
      // The same job over gRPC, under another caller's span.
      const grpcPort = Number(/gRPC: [^"]*listening on port (\d+)"/.exec(server.stdout())?.[1]);
      const grpc = new GrpcCtx(grpcPort);
      try {
        const got = await grpc.call(grpc.jobs, 'GetJob', { network_job_id: jobId }, admin, {
          traceparent: `00-${grpcTraceId}-${grpcCallerSpanId}-01`,
        });
        expect(got.message.network_job_id).toBe(jobId);
      } finally {
        grpc.close();
      }
    } finally {
      loaded = await stop(server);
    }
    expect(loaded).toContain('@opentelemetry/sdk-trace-node');

    // The traced request: one tree under the caller's span, from the HTTP server span down to
    // the command, and the command's statements under it.
    const traced = receiver.spans.filter((s) => s.traceId === traceId);
    const [root, ...others] = roots(traced);
    expect(others).toEqual([]);
    expect(root).toMatchObject({
      parentSpanId: callerSpanId,
      kind: SERVER_KIND,
      scope: HTTP_SCOPE,
      name: 'POST /v1/jobs/submit',
      attributes: expect.objectContaining({ 'http.route': '/v1/jobs/submit', 'http.response.status_code': 201 }),
    });
    const command = traced.find((s) => s.name === 'SubmitJobCommand');
    expect(command?.attributes).toMatchObject({ 'tally.cqrs.kind': 'command' });
    expect(ancestors(command!, traced)).toContain(root.spanId);
    const statements = traced.filter((s) => s.scope === PG_SCOPE && ancestors(s, traced).includes(command!.spanId));
    expect(statements.length).toBeGreaterThan(0);

    const lines = requestLogLines(server.stdout());
    const submitLine = lines.find((line) => line.req.method === 'POST' && line.req.url === '/v1/jobs/submit');
    expect(submitLine).toMatchObject({ trace_id: traceId, span_id: root.spanId });

    // Every other request is a trace of its own, one tree rooted at its server span, and its
    // log line names that trace.
    const servers = receiver.spans.filter((s) => s.kind === SERVER_KIND && s.scope === HTTP_SCOPE);
    expect(servers.map((s) => s.name)).toEqual(
      expect.arrayContaining([
        'POST /v1/admin/keys',
        'POST /v1/credits/mint',
        'POST /v1/provers/register',
        'POST /v1/jobs/:network_job_id/assign',
        'POST /v1/jobs/:network_job_id/start',
        'POST /v1/jobs/:network_job_id/result',
        'GET /v1/jobs/:network_job_id',
      ]),
    );
    expect(new Set(servers.map((s) => s.traceId)).size).toBe(servers.length);
    for (const span of servers.filter((s) => s.traceId !== traceId)) {
      const trace = receiver.spans.filter((s) => s.traceId === span.traceId);
      expect(roots(trace).map((s) => s.spanId)).toEqual([span.spanId]);
      expect(span.parentSpanId).toBeUndefined();
    }
    expect(lines.length).toBe(servers.length);
    for (const line of lines) {
      expect(servers.find((s) => s.traceId === line.trace_id)?.spanId).toBe(line.span_id);
    }
    const resultCommand = receiver.spans.find((s) => s.name === 'ReportResultCommand');
    expect(resultCommand).toBeDefined();

    // The gRPC call: a server span under the caller's, the query and its statements below it.
    const grpcTrace = receiver.spans.filter((s) => s.traceId === grpcTraceId);
    const [grpcRoot, ...grpcOthers] = roots(grpcTrace);
    expect(grpcOthers).toEqual([]);
    expect(grpcRoot).toMatchObject({
      parentSpanId: grpcCallerSpanId,
      kind: SERVER_KIND,
      name: 'grpc GetJob',
      attributes: { 'rpc.system': 'grpc', 'rpc.method': 'GetJob' },
    });
    expect(grpcTrace.filter((s) => s.scope === PG_SCOPE).length).toBeGreaterThan(0);
  });

  it('loads no tracing SDK when no OTLP endpoint is set', async () => {
    const server = await startBuiltServer({ ...db.env, TALLY_ADMIN_KEY: ADMIN_KEY }, 120_000, {
      nodeArgs: LOADED_PACKAGES,
    });
    let loaded: string[];
    try {
      await request(server.url).get('/v1/admin/keys').set(admin).expect(200);
      const details = await request(server.url).get('/health/details').set(admin).expect(200);
      expect(details.body.dependencies).toContainEqual({ name: 'tracing', state: 'off', critical: false });
    } finally {
      loaded = await stop(server);
    }
    // The API alone: its no-op tracer is what the code paths call.
    expect(loaded).toEqual(['@opentelemetry/api']);
    expect(JSON.stringify(requestLogLines(server.stdout()))).not.toContain('trace_id');
  });
});
