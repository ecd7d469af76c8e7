import { Body, Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentPrincipal, Principal, Roles } from '@tally/auth';
import {
  hashOf,
  IDENTIFIER_MESSAGE,
  IDENTIFIER_PATTERN,
  InvalidRequestError,
  NoFieldsRequestDto,
  ApiJobIdParam,
  ParseJobIdPipe,
  parseMicros,
} from '@tally/shared';
import { JobNotFoundError } from '../domain';
import { AssignJobCommand } from '../commands/assign-job/assign-job.command';
import { CancelJobCommand } from '../commands/cancel-job/cancel-job.command';
import { ReportResultCommand } from '../commands/report-result/report-result.command';
import { StartJobCommand } from '../commands/start-job/start-job.command';
import { SubmitJobCommand } from '../commands/submit-job/submit-job.command';
import { JobRepository } from '../persistence/job.repository';
import { AssignJobRequestDto, ReportResultRequestDto, SubmitJobRequestDto } from './dto/jobs.request.dto';
import { presentJob } from './job.presenter';

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

@ApiTags('jobs')
@Controller('jobs')
export class JobsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly jobs: JobRepository,
  ) {}

  @Post('submit')
  @Roles('client')
  @ApiOperation({ summary: "Submit a job: its max cost is held from the client's credits in escrow" })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      "the job's client_job_id when the body names none (the same if both): a resubmission returns the same job",
  })
  async submit(
    @Body() dto: SubmitJobRequestDto,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) res: FastifyReply,
    @Req() req: FastifyRequest, // the optional header read by hand: @Headers would document it as required
  ) {
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
      clientJobId: submissionIdOf(dto.client_job_id, req.headers['idempotency-key']),
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
    if (replayed) res.header('Idempotent-Replayed', 'true');
    res.status(201);
    return { network_job_id: job.network_job_id, status: 'PENDING', held_micros: job.held_micros };
  }

  @Get(':network_job_id')
  @ApiJobIdParam()
  @Roles('admin', 'client', 'prover')
  async get(@Param('network_job_id', new ParseJobIdPipe()) id: string, @CurrentPrincipal() principal: Principal) {
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

  @Post(':network_job_id/cancel')
  @ApiJobIdParam()
  @Roles('admin', 'client')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Cancel a PENDING, ASSIGNED or RUNNING job: the hold is voided (full refund)',
    description:
      'Idempotent: cancelling a job that is already CANCELLED answers 200 with the same body as the cancel ' +
      'that did it (with Idempotent-Replayed: true), so a retry whose answer was lost learns the outcome. ' +
      'Concurrent cancels refund once.',
  })
  @ApiResponse({ status: 200, description: 'the job, CANCELLED, with refunded_micros' })
  @ApiResponse({ status: 404, description: "DSE-003: no such job, or another client's" })
  @ApiResponse({
    status: 409,
    description: 'DSE-010: the job already ended COMPLETED, AUDITED or FAILED (named in detail and `from`)',
  })
  async cancel(
    @Param('network_job_id', new ParseJobIdPipe()) id: string,
    @CurrentPrincipal() principal: Principal,
    @Body() _body: NoFieldsRequestDto,
    @Res({ passthrough: true }) res: FastifyReply,
  ) {
    const { job, replayed } = await this.commands.execute(new CancelJobCommand(id, principal));
    if (replayed) res.header('Idempotent-Replayed', 'true');
    // A CANCELLED job and its replicas never change again: a repeated cancel's body is the first one's.
    return presentJob(job, await this.jobs.assignments(id));
  }

  @Post(':network_job_id/assign')
  @ApiJobIdParam()
  @Roles('admin')
  @ApiOperation({ summary: 'Assign a PENDING job to prover(s) (the command the scheduler uses)' })
  async assign(@Param('network_job_id', new ParseJobIdPipe()) id: string, @Body() dto: AssignJobRequestDto) {
    if ((dto.prover_id === undefined) === (dto.prover_ids === undefined)) {
      throw new InvalidRequestError('give prover_id or prover_ids');
    }
    const job = await this.commands.execute(new AssignJobCommand(id, dto.prover_ids ?? [dto.prover_id!]));
    return presentJob(job, await this.jobs.assignments(id));
  }

  @Post(':network_job_id/start')
  @ApiJobIdParam()
  @Roles('prover')
  @ApiOperation({ summary: 'The assigned prover starts the job (ASSIGNED → RUNNING)' })
  async start(
    @Param('network_job_id', new ParseJobIdPipe()) id: string,
    @CurrentPrincipal() principal: Principal,
    @Body() _body: NoFieldsRequestDto,
  ) {
    const job = await this.commands.execute(new StartJobCommand(id, principal.subject));
    return presentJob(job, await this.jobs.assignments(id));
  }

  @Post(':network_job_id/result')
  @ApiJobIdParam()
  @Roles('prover')
  @ApiOperation({ summary: 'The assigned prover reports its result; success captures the cost and rewards' })
  async result(
    @Param('network_job_id', new ParseJobIdPipe()) id: string,
    @Body() dto: ReportResultRequestDto,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) res: FastifyReply,
  ) {
    const { replayed, ...outcome } = await this.commands.execute(
      new ReportResultCommand(id, principal.subject, {
        success: dto.success,
        finalCostMicros:
          dto.final_cost_micros === undefined ? null : parseMicros(dto.final_cost_micros, 'final_cost_micros'),
        errorMessage: dto.error_message ?? null,
        resultHash: dto.result_hash ?? null,
      }),
    );
    if (replayed) res.header('Idempotent-Replayed', 'true');
    res.status(201);
    return outcome;
  }
}
