import { Injectable } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ControlLog, controlActor, essentialFields, type Principal } from '@tally/auth';
import { Clock, ForbiddenError, InvalidRequestError, TallyEnv } from '@tally/shared';
import { DrainProverCommand } from '../commands/drain-prover/drain-prover.command';
import { JobWakeups } from '../commands/poll-job/job-wakeups';
import { RecordHeartbeatCommand } from '../commands/record-heartbeat/record-heartbeat.command';
import { RegisterProverCommand } from '../commands/register-prover/register-prover.command';
import { ResumeProverCommand } from '../commands/resume-prover/resume-prover.command';
import { GetProverQuery } from '../queries/get-prover/get-prover.query';
import { ProverStakeQuery } from '../queries/prover-stake/prover-stake.query';
import { ScoreHistoryQuery } from '../queries/score-history/score-history.query';
import {
  type HeartbeatRequestDto,
  PROVER_ID,
  type RegisterProverRequestDto,
  SCORE_HISTORY_LIMIT_DEFAULT,
} from './dto/provers.request.dto';
import { presentCapabilities, presentProver, presentScoreHistory, presentStake } from './prover.presenter';

/** A prover key acts for its own id only; admins (where allowed) for any. */
export function assertActsFor(principal: Principal, proverId: string): void {
  if (principal.role === 'admin') return;
  if (principal.role !== 'prover' || principal.subject !== proverId) {
    throw new ForbiddenError('a prover key may act for its own prover id only');
  }
}

/** A prover id from a path (or a gRPC request), checked as the body's prover_id is. */
export function checkProverId(proverId: string): string {
  if (!PROVER_ID.test(proverId)) {
    throw new InvalidRequestError('prover_id must be 1-128 characters of A-Z a-z 0-9 . _ : @ -', {
      field: 'prover_id',
    });
  }
  return proverId;
}

/**
 * The prover use cases as both transports (the REST controller, the gRPC service) run them,
 * from a validated request DTO and the caller: one behaviour, two transports.
 */
@Injectable()
export class ProverEndpoints {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
    private readonly env: TallyEnv,
    private readonly clock: Clock,
    private readonly wakeups: JobWakeups,
    private readonly controlLog: ControlLog,
  ) {}

  /** `created`: a new prover (REST answers 201 and its Location), else a replaced profile. */
  async register(dto: RegisterProverRequestDto, principal: Principal) {
    assertActsFor(principal, dto.prover_id);
    const register = () =>
      this.commands.execute(
        new RegisterProverCommand({
          proverId: dto.prover_id,
          hardwareProfile: dto.hardware_profile,
          capabilities: dto.capabilities,
          region: dto.region ?? null,
          maxConcurrency: dto.max_concurrency ?? 1,
          alive: principal.role === 'prover',
        }),
      );
    // An admin registering a prover is a control action (DSE §7.4), by REST or gRPC; a prover registering itself is not.
    const fields = { prover_id: dto.prover_id, region: dto.region ?? null, max_concurrency: dto.max_concurrency ?? 1 };
    const { prover, created } =
      principal.role === 'admin'
        ? await this.controlLog.run(
            { actor: controlActor(principal), action: 'provers.register', fields: essentialFields(undefined, fields) },
            register,
          )
        : await register();
    return { body: { ...this.present(prover), ...presentCapabilities(prover) }, created };
  }

  heartbeat(proverId: string, dto: HeartbeatRequestDto, principal: Principal) {
    assertActsFor(principal, checkProverId(proverId));
    return this.commands.execute(
      new RecordHeartbeatCommand(proverId, {
        loadFactor: dto.load_factor,
        hardwareProfile: dto.hardware_profile,
        capabilities: dto.capabilities,
        latencyMs: dto.latency_ms,
        runningJobs: dto.running_jobs,
      }),
    );
  }

  /** A prover with its stake (micros: bonded, unbonding, slashed and earned to date). */
  async get(proverId: string, principal: Principal) {
    assertActsFor(principal, checkProverId(proverId));
    const prover = this.present(await this.queries.execute(new GetProverQuery(proverId)));
    return { ...prover, stake: presentStake(await this.queries.execute(new ProverStakeQuery(proverId))) };
  }

  async capabilities(proverId: string, principal: Principal) {
    assertActsFor(principal, checkProverId(proverId));
    const { hardware_profile, supported_features } = presentCapabilities(
      await this.queries.execute(new GetProverQuery(proverId)),
    );
    return { prover_id: proverId, hardware_profile, supported_features };
  }

  /** The prover's latest scores, oldest first: `limit` (validated text) of them, 100 by default. */
  async scoreHistory(proverId: string, limit: string | undefined, principal: Principal) {
    assertActsFor(principal, checkProverId(proverId));
    const rows = await this.queries.execute(
      new ScoreHistoryQuery(proverId, limit === undefined ? SCORE_HISTORY_LIMIT_DEFAULT : Number(limit)),
    );
    return presentScoreHistory(proverId, rows);
  }

  async drain(proverId: string, principal: Principal) {
    assertActsFor(principal, checkProverId(proverId));
    const drained = this.present(
      await this.controlLog.run(this.controlAction('provers.drain', principal, proverId), () =>
        this.commands.execute(new DrainProverCommand(proverId)),
      ),
    );
    // The prover's assignment streams on this replica say so at once (others on their next read).
    this.wakeups.wakeWatchers(proverId);
    return drained;
  }

  async resume(proverId: string, principal: Principal) {
    assertActsFor(principal, checkProverId(proverId));
    const resumed = this.present(
      await this.controlLog.run(this.controlAction('provers.resume', principal, proverId), () =>
        this.commands.execute(new ResumeProverCommand(proverId)),
      ),
    );
    // Its streams on this replica see it active again, so a later drain is told anew.
    this.wakeups.wakeWatchers(proverId);
    return resumed;
  }

  /** Drain and resume are control actions (DSE §7.4), by REST or gRPC, by an admin or the prover itself. */
  private controlAction(action: string, principal: Principal, proverId: string) {
    return { actor: controlActor(principal), action, fields: essentialFields({ prover_id: proverId }, undefined) };
  }

  present(prover: Parameters<typeof presentProver>[0]) {
    return presentProver(prover, this.clock.now(), {
      livenessTtlMs: this.env.PROVER_LIVENESS_TTL_MS,
      decayHalfLifeMs: this.env.SCORE_DECAY_HALF_LIFE_MS,
      idleAfterMs: this.env.SCORE_IDLE_AFTER_MS,
    });
  }
}
