import { Controller, Get, HttpStatus, Res, ServiceUnavailableException, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { Public } from '@tally/auth';
import { BrokerRelay } from '@tally/database';
import { DatabaseProbe } from './database-probe';

/** How long /ready waits for the database before calling it down. */
export const READY_CHECK_TIMEOUT_MS = 2_000;

/**
 * Liveness and readiness (terminus). Not ready answers 503 with terminus's JSON body,
 * which names the failing check; during a graceful shutdown both answer 503
 * `shutting_down`.
 */
@ApiTags('operations')
@Controller({ version: VERSION_NEUTRAL })
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly database: DatabaseProbe,
    private readonly broker: BrokerRelay,
  ) {}

  /** Liveness: the process serves HTTP. Touches nothing else, so a slow database never restarts it. */
  @Get('health')
  @Public()
  @HealthCheck()
  @ApiOperation({ operationId: 'operations.health', summary: 'Liveness', security: [] })
  live(@Res({ passthrough: true }) res: FastifyReply): Promise<HealthCheckResult> {
    return this.answer(res, []);
  }

  /**
   * Readiness: the database answers a query and every known migration is applied. With a
   * broker, `events` tells its state (`degraded` while it is away), never failing the check.
   */
  @Get('ready')
  @Public()
  @HealthCheck()
  @ApiOperation({
    operationId: 'operations.ready',
    summary: 'Readiness: database reachable and all migrations applied',
    security: [],
  })
  ready(@Res({ passthrough: true }) res: FastifyReply): Promise<HealthCheckResult> {
    return this.answer(res, [
      () =>
        this.indicators
          .check('database')
          .attempt(() => this.database.ping())
          .withTimeout(READY_CHECK_TIMEOUT_MS),
      () =>
        this.indicators
          .check('migrations')
          .attempt(async () => {
            if (!(await this.database.migrationsApplied())) throw new Error('migrations are pending');
          })
          .withTimeout(READY_CHECK_TIMEOUT_MS),
      // The broker never makes the service unready: while it is away, events wait in the outbox.
      ...(this.broker.enabled
        ? [() => this.indicators.check('events').up({ transport: 'nats', state: this.broker.state })]
        : []),
    ]);
  }

  /** A failed check is an answer, not an error: 503 with the check results as JSON. */
  private async answer(
    res: FastifyReply,
    checks: Parameters<HealthCheckService['check']>[0],
  ): Promise<HealthCheckResult> {
    try {
      return await this.health.check(checks);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      res.status(HttpStatus.SERVICE_UNAVAILABLE);
      return error.getResponse() as HealthCheckResult;
    }
  }
}
