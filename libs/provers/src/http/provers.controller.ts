import { Body, Controller, Get, HttpCode, Logger, Param, Post, Query, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, Principal, Roles, StillAuthenticated } from '@tally/auth';
import { JobToRunResponseDto, presentJobToRun, ReleaseStartCommand } from '@tally/jobs';
import { ApiErrors, ErrorCode, InvalidRequestError, NoFieldsRequestDto } from '@tally/shared';
import { JobWakeups } from '../commands/poll-job/job-wakeups';
import { PollJobCommand } from '../commands/poll-job/poll-job.command';
import { HeartbeatResponseDto } from './dto/heartbeat.response.dto';
import {
  CapabilitiesResponseDto,
  ProverDetailResponseDto,
  ProverResponseDto,
  RegisterProverResponseDto,
  ScoreHistoryResponseDto,
} from './dto/provers.response.dto';
import {
  HeartbeatRequestDto,
  PollQueryDto,
  PollRequestDto,
  RegisterProverRequestDto,
  ScoreHistoryQueryDto,
} from './dto/provers.request.dto';
import { assertActsFor, checkProverId, ProverEndpoints } from './prover-endpoints';

@ApiTags('provers')
@Controller('provers')
export class ProversController {
  private readonly logger = new Logger(ProversController.name);

  constructor(
    private readonly commands: CommandBus,
    private readonly wakeups: JobWakeups,
    private readonly endpoints: ProverEndpoints,
  ) {}

