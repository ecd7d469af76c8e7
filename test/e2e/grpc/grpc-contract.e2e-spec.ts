import type { MessageTypeDefinition } from '@grpc/proto-loader';
import { dsePackageDefinition } from '../../../apps/api/src/grpc/dse-proto';
import { GrpcServer } from '../../../apps/api/src/grpc/grpc-server';
import { JobsCtx } from '../../support/jobs-ctx';
import { operationsOf } from '../../support/openapi-requests';
import { CAPABILITIES, HARDWARE } from '../../support/prover-profile';
import { startTestApp, TestApp } from '../../support/test-app';

type Schema = {
  properties?: Record<string, Schema>;
  $ref?: string;
  items?: Schema;
  allOf?: Schema[];
  responses?: Record<number, { content: Record<string, { schema: Schema }> }>;
};

/** A message's field names, from the loaded .proto files. */
function fieldsOf(message: string): string[] {
  const definition = dsePackageDefinition()[`tally.dse.v1.${message}`] as
    MessageTypeDefinition<unknown, unknown> | undefined;
  if (!definition) throw new Error(`no message ${message}`);
  return (definition.type as { field: { name: string }[] }).field.map((f) => f.name).sort();
}

/** Each gRPC request message and the REST operation it mirrors: its fields are the path's parameters and body's. */
const REQUESTS: [message: string, method: string, path: string][] = [
  ['SubmitJobRequest', 'POST', '/v1/jobs/submit'],
  ['CancelJobRequest', 'POST', '/v1/jobs/{network_job_id}/cancel'],
  ['GetJobRequest', 'GET', '/v1/jobs/{network_job_id}'],
  ['StartJobRequest', 'POST', '/v1/jobs/{network_job_id}/start'],
  ['ReportResultRequest', 'POST', '/v1/jobs/{network_job_id}/result'],
  ['RegisterProverRequest', 'POST', '/v1/provers/register'],
  ['GetProverRequest', 'GET', '/v1/provers/{prover_id}'],
  ['HeartbeatRequest', 'POST', '/v1/provers/{prover_id}/heartbeat'],
  ['GetCapabilitiesRequest', 'GET', '/v1/provers/{prover_id}/capabilities'],
  ['DrainRequest', 'POST', '/v1/provers/{prover_id}/drain'],
  ['ResumeRequest', 'POST', '/v1/provers/{prover_id}/resume'],
];

/** Nested messages and the REST DTO schemas they mirror. */
const NESTED: [message: string, schema: string][] = [
  ['HardwareProfile', 'HardwareProfileDto'],
  ['Capabilities', 'CapabilitiesDto'],
  ['ZkAcceleration', 'ZkAccelerationDto'],
  ['HeartbeatResponse', 'HeartbeatResponseDto'],
];

