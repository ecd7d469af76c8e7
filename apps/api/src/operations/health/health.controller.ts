import { Controller, Get, HttpStatus, Res, ServiceUnavailableException, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { Public, Roles } from '@tally/auth';
import { DependencyProbes, DependencyReport } from './dependency-probes';
import { HealthDetailsResponseDto } from './health-details.response.dto';

export { READY_CHECK_TIMEOUT_MS } from './dependency-probes';

/** What a 503 from /ready tells a client or load balancer to wait before asking again. */
export const READY_RETRY_AFTER_SECONDS = 5;

/**
 * Liveness, readiness (terminus) and the admin's view of every dependency. Not ready
 * answers 503 with Retry-After and terminus's JSON body, which names the failing check;
 * during a graceful shutdown both answer 503 `shutting_down`.
 */
@ApiTags('operations')
@Controller({ version: VERSION_NEUTRAL })
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly probes: DependencyProbes,
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
   * Readiness: the database answers a query, every known migration is applied, and the
   * scheduler's and settlement's loops each completed a run recently. With a broker,
   * `events` tells its state (`degraded` while it is away), never failing the check.
   */
  @Get('ready')
  @Public()
  @HealthCheck()
  @ApiOperation({
    operationId: 'operations.ready',
    summary: 'Readiness: database, migrations, scheduler and settlement loops alive; broker state',
    security: [],
  })
  async ready(@Res({ passthrough: true }) res: FastifyReply): Promise<HealthCheckResult> {
    const reports = await this.probes.check();
    return this.answer(
      res,
      reports.filter((r) => r.state !== 'off').map((r) => () => this.indicator(r)),
    );
  }

  /** Each dependency's state and last error, for an operator: what /ready decides from. */
  @Get('health/details')
  @Roles('admin')
  @ApiOperation({
    operationId: 'operations.healthDetails',
    summary: "Each dependency's state and last error (what /ready decides from)",
  })
  @ApiOkResponse({ type: HealthDetailsResponseDto })
  async details(): Promise<HealthDetailsResponseDto> {
    const dependencies = await this.probes.check();
    return {
      status: dependencies.some(isBlocking) ? 'not_ready' : 'ready',
      checked_at: new Date().toISOString(),
      dependencies,
    };
  }

  /** One report as a terminus indicator: only a critical dependency that is down fails it. */
  private indicator(r: DependencyReport) {
    const check = this.indicators.check(r.name);
    if (r.name === 'events') return check.up({ transport: 'nats', state: r.state });
    if (!r.critical) return check.up({ state: r.state });
    return isBlocking(r) ? check.down({ message: r.message }) : check.up();
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
      res.header('Retry-After', String(READY_RETRY_AFTER_SECONDS));
      return error.getResponse() as HealthCheckResult;
    }
  }
}

function isBlocking(r: DependencyReport): boolean {
  return r.critical && r.state === 'down';
}
