import { Body, Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ControlAction, CurrentPrincipal, Principal, Roles } from '@tally/auth';
import {
  ApiErrors,
  ApiJobIdParam,
  ErrorCode,
  InvalidRequestError,
  NoFieldsRequestDto,
  ParseJobIdPipe,
} from '@tally/shared';
import { AssignJobCommand } from '../commands/assign-job/assign-job.command';
import { JobRepository } from '../persistence/job.repository';
import { JobResultQuery } from '../queries/job-result/job-result.query';
import {
  AssignJobRequestDto,
  DisputeJobRequestDto,
  ReportResultRequestDto,
  ReportUsageRequestDto,
  ResolveDisputeRequestDto,
  SubmitJobRequestDto,
} from './dto/jobs.request.dto';
import {
  JobResponseDto,
  JobResultResponseDto,
  JobTimelineResponseDto,
  ReportResultResponseDto,
  ReportUsageResponseDto,
  SubmitJobResponseDto,
} from './dto/jobs.response.dto';
import { JobEndpoints } from './job-endpoints';
import { presentJob } from './job.presenter';

@ApiTags('jobs')
@Controller('jobs')
export class JobsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly jobs: JobRepository,
    private readonly endpoints: JobEndpoints,
    private readonly results: JobResultQuery,
  ) {}

  @Post('submit')
  @Roles('client')
  @ApiOperation({
    operationId: 'jobs.submit',
    summary: "Submit a job: its max cost is held from the client's credits in escrow",
  })
  @ApiCreatedResponse({ type: SubmitJobResponseDto, description: 'the job, PENDING, with what is held' })
  @ApiErrors(
    ErrorCode.InsufficientCredits,
    ErrorCode.AccountNotFound,
    ErrorCode.CostCeilingExceeded,
    ErrorCode.NotFound,
  )
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
    const { body, replayed } = await this.endpoints.submit(dto, principal, req.headers['idempotency-key']);
    if (replayed) res.header('Idempotent-Replayed', 'true');
    res.status(201);
    return body;
  }

  @Get(':network_job_id')
  @ApiJobIdParam()
  @Roles('admin', 'client', 'prover')
  @ApiOperation({ operationId: 'jobs.get', summary: 'A job: status, money, replicas and timestamps' })
  @ApiOkResponse({ type: JobResponseDto })
  @ApiErrors(ErrorCode.JobNotFound)
  async get(@Param('network_job_id', new ParseJobIdPipe()) id: string, @CurrentPrincipal() principal: Principal) {
    return this.endpoints.get(id, principal);
  }

  @Get(':network_job_id/timeline')
  @ApiJobIdParam()
  @Roles('admin', 'client')
  @ApiOperation({
    operationId: 'jobs.timeline',
    summary: "A job's timeline: each status it entered and when, its replicas, and where its money went",
    description:
      'The transitions are the instants the job records (submitted, assigned, started, completed, failed, ' +
      'cancelled, audited), in time order; a requeued job shows its last assignment. Once settled, ' +
      "held = captured + refunded and captured = fee + the rewards. Another client's job reads as missing (DSE-003).",
  })
  @ApiOkResponse({ type: JobTimelineResponseDto })
  @ApiErrors(ErrorCode.JobNotFound)
  timeline(@Param('network_job_id', new ParseJobIdPipe()) id: string, @CurrentPrincipal() principal: Principal) {
    return this.endpoints.timeline(id, principal);
  }

  @Get(':network_job_id/result')
  @ApiJobIdParam()
  @Roles('admin', 'client')
  @ApiOperation({
    operationId: 'jobs.result',
    summary: "The result the job's majority agreed on: its hash, the service's result fields and the provers",
    description:
      "`result` is the metadata a majority replica's prover reported, checked against the service's result_schema " +
      'at the version the job was priced with: `result_valid` false with `result_errors` when it does not satisfy ' +
      "it (still returned). Another client's job reads as missing (DSE-003); a job not COMPLETED (or AUDITED) has " +
      'no result: 404 DSE-015 with its `status`.',
  })
  @ApiOkResponse({ type: JobResultResponseDto })
  @ApiErrors(ErrorCode.JobNotFound, ErrorCode.NotFound)
  async resultOf(@Param('network_job_id', new ParseJobIdPipe()) id: string, @CurrentPrincipal() principal: Principal) {
    return this.results.of(id, principal);
  }

  @Post(':network_job_id/cancel')
  @ApiJobIdParam()
  @Roles('admin', 'client')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'jobs.cancel',
    summary: 'Cancel a PENDING, ASSIGNED or RUNNING job: the hold is voided (full refund)',
    description:
      'Idempotent: cancelling a job that is already CANCELLED answers 200 with the same body as the cancel ' +
      'that did it (with Idempotent-Replayed: true), so a retry whose answer was lost learns the outcome. ' +
      'Concurrent cancels refund once.',
  })
  @ApiOkResponse({ type: JobResponseDto, description: 'the job, CANCELLED, with refunded_micros' })
  @ApiErrors(ErrorCode.JobNotFound, ErrorCode.IllegalTransition)
  async cancel(
    @Param('network_job_id', new ParseJobIdPipe()) id: string,
    @CurrentPrincipal() principal: Principal,
    @Body() _body: NoFieldsRequestDto,
    @Res({ passthrough: true }) res: FastifyReply,
  ) {
    const { body, replayed } = await this.endpoints.cancel(id, principal);
    if (replayed) res.header('Idempotent-Replayed', 'true');
    return body;
  }

  @Post(':network_job_id/assign')
  @ApiJobIdParam()
  @Roles('admin')
  @ControlAction('jobs.assign')
  @ApiOperation({
    operationId: 'jobs.assign',
    summary: 'Assign a PENDING job to prover(s) (the command the scheduler uses)',
  })
  @ApiCreatedResponse({ type: JobResponseDto, description: 'the job, ASSIGNED' })
  @ApiErrors(ErrorCode.JobNotFound, ErrorCode.ProverNotFound, ErrorCode.IllegalTransition)
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
  @ApiOperation({ operationId: 'jobs.start', summary: 'The assigned prover starts the job (ASSIGNED → RUNNING)' })
  @ApiCreatedResponse({ type: JobResponseDto, description: 'the job, RUNNING' })
  @ApiErrors(ErrorCode.JobNotFound, ErrorCode.IllegalTransition)
  async start(
    @Param('network_job_id', new ParseJobIdPipe()) id: string,
    @CurrentPrincipal() principal: Principal,
    @Body() _body: NoFieldsRequestDto,
  ) {
    return this.endpoints.start(id, principal);
  }

  @Post(':network_job_id/result')
  @ApiJobIdParam()
  @Roles('prover')
  @ApiOperation({
    operationId: 'jobs.reportResult',
    summary: 'The assigned prover reports its result; success captures the cost and rewards',
  })
  @ApiCreatedResponse({ type: ReportResultResponseDto })
  @ApiErrors(ErrorCode.JobNotFound, ErrorCode.IllegalTransition, ErrorCode.CostCeilingExceeded)
  async result(
    @Param('network_job_id', new ParseJobIdPipe()) id: string,
    @Body() dto: ReportResultRequestDto,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) res: FastifyReply,
  ) {
    const { body, replayed } = await this.endpoints.report(id, dto, principal);
    if (replayed) res.header('Idempotent-Replayed', 'true');
    res.status(201);
    return body;
  }

  @Post(':network_job_id/dispute')
  @ApiJobIdParam()
  @Roles('client')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'jobs.dispute',
    summary: 'Dispute a COMPLETED job within its dispute window: its rewards stay pending until an admin resolves it',
    description:
      "Only the job's client, only while its window is open (the service's dispute_window_seconds, else " +
      'DISPUTE_WINDOW_SECONDS): the job becomes DISPUTED. A job whose window closed, that had none, or that is not ' +
      'COMPLETED: DSE-010. Disputing a DISPUTED job again answers as the first dispute (Idempotent-Replayed: ' +
      "true; the first reason stands). A dispute racing the window's close: exactly one wins. Another client's job " +
      'reads as missing (DSE-003).',
  })
  @ApiOkResponse({ type: JobResponseDto, description: 'the job, DISPUTED' })
  @ApiErrors(ErrorCode.JobNotFound, ErrorCode.IllegalTransition)
  async dispute(
    @Param('network_job_id', new ParseJobIdPipe()) id: string,
    @Body() dto: DisputeJobRequestDto,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) res: FastifyReply,
  ) {
    const { body, replayed } = await this.endpoints.dispute(id, dto, principal);
    if (replayed) res.header('Idempotent-Replayed', 'true');
    return body;
  }

  @Post(':network_job_id/resolve')
  @ApiJobIdParam()
  @Roles('admin')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'jobs.resolve',
    summary:
      'Resolve a DISPUTED job: uphold (rewards paid) or refund (rewards voided, client refunded, provers slashed)',
    description:
      'A control action (jobs.resolve). The job becomes COMPLETED again with its outcome recorded, and AUDITED soon after. `refund_micros` (refund ' +
      'only, 0 to the final cost; left out: the whole final cost) is paid from the platform; the provers of the ' +
      "accepted result are slashed by the service's slash_dispute_bps, the client compensated first up to the " +
      'final cost. The same resolution again answers as the first (Idempotent-Replayed: true); another one, or a job ' +
      'not DISPUTED: DSE-010.',
  })
  @ApiOkResponse({ type: JobResponseDto, description: 'the job, COMPLETED, with its dispute resolved' })
  @ApiErrors(ErrorCode.JobNotFound, ErrorCode.IllegalTransition)
  async resolve(
    @Param('network_job_id', new ParseJobIdPipe()) id: string,
    @Body() dto: ResolveDisputeRequestDto,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) res: FastifyReply,
  ) {
    const { body, replayed } = await this.endpoints.resolve(id, dto, principal);
    if (replayed) res.header('Idempotent-Replayed', 'true');
    return body;
  }

  @Post(':network_job_id/usage')
  @ApiJobIdParam()
  @Roles('prover')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'jobs.reportUsage',
    summary: "The running prover of a metered job reports its usage so far: the new units' cost is paid as it goes",
    description:
      "`units` is the cumulative count. The new units' cost (by the job's schedule version) is captured from the " +
      "job's hold into the platform and the prover paid its share at once. The same count again answers the same " +
      '(Idempotent-Replayed: true) and moves nothing; a lower count is DSE-001. Beyond the hold or max_cost_micros: ' +
      'DSE-013, nothing moves. A job without a service or with several replicas is not metered (DSE-001).',
  })
  @ApiOkResponse({ type: ReportUsageResponseDto })
  @ApiErrors(ErrorCode.JobNotFound, ErrorCode.IllegalTransition, ErrorCode.CostCeilingExceeded)
  async usage(
    @Param('network_job_id', new ParseJobIdPipe()) id: string,
    @Body() dto: ReportUsageRequestDto,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) res: FastifyReply,
  ) {
    const { body, replayed } = await this.endpoints.usage(id, dto, principal);
    if (replayed) res.header('Idempotent-Replayed', 'true');
    return body;
  }
}
