import { Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ControlLog, controlActor, essentialFields, type Principal } from '@tally/auth';
import { hashOf, IDENTIFIER_MESSAGE, IDENTIFIER_PATTERN, InvalidRequestError, parseMicros } from '@tally/shared';
import { checkResultMetadata, JobNotFoundError } from '../domain';
import { CancelJobCommand } from '../commands/cancel-job/cancel-job.command';
import { DisputeJobCommand } from '../commands/dispute-job/dispute-job.command';
import { ResolveDisputeCommand } from '../commands/resolve-dispute/resolve-dispute.command';
import { ReportResultCommand } from '../commands/report-result/report-result.command';
import { ReportUsageCommand } from '../commands/report-usage/report-usage.command';
import { StartJobCommand } from '../commands/start-job/start-job.command';
import { SubmitJobCommand } from '../commands/submit-job/submit-job.command';
import { JobRepository } from '../persistence/job.repository';
import type {
  DisputeJobRequestDto,
  ReportResultRequestDto,
  ReportUsageRequestDto,
  ResolveDisputeRequestDto,
  SubmitJobRequestDto,
} from './dto/jobs.request.dto';
import { presentJob, presentTimeline, presentUsage } from './job.presenter';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The id a submission is deduplicated by: the body's client_job_id or the Idempotency-Key
 * header (either names the submission, so a retried submit never holds twice); given
 * together they must agree. A key becomes the job's client_job_id, so it takes that shape.
 */
function submissionIdOf(clientJobId: string | undefined, idempotencyKey: string | string[] | undefined): string | null {
  if (idempotencyKey === undefined) return clientJobId ?? null;
  const field = { field: 'Idempotency-Key' };
  if (typeof idempotencyKey !== 'string' || !IDENTIFIER_PATTERN.test(idempotencyKey)) {
    throw new InvalidRequestError(
      `on a submit the Idempotency-Key is the job's client_job_id: ${IDENTIFIER_MESSAGE.replace('$property ', '')}`,
      field,
    );
  }
  if (clientJobId !== undefined && clientJobId !== idempotencyKey) {
    throw new InvalidRequestError(
      'Idempotency-Key and client_job_id both name the submission: give one, or the same',
      field,
    );
  }
  return idempotencyKey;
}

/** An answer, and whether it repeats an earlier one (REST: Idempotent-Replayed; gRPC: its metadata). */
export interface Replayable<T> {
  body: T;
  replayed: boolean;
}

/**
 * The job use cases as both transports (the REST controller, the gRPC service) run them,
 * from a validated request DTO and the caller: one behaviour, two transports.
 */
@Injectable()
export class JobEndpoints {
  constructor(
    private readonly commands: CommandBus,
    private readonly jobs: JobRepository,
    private readonly controlLog: ControlLog,
  ) {}

  async submit(dto: SubmitJobRequestDto, principal: Principal, idempotencyKey?: string | string[]) {
    if (
      dto.payload_encoding === 'base64' &&
      (typeof dto.payload !== 'string' || dto.payload.length % 4 !== 0 || !BASE64.test(dto.payload))
    ) {
      throw new InvalidRequestError('payload must be base64 when payload_encoding is "base64"', { field: 'payload' });
    }
    if ((dto.service === undefined) !== (dto.units === undefined)) {
      throw new InvalidRequestError('service and units go together');
    }
    const base64 = dto.payload_encoding === 'base64';
    const request = {
      clientJobId: submissionIdOf(dto.client_job_id, idempotencyKey),
      payload: base64 ? { base64: dto.payload } : dto.payload,
      maxCostMicros: parseMicros(dto.max_cost_micros, 'max_cost_micros'),
      priority: dto.priority ?? 'NORMAL',
      service: dto.service ?? null,
      units: dto.units ?? null,
      requirements: dto.requirements ?? {},
      replicas: dto.replicas ?? 1,
    };
    // A resubmission is the same request when it asks for the same job, however it is
    // written: 1000 or "1000", defaults spelled out or left out, keys in any order.
    // base64 bytes and the JSON {"base64": …} are different requests (a JSON payload hashes as it always did).
    const requestHash = hashOf({
      ...request,
      maxCostMicros: request.maxCostMicros.toString(),
      ...(base64 ? { payloadEncoding: 'base64' } : {}),
    });
    const { job, replayed } = await this.commands.execute(
      new SubmitJobCommand({
        ...request,
        payloadEncoding: base64 ? 'base64' : 'json',
        clientId: principal.subject,
        requestHash,
      }),
    );
    return {
      body: { network_job_id: job.network_job_id, status: 'PENDING' as const, held_micros: job.held_micros },
      replayed,
    };
  }

