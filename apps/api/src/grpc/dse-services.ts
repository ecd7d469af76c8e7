import type { ServerWritableStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import {
  JobEndpoints,
  JobsController,
  presentJobToRun,
  ProverReplicasQuery,
  ReportResultRequestDto,
  ReportUsageRequestDto,
  DisputeJobRequestDto,
  ResolveDisputeRequestDto,
  SubmitJobRequestDto,
} from '@tally/jobs';
import {
  GetProverQuery,
  HeartbeatRequestDto,
  JobWakeups,
  ProverEndpoints,
  ProversController,
  RegisterProverRequestDto,
} from '@tally/provers';
import { parseJobId, UnauthenticatedError } from '@tally/shared';
import type { QueryBus } from '@nestjs/cqrs';
import type { GrpcCaller } from './grpc-auth';
import { type GrpcCalls, rolesOf } from './grpc-calls';
import { jobMessage, jobToRunMessage, proverMessage } from './dse-messages';
import { fromStruct, fromValue, withoutUnset } from './proto-values';

type Request = Record<string, unknown>;

/** An enum left at its zero value was not sent. */
const unlessUnspecified = (value: unknown) =>
  typeof value === 'string' && value.endsWith('_UNSPECIFIED') ? undefined : value;

/** JobService: the same use cases as the REST job routes (JobEndpoints), the same roles. */
export function jobService(calls: GrpcCalls, jobs: JobEndpoints): UntypedServiceImplementation {
  const rest = JobsController.prototype;
  return {
    SubmitJob: calls.unary('SubmitJob', rolesOf(rest.submit), async (r: Request, { principal }, call) => {
      const dto = await calls.validate(
        SubmitJobRequestDto,
        withoutUnset({
          ...r,
          payload: fromValue(r.payload as never),
          priority: unlessUnspecified(r.priority),
          requirements: fromStruct(r.requirements as never),
        }),
      );
      const key = call.metadata.get('idempotency-key').map(String);
      const { body, replayed } = await jobs.submit(dto, principal, key.length > 1 ? key : key[0]);
      return { message: body, metadata: replayed ? { 'idempotent-replayed': 'true' } : undefined };
    }),
    GetJob: calls.unary('GetJob', rolesOf(rest.get), async (r: Request, { principal }) => ({
      message: jobMessage(await jobs.get(parseJobId(r.network_job_id), principal)),
    })),
    CancelJob: calls.unary('CancelJob', rolesOf(rest.cancel), async (r: Request, { principal }) => {
      const { body, replayed } = await jobs.cancel(parseJobId(r.network_job_id), principal);
      return { message: jobMessage(body), metadata: replayed ? { 'idempotent-replayed': 'true' } : undefined };
    }),
    StartJob: calls.unary('StartJob', rolesOf(rest.start), async (r: Request, { principal }) => ({
      message: jobMessage(await jobs.start(parseJobId(r.network_job_id), principal)),
    })),
    ReportResult: calls.unary('ReportResult', rolesOf(rest.result), async (r: Request, { principal }) => {
      const id = parseJobId(r.network_job_id);
      const { network_job_id: _id, ...fields } = r;
      const dto = await calls.validate(
        ReportResultRequestDto,
        withoutUnset({ ...fields, result_metadata: fromStruct(r.result_metadata as never) }),
      );
      const { body, replayed } = await jobs.report(id, dto, principal);
      return {
        message: withoutUnset(body),
        metadata: replayed ? { 'idempotent-replayed': 'true' } : undefined,
      };
    }),
    ReportUsage: calls.unary('ReportUsage', rolesOf(rest.usage), async (r: Request, { principal }) => {
      const id = parseJobId(r.network_job_id);
      const { network_job_id: _id, ...fields } = r;
      const dto = await calls.validate(ReportUsageRequestDto, withoutUnset(fields));
      const { body, replayed } = await jobs.usage(id, dto, principal);
      return { message: body, metadata: replayed ? { 'idempotent-replayed': 'true' } : undefined };
    }),
    DisputeJob: calls.unary('DisputeJob', rolesOf(rest.dispute), async (r: Request, { principal }) => {
      const id = parseJobId(r.network_job_id);
      const { network_job_id: _id, ...fields } = r;
      const dto = await calls.validate(DisputeJobRequestDto, withoutUnset(fields));
      const { body, replayed } = await jobs.dispute(id, dto, principal);
      return { message: jobMessage(body), metadata: replayed ? { 'idempotent-replayed': 'true' } : undefined };
    }),
    ResolveDispute: calls.unary('ResolveDispute', rolesOf(rest.resolve), async (r: Request, { principal }) => {
      const id = parseJobId(r.network_job_id);
      const { network_job_id: _id, ...fields } = r;
      const dto = await calls.validate(ResolveDisputeRequestDto, withoutUnset(fields));
      const { body, replayed } = await jobs.resolve(id, dto, principal);
      return { message: jobMessage(body), metadata: replayed ? { 'idempotent-replayed': 'true' } : undefined };
    }),
  };
}

export interface WatchSettings {
  /** How often a stream re-reads (assignments by other replicas, a drain done elsewhere, a revoked key). */
  recheckMs: number;
}

/** Open assignment streams, each with what stops its loop, so a shutdown can end them first. */
export type OpenStreams = Map<ServerWritableStream<unknown, unknown>, () => void>;

/** ProverService: the same use cases as the REST prover routes (ProverEndpoints), the same roles. */
export function proverService(
  calls: GrpcCalls,
  provers: ProverEndpoints,
  watch: { replicas: ProverReplicasQuery; wakeups: JobWakeups; queries: QueryBus; settings: WatchSettings },
  streams: OpenStreams,
): UntypedServiceImplementation {
  const rest = ProversController.prototype;
  const proverId = (r: Request) => String(r.prover_id ?? '');
  return {
    RegisterProver: calls.unary('RegisterProver', rolesOf(rest.register), async (r: Request, { principal }) => {
      const dto = await calls.validate(RegisterProverRequestDto, withoutUnset(r));
      const { body } = await provers.register(dto, principal);
      return { message: proverMessage(body) };
    }),
    GetProver: calls.unary('GetProver', rolesOf(rest.get), async (r: Request, { principal }) => ({
      message: proverMessage(await provers.get(proverId(r), principal)),
    })),
    Heartbeat: calls.unary('Heartbeat', rolesOf(rest.heartbeat), async (r: Request, { principal }) => {
      const { prover_id: _id, running_jobs, ...fields } = r;
      const running = running_jobs as string[] | undefined;
      // proto3 cannot send "none reported" apart from []: an empty list is not reported.
      const dto = await calls.validate(
        HeartbeatRequestDto,
        withoutUnset({ ...fields, running_jobs: running?.length ? running : undefined }),
      );
      return { message: await provers.heartbeat(proverId(r), dto, principal) };
    }),
    GetCapabilities: calls.unary('GetCapabilities', rolesOf(rest.capabilities), async (r: Request, { principal }) => ({
      message: await provers.capabilities(proverId(r), principal),
    })),
    Drain: calls.unary('Drain', rolesOf(rest.drain), async (r: Request, { principal }) => ({
      message: proverMessage(await provers.drain(proverId(r), principal)),
    })),
    Resume: calls.unary('Resume', rolesOf(rest.resume), async (r: Request, { principal }) => ({
      message: proverMessage(await provers.resume(proverId(r), principal)),
    })),
    WatchAssignments: calls.stream(
      'WatchAssignments',
      // The stream replaces the poll: whoever may poll may watch.
      rolesOf(rest.poll),
      async (call: ServerWritableStream<Request, unknown>, caller) => {
        const id = proverId(call.request);
        // Who may act for the prover, and that it exists (DSE-004), before the stream starts.
        await provers.get(id, caller.principal);
        await watchAssignments(call, id, caller, watch, streams);
      },
    ),
  };
}

/**
 * Sends every job assigned to the prover and not yet started, then each new one, each once
 * per stream, and a DrainSignal when the prover is (or becomes) draining. Re-reads on every
 * assignment wake-up of this replica, and every recheckMs for the rest.
 */
async function watchAssignments(
  call: ServerWritableStream<Request, unknown>,
  proverId: string,
  caller: GrpcCaller,
  { replicas, wakeups, queries, settings }: Parameters<typeof proverService>[2],
  streams: OpenStreams,
): Promise<void> {
  const abort = new AbortController();
  const stop = () => abort.abort();
  call.once('cancelled', stop);
  call.once('close', stop);
  streams.set(call as ServerWritableStream<unknown, unknown>, stop);
  const sent = new Set<string>();
  let drainSent = false;
  try {
    while (!abort.signal.aborted && !wakeups.stopping) {
      if (!(await caller.stillAuthenticated())) {
        throw new UnauthenticatedError('this API key was revoked while the stream was open');
      }
      for (const job of await replicas.waitingJobs(proverId)) {
        if (sent.has(job.network_job_id) || abort.signal.aborted) continue;
        sent.add(job.network_job_id);
        call.write({ assignment: jobToRunMessage(presentJobToRun(job)) });
      }
      const { state } = await queries.execute(new GetProverQuery(proverId));
      if (state === 'draining' && !drainSent && !abort.signal.aborted) {
        call.write({ drain: { prover_id: proverId, state } });
      }
      drainSent = state === 'draining';
      await wakeups.watch(proverId, settings.recheckMs, abort.signal);
    }
  } finally {
    streams.delete(call as ServerWritableStream<unknown, unknown>);
    call.off('cancelled', stop);
    call.off('close', stop);
  }
  if (!abort.signal.aborted) call.end();
}
