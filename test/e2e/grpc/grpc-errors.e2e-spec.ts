import { randomUUID } from 'node:crypto';
import { Client, credentials, type ServiceError, status } from '@grpc/grpc-js';
import { GrpcServer } from '../../../apps/api/src/grpc/grpc-server';
import { JobsCtx } from '../../support/jobs-ctx';
import { CAPABILITIES, HARDWARE } from '../../support/prover-profile';
import { type GrpcFailure, GrpcCtx } from '../../support/grpc-ctx';
import { StatementFaults } from '../../support/statement-faults';
import { startTestApp, TestApp } from '../../support/test-app';

const cutter = new StatementFaults().install();
afterAll(() => cutter.uninstall());

describe('gRPC errors: each DSE code as its status, dse-code metadata and ErrorDetail', () => {
  let t: TestApp;
  let ctx: JobsCtx;
  let grpc: GrpcCtx;
  beforeAll(async () => {
    // Jobs move only as the test moves them.
    t = await startTestApp({ SCHEDULER_ENABLED: 'false' });
    ctx = new JobsCtx(t);
    grpc = new GrpcCtx(t);
  });
  afterAll(async () => {
    grpc.close();
    await t.close();
  });

  const expectError = (f: GrpcFailure, code: status, dse: string) => {
    expect({ status: status[f.code], dse: f.dseCode }).toEqual({ status: status[code], dse });
    expect(f.detail).toMatchObject({ code: dse, reason: expect.stringMatching(`^${dse.replace('-', '_')}_`) });
    expect(f.detail?.detail).toBe(f.details);
  };
  const submit = (key: Record<string, string>, fields: Record<string, unknown>) =>
    grpc.failure(grpc.jobs, 'SubmitJob', { payload: { stringValue: 'x' }, max_cost_micros: '1000000', ...fields }, key);

  it('DSE-001 INVALID_ARGUMENT, with each invalid field', async () => {
    const client = await ctx.fundedClient('1');
    const f = await submit(client.key, { max_cost_micros: '0', client_job_id: 'has space', replicas: 9 });
    expectError(f, status.INVALID_ARGUMENT, 'DSE-001');
    expect((f.detail?.errors as { field: string }[]).map((e) => e.field).sort()).toEqual([
      'client_job_id',
      'max_cost_micros',
      'replicas',
    ]);
    // A job id that is not one, and a missing payload.
    expectError(
      await grpc.failure(grpc.jobs, 'GetJob', { network_job_id: '0' }, client.key),
      status.INVALID_ARGUMENT,
      'DSE-001',
    );
    expectError(
      await grpc.failure(grpc.jobs, 'SubmitJob', { max_cost_micros: '5' }, client.key),
      status.INVALID_ARGUMENT,
      'DSE-001',
    );
    // Nothing was submitted.
    expect(await ctx.balance('user', client.name)).toMatchObject({ pending: '0' });
  });

  it('DSE-002 UNAUTHENTICATED without a valid key, PERMISSION_DENIED for the wrong role or prover', async () => {
    expectError(await grpc.failure(grpc.jobs, 'GetJob', { network_job_id: '1' }), status.UNAUTHENTICATED, 'DSE-002');
    expectError(
      await grpc.failure(grpc.jobs, 'GetJob', { network_job_id: '1' }, { Authorization: 'Bearer tly_nope_0000' }),
      status.UNAUTHENTICATED,
      'DSE-002',
    );
    expectError(
      await grpc.failure(grpc.jobs, 'GetJob', { network_job_id: '1' }, { Authorization: 'Basic abc' }),
      status.UNAUTHENTICATED,
      'DSE-002',
    );
    const prover = await ctx.workingProver();
    const other = await ctx.workingProver();
    // A prover may not submit (client only), nor act for another prover.
    expectError(await submit(prover.key, {}), status.PERMISSION_DENIED, 'DSE-002');
    expectError(
      await grpc.failure(grpc.provers, 'GetProver', { prover_id: other.name }, prover.key),
      status.PERMISSION_DENIED,
      'DSE-002',
    );
    const watch = grpc.watch(other.name, prover.key);
    expectError((await watch.ended).error!, status.PERMISSION_DENIED, 'DSE-002');
    // A revoked key is refused at once.
    const client = await ctx.fundedClient('1');
    const keys = (await t.http().get('/v1/admin/keys').query({ subject: client.name }).set(ctx.admin()).expect(200))
      .body.keys;
    await t.http().delete(`/v1/admin/keys/${keys[0].id}`).set(ctx.admin()).expect(200);
    expectError(await submit(client.key, {}), status.UNAUTHENTICATED, 'DSE-002');
  });

  it('DSE-003, DSE-004, DSE-011, DSE-015 NOT_FOUND', async () => {
    const client = await ctx.fundedClient('1');
    expectError(
      await grpc.failure(grpc.jobs, 'GetJob', { network_job_id: '9000000000000000001' }, client.key),
      status.NOT_FOUND,
      'DSE-003',
    );
    expectError(
      await grpc.failure(grpc.provers, 'GetProver', { prover_id: 'nobody-here' }, ctx.admin()),
      status.NOT_FOUND,
      'DSE-004',
    );
    // A client with a key and no account yet.
    const broke = await ctx.newKey('client', ctx.name('client'));
    expectError(await submit(broke, {}), status.NOT_FOUND, 'DSE-011');
    expectError(await submit(client.key, { service: 'no.such.service', units: '1' }), status.NOT_FOUND, 'DSE-015');
  });

  it('DSE-008 and DSE-013 FAILED_PRECONDITION; DSE-009 and DSE-010 ABORTED', async () => {
    const client = await ctx.fundedClient('1');
    const prover = await ctx.workingProver();
    expectError(await submit(client.key, { max_cost_micros: '1000001' }), status.FAILED_PRECONDITION, 'DSE-008');

    const clientJobId = randomUUID();
    const submitted = await grpc.call(
      grpc.jobs,
      'SubmitJob',
      { client_job_id: clientJobId, payload: { stringValue: 'x' }, max_cost_micros: '1000000' },
      client.key,
    );
    const id = submitted.message.network_job_id as string;
    expectError(
      await submit(client.key, { client_job_id: clientJobId, max_cost_micros: '999999' }),
      status.ABORTED,
      'DSE-009',
    );
    await ctx.assign(id, [prover.name]).expect(201);
    await grpc.call(grpc.jobs, 'StartJob', { network_job_id: id }, prover.key);
    expectError(
      await grpc.failure(
        grpc.jobs,
        'ReportResult',
        { network_job_id: id, success: true, final_cost_micros: '1000001' },
        prover.key,
      ),
      status.FAILED_PRECONDITION,
      'DSE-013',
    );
    await grpc.call(
      grpc.jobs,
      'ReportResult',
      { network_job_id: id, success: false, error_message: 'oom' },
      prover.key,
    );
    // A FAILED job cannot be cancelled, nor started again.
    expectError(
      await grpc.failure(grpc.jobs, 'CancelJob', { network_job_id: id }, client.key),
      status.ABORTED,
      'DSE-010',
    );
  });

  it('DSE-007 INTERNAL for an unknown failure, detailed only in the logs; the server keeps serving', async () => {
    const prover = await ctx.workingProver();
    // A fault of the server's own: the provers table is not where the code expects it.
    await t.dataSource.query('ALTER TABLE provers RENAME TO provers_away');
    try {
      const f = await grpc.failure(grpc.provers, 'GetProver', { prover_id: prover.name }, prover.key);
      expectError(f, status.INTERNAL, 'DSE-007');
      expect(f.details).not.toMatch(/provers/);
    } finally {
      await t.dataSource.query('ALTER TABLE provers_away RENAME TO provers');
    }
    const ok = await grpc.call(grpc.provers, 'GetProver', { prover_id: prover.name }, prover.key);
    expect(ok.message.prover_id).toBe(prover.name);
  });

  it('DSE-014 UNAVAILABLE with retry-after when the database connection is lost; the next call answers', async () => {
    const prover = await ctx.workingProver();
    const cut = cutter.cutNext(/FROM provers/);
    const f = await grpc.failure(grpc.provers, 'GetProver', { prover_id: prover.name }, prover.key);
    await cut;
    expectError(f, status.UNAVAILABLE, 'DSE-014');
    expect(f.metadata.get('retry-after')).toEqual(['1']);
    const ok = await grpc.call(grpc.provers, 'GetProver', { prover_id: prover.name }, prover.key);
    expect(ok.message.prover_id).toBe(prover.name);
  });

  it('DSE-012 RESOURCE_EXHAUSTED past the rate limit, with retry-after', async () => {
    const limited = await startTestApp({ SCHEDULER_ENABLED: 'false', RATE_LIMIT_MAX: '3' });
    const limitedGrpc = new GrpcCtx(limited);
    try {
      // Calls without a key count against the caller's address, as on REST.
      for (let i = 0; i < 3; i++) {
        const f = await limitedGrpc.failure(limitedGrpc.jobs, 'GetJob', { network_job_id: '1' });
        expect(f.dseCode).toBe('DSE-002');
      }
      const f = await limitedGrpc.failure(limitedGrpc.jobs, 'GetJob', { network_job_id: '1' });
      expectError(f, status.RESOURCE_EXHAUSTED, 'DSE-012');
      expect(Number(f.metadata.get('retry-after')[0])).toBeGreaterThan(0);
      expect(f.metadata.get('x-ratelimit-remaining')).toEqual(['0']);
    } finally {
      limitedGrpc.close();
      await limited.close();
    }
  });

  it('bytes that are not the message are INVALID_ARGUMENT DSE-001, not INTERNAL; nothing is done', async () => {
    const client = await ctx.fundedClient('1');
    const raw = new Client(`127.0.0.1:${t.app.get(GrpcServer).port}`, credentials.createInsecure());
    try {
      const sent = (bytes: Buffer) =>
        new Promise<ServiceError | null>((resolve) =>
          raw.makeUnaryRequest(
            '/tally.dse.v1.JobService/SubmitJob',
            (b: Buffer) => b,
            (b: Buffer) => b,
            bytes,
            GrpcCtx.auth(client.key),
            (error) => resolve(error),
          ),
        );
      // A varint that never ends, and a length-delimited field longer than the message.
      for (const bytes of [Buffer.from([0x08, 0xff, 0xff, 0xff]), Buffer.from([0x0a, 0x7f, 0x01])]) {
        const error = await sent(bytes);
        expect({ code: error?.code, dse: error?.metadata.get('dse-code') }).toEqual({
          code: status.INVALID_ARGUMENT,
          dse: ['DSE-001'],
        });
      }
    } finally {
      raw.close();
    }
    expect(await ctx.balance('user', client.name)).toMatchObject({ pending: '0' });
  });

  it('a message over 10 MB is refused with RESOURCE_EXHAUSTED before any handler runs', async () => {
    const client = await ctx.fundedClient('1');
    const f = await submit(client.key, { payload: { stringValue: 'x'.repeat(10 * 1024 * 1024 + 1) } });
    expect(status[f.code]).toBe('RESOURCE_EXHAUSTED');
    expect(await ctx.balance('user', client.name)).toMatchObject({ pending: '0' });
  });

  it('a registration that does not validate changes nothing', async () => {
    const prover = await ctx.prover();
    const f = await grpc.failure(
      grpc.provers,
      'RegisterProver',
      { prover_id: prover.name, hardware_profile: { ...HARDWARE, cpu_cores: 0 }, capabilities: CAPABILITIES },
      prover.key,
    );
    expectError(f, status.INVALID_ARGUMENT, 'DSE-001');
    expect(f.detail?.errors).toEqual([{ field: 'hardware_profile.cpu_cores', message: expect.any(String) }]);
    expectError(
      await grpc.failure(grpc.provers, 'GetProver', { prover_id: prover.name }, prover.key),
      status.NOT_FOUND,
      'DSE-004',
    );
  });
});