  async get(id: string, principal: Principal) {
    const job = await this.jobs.find(id);
    const assignments = job ? await this.jobs.assignments(id) : [];
    const visible =
      job &&
      (principal.role === 'admin' ||
        (principal.role === 'client' && job.client_id === principal.subject) ||
        (principal.role === 'prover' && assignments.some((a) => a.prover_id === principal.subject)));
    // Someone else's job is as unknown to the caller as one that does not exist.
    if (!visible) throw new JobNotFoundError(id);
    return presentJob(job, assignments);
  }

  /** A job's timeline, for its client or an admin (anyone else's job reads as missing). */
  async timeline(id: string, principal: Principal) {
    const job = await this.jobs.find(id);
    const visible = job && (principal.role === 'admin' || job.client_id === principal.subject);
    if (!visible) throw new JobNotFoundError(id);
    return presentTimeline(job, await this.jobs.assignments(id));
  }

  async cancel(id: string, principal: Principal) {
    const cancel = () => this.commands.execute(new CancelJobCommand(id, principal));
    // An admin's cancel is a control action (DSE §7.4), by REST or gRPC; a client's is not.
    const { job, replayed } =
      principal.role === 'admin'
        ? await this.controlLog.run(
            { actor: controlActor(principal), action: 'jobs.cancel', fields: { params: { network_job_id: id } } },
            cancel,
          )
        : await cancel();
    // A CANCELLED job and its replicas never change again: a repeated cancel's body is the first one's.
    return { body: presentJob(job, await this.jobs.assignments(id)), replayed };
  }

  async start(id: string, principal: Principal) {
    const job = await this.commands.execute(new StartJobCommand(id, principal.subject));
    return presentJob(job, await this.jobs.assignments(id));
  }

  async report(id: string, dto: ReportResultRequestDto, principal: Principal) {
    const { replayed, ...outcome } = await this.commands.execute(
      new ReportResultCommand(id, principal.subject, {
        success: dto.success,
        finalCostMicros:
          dto.final_cost_micros === undefined ? null : parseMicros(dto.final_cost_micros, 'final_cost_micros'),
        errorMessage: dto.error_message ?? null,
        resultHash: dto.result_hash ?? null,
        resultMetadata: checkResultMetadata(dto.result_metadata),
      }),
    );
    return { body: outcome, replayed: replayed === true };
  }

  /** A metered job's prover reports its usage so far; the same count again answers the same. */
  async dispute(id: string, dto: DisputeJobRequestDto, principal: Principal) {
    const { job, replayed } = await this.commands.execute(new DisputeJobCommand(id, principal, dto.reason));
    return { body: presentJob(job, await this.jobs.assignments(id)), replayed };
  }

  async resolve(id: string, dto: ResolveDisputeRequestDto, principal: Principal) {
    // Checked by the DTO: an int64 from 0 (a refund of nothing still voids the rewards and slashes).
    const refund = dto.refund_micros === undefined ? null : BigInt(dto.refund_micros);
    // A control action (DSE §7.4), by REST or gRPC.
    const { job, replayed } = await this.controlLog.run(
      {
        actor: controlActor(principal),
        action: 'jobs.resolve',
        fields: essentialFields({ network_job_id: id }, { ...dto }),
      },
      () => this.commands.execute(new ResolveDisputeCommand(id, dto.outcome, refund)),
    );
    return { body: presentJob(job, await this.jobs.assignments(id)), replayed };
  }

  async usage(id: string, dto: ReportUsageRequestDto, principal: Principal) {
    const { job, replayed } = await this.commands.execute(new ReportUsageCommand(id, principal.subject, dto.units));
    return { body: presentUsage(job), replayed };
  }
}