  @Post('register')
  @Roles('admin', 'prover')
  @ApiOperation({
    operationId: 'provers.register',
    summary: 'Register a prover (201) or replace its profile (200; score kept), with its provider account',
  })
  @ApiCreatedResponse({ type: RegisterProverResponseDto, description: 'registered (Location names it)' })
  @ApiOkResponse({ type: RegisterProverResponseDto, description: 'its profile replaced, its score kept' })
  async register(
    @Body() dto: RegisterProverRequestDto,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) res: FastifyReply,
  ) {
    const { body, created } = await this.endpoints.register(dto, principal);
    res.status(created ? 201 : 200);
    if (created) res.header('Location', `/v1/provers/${encodeURIComponent(body.prover_id)}`);
    return body;
  }

  @Post(':prover_id/heartbeat')
  @Roles('prover')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'provers.heartbeat',
    summary: 'Liveness, load and profile; answers with the jobs of this prover cancelled since, and given back',
    description:
      'With running_jobs, a start the prover does not list (older than PROVER_START_ACK_GRACE_MS) is given back ' +
      'for its next poll, as a poll whose answer could not be delivered gives its start back: no score, no ledger ' +
      'movement. A job keeps its wall-clock deadline from its assignment.',
  })
  @ApiOkResponse({ type: HeartbeatResponseDto })
  @ApiErrors(ErrorCode.ProverNotFound)
  heartbeat(
    @Param('prover_id') proverId: string,
    @Body() dto: HeartbeatRequestDto,
    @CurrentPrincipal() principal: Principal,
  ) {
    return this.endpoints.heartbeat(proverId, dto, principal);
  }

  @Get(':prover_id')
  @Roles('admin', 'prover')
  @ApiOperation({
    operationId: 'provers.get',
    summary: 'A prover: state, EMA score (decayed to now), counters, scorecard version, stake',
  })
  @ApiOkResponse({ type: ProverDetailResponseDto })
  @ApiErrors(ErrorCode.ProverNotFound)
  async get(@Param('prover_id') proverId: string, @CurrentPrincipal() principal: Principal) {
    return this.endpoints.get(proverId, principal);
  }

  @Get(':prover_id/score-history')
  @Roles('admin', 'prover')
  @ApiOperation({
    operationId: 'provers.scoreHistory',
    summary: "A prover's score after each scorecard event, oldest first: the latest `limit` (100, at most 1000)",
  })
  @ApiOkResponse({ type: ScoreHistoryResponseDto })
  @ApiErrors(ErrorCode.ProverNotFound)
  async scoreHistory(
    @Param('prover_id') proverId: string,
    @Query() query: ScoreHistoryQueryDto,
    @CurrentPrincipal() principal: Principal,
  ) {
    return this.endpoints.scoreHistory(proverId, query.limit, principal);
  }

  @Get(':prover_id/capabilities')
  @Roles('admin', 'prover')
  @ApiOperation({
    operationId: 'provers.capabilities',
    summary: "A prover's hardware profile and its flat list of supported features",
  })
  @ApiOkResponse({ type: CapabilitiesResponseDto })
  @ApiErrors(ErrorCode.ProverNotFound)
  async capabilities(@Param('prover_id') proverId: string, @CurrentPrincipal() principal: Principal) {
    return this.endpoints.capabilities(proverId, principal);
  }

  @Post(':prover_id/poll')
  @Roles('prover')
  @ApiOperation({
    operationId: 'provers.poll',
    summary: 'Start and return the oldest job assigned to this prover (200), or 204; max_wait_seconds long-polls',
    description:
      'A start whose answer cannot be delivered is given back at once; one the prover never got (its heartbeat ' +
      'running_jobs leaves it out past PROVER_START_ACK_GRACE_MS) is given back then. Either is returned by a ' +
      'later poll, and wakes a poll of the prover that is waiting.',
  })
  @ApiOkResponse({ type: JobToRunResponseDto, description: 'the job, now RUNNING, with its payload' })
  @ApiNoContentResponse({ description: 'no job is assigned to this prover (within max_wait_seconds)' })
  @ApiErrors(ErrorCode.ProverNotFound)
  async poll(
    @Param('prover_id') proverId: string,
    @Body() body: PollRequestDto,
    @Query() query: PollQueryDto,
    @CurrentPrincipal() principal: Principal,
    @StillAuthenticated() stillAuthenticated: () => Promise<boolean>,
    @Res({ passthrough: true }) res: FastifyReply,
  ) {
    assertActsFor(principal, checkProverId(proverId));
    const fromBody = body?.max_wait_seconds;
    const fromQuery = query?.max_wait_seconds;
    if (fromBody !== undefined && fromQuery !== undefined && fromBody !== fromQuery) {
      throw new InvalidRequestError('max_wait_seconds differs between the body and the query string');
    }
    const abort = new AbortController();
    res.raw.once('close', () => abort.abort());
    const job = await this.commands.execute(
      new PollJobCommand(proverId, Math.round((fromBody ?? fromQuery ?? 0) * 1000), abort.signal, stillAuthenticated),
    );
    if (!job) {
      res.status(204);
      return undefined;
    }
    // A job started for a caller that is gone (or whose answer never got out) is given back,
    // for this prover's next poll: it must not sit RUNNING with nobody working on it.
    const giveBack = () => void this.giveBack(job.network_job_id, proverId);
    if (abort.signal.aborted) {
      giveBack();
      return undefined;
    }
    res.raw.once('close', () => {
      if (!res.raw.writableFinished) giveBack();
    });
    res.status(200);
    return presentJobToRun(job);
  }

  @Post(':prover_id/drain')
  @Roles('admin', 'prover')
  @HttpCode(200)
  @ApiOperation({ operationId: 'provers.drain', summary: 'No new assignments for this prover; what it holds finishes' })
  @ApiOkResponse({ type: ProverResponseDto, description: 'the prover, draining' })
  @ApiErrors(ErrorCode.ProverNotFound)
  async drain(
    @Param('prover_id') proverId: string,
    @CurrentPrincipal() principal: Principal,
    @Body() _body: NoFieldsRequestDto,
  ) {
    return this.endpoints.drain(proverId, principal);
  }

  @Post(':prover_id/resume')
  @Roles('admin', 'prover')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'provers.resume',
    summary: 'Undo a drain: the scheduler may assign this prover new jobs again',
  })
  @ApiOkResponse({ type: ProverResponseDto, description: 'the prover, active' })
  @ApiErrors(ErrorCode.ProverNotFound)
  async resume(
    @Param('prover_id') proverId: string,
    @CurrentPrincipal() principal: Principal,
    @Body() _body: NoFieldsRequestDto,
  ) {
    return this.endpoints.resume(proverId, principal);
  }

  private async giveBack(jobId: string, proverId: string): Promise<void> {
    try {
      if (await this.commands.execute(new ReleaseStartCommand(jobId, proverId))) this.wakeups.wakeOne(proverId);
    } catch (error) {
      // The job stays RUNNING: the liveness and wall-clock timeouts still end it.
      this.logger.error(
        { err: error, network_job_id: jobId, prover_id: proverId },
        'could not give back an undelivered job',
      );
    }
  }
}