describe('the .proto contract and REST agree field for field', () => {
  let t: TestApp;
  let ctx: JobsCtx;
  let document: { paths: Record<string, Record<string, Schema>>; components: { schemas: Record<string, Schema> } };
  beforeAll(async () => {
    t = await startTestApp({ SCHEDULER_ENABLED: 'false' });
    ctx = new JobsCtx(t);
    document = (await t.http().get('/docs-json').expect(200)).body;
  });
  afterAll(() => t.close());

  const resolve = (schema: Schema | undefined): Schema => {
    if (!schema) return {};
    if (schema.$ref) return resolve(document.components.schemas[schema.$ref.split('/').pop()!]);
    if (schema.allOf?.length === 1) return resolve(schema.allOf[0]);
    return schema;
  };

  it.each(REQUESTS)('%s: the parameters and body of %s %s', (message, method, path) => {
    const operation = operationsOf(document).find((o) => o.method === method && o.path === path);
    expect(operation).toBeDefined();
    const restFields = [...operation!.pathParams, ...Object.keys(resolve(operation!.body).properties ?? {})];
    expect(fieldsOf(message)).toEqual(restFields.sort());
  });

  it.each(NESTED)('%s: the schema %s', (message, schema) => {
    expect(fieldsOf(message)).toEqual(Object.keys(resolve({ $ref: schema }).properties ?? {}).sort());
  });

  it('the answers: a job, its replicas and timestamps, a prover, a registration, a submit, a report, a poll', async () => {
    const client = await ctx.fundedClient('10');
    const prover = await ctx.workingProver();
    const submitted = (await ctx.submit(client.key, { max_cost_micros: 1_000_000 }).expect(201)).body;
    await ctx.assign(submitted.network_job_id, [prover.name]).expect(201);
    const polled = (await t.http().post(`/v1/provers/${prover.name}/poll`).set(prover.key).send({}).expect(200)).body;
    const reported = (
      await ctx.report(submitted.network_job_id, prover.key, { success: true, final_cost_micros: 1 }).expect(201)
    ).body;
    const job = (await ctx.job(submitted.network_job_id).expect(200)).body;
    const got = (await t.http().get(`/v1/provers/${prover.name}`).set(prover.key).expect(200)).body;
    const caps = (await t.http().get(`/v1/provers/${prover.name}/capabilities`).set(prover.key).expect(200)).body;
    const keys = (body: object) => Object.keys(body).sort();

    expect(fieldsOf('SubmitJobResponse')).toEqual(keys(submitted));
    expect(fieldsOf('JobAssignment')).toEqual(keys(polled));
    expect(fieldsOf('ReportResultResponse')).toEqual(keys(reported));
    expect(fieldsOf('Job')).toEqual(keys(job));
    expect(fieldsOf('Assignment')).toEqual(keys(job.assignments[0]));
    expect(fieldsOf('JobTimestamps')).toEqual(keys(job.timestamps));
    expect(fieldsOf('Prover')).toEqual(keys(got));
    expect(fieldsOf('GetCapabilitiesResponse')).toEqual(keys(caps));
    const fresh = await ctx.prover();
    const registered = (
      await t
        .http()
        .post('/v1/provers/register')
        .set(fresh.key)
        .send({ prover_id: fresh.name, hardware_profile: HARDWARE, capabilities: CAPABILITIES })
        .expect(201)
    ).body;
    expect(fieldsOf('RegisterProverResponse')).toEqual(keys(registered));

    // And the OpenAPI document names the same fields for each of these answers.
    const documented = (method: string, path: string, status: number) =>
      Object.keys(
        resolve(document.paths[path][method].responses![status].content['application/json'].schema).properties!,
      );
    const answers: [body: object, method: string, path: string, status: number][] = [
      [submitted, 'post', '/v1/jobs/submit', 201],
      [polled, 'post', '/v1/provers/{prover_id}/poll', 200],
      [reported, 'post', '/v1/jobs/{network_job_id}/result', 201],
      [job, 'get', '/v1/jobs/{network_job_id}', 200],
      [got, 'get', '/v1/provers/{prover_id}', 200],
      [caps, 'get', '/v1/provers/{prover_id}/capabilities', 200],
      [registered, 'post', '/v1/provers/register', 201],
    ];
    for (const [body, method, path, status] of answers)
      expect(documented(method, path, status).sort()).toEqual(keys(body));
  });

  it('GRPC_ENABLED=false serves no gRPC', async () => {
    const off = await startTestApp({ SCHEDULER_ENABLED: 'false', GRPC_ENABLED: 'false' });
    try {
      expect(off.app.get(GrpcServer).port).toBeUndefined();
      await off.http().get('/health').expect(200);
    } finally {
      await off.close();
    }
  });

  it('the events carry exactly the fields the spec (§5) names', () => {
    expect(fieldsOf('ScorecardUpdateEvent')).toEqual(
      [
        'prover_id',
        'delta_success',
        'delta_failure',
        'new_score_value',
        'expected_version',
        'event_id',
        'emitted_at',
      ].sort(),
    );
    expect(fieldsOf('JobAuditEvent')).toEqual(
      [
        'network_job_id',
        'timestamp',
        'client_job_id',
        'prover_id',
        'status',
        'final_cost_micros',
        'error_message',
        'event_id',
      ].sort(),
    );
  });
});
