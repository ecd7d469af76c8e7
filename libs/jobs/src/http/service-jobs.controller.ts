import { Controller, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiHeader, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentPrincipal, Principal, Roles } from '@tally/auth';
import { ServiceRegistry } from '@tally/services';
import { ApiErrors, canonicalJson, ErrorCode, InvalidRequestError, PayloadTooLargeError } from '@tally/shared';
import { ServiceJobQueryDto, SubmitJobRequestDto } from './dto/jobs.request.dto';
import { ServiceJobResponseDto } from './dto/jobs.response.dto';
import { JobEndpoints } from './job-endpoints';

/** A typed request's body, as canonical JSON, at most (the job payload it becomes is stored and sent to provers). */
export const SERVICE_BODY_MAX_BYTES = 1024 * 1024;
/** `{service}`: the registry id before its last hyphen; `{action}`: the last segment, without hyphens. */
const SERVICE_SEGMENT = /^[a-z0-9._-]{1,63}$/;
const ACTION_SEGMENT = /^[a-z0-9_]{1,63}$/;

/**
 * The registry id a typed route names: `POST /v1/services/{service}/{action}` is the service
 * `<service>-<action>` (whisper/transcribe → whisper-transcribe, stable-diffusion/generate →
 * stable-diffusion-generate). The action has no hyphen, so each id with one has one route:
 * its id split at the last hyphen.
 */
export function serviceIdOf(service: string, action: string): string {
  if (!SERVICE_SEGMENT.test(service) || service === '.' || service === '..') {
    throw new InvalidRequestError('{service} must be 1-63 characters of a-z 0-9 . _ -', { field: 'service' });
  }
  if (!ACTION_SEGMENT.test(action)) {
    throw new InvalidRequestError('{action} must be 1-63 characters of a-z 0-9 _ (no hyphen)', { field: 'action' });
  }
  const id = `${service}-${action}`;
  if (id.length > 64)
    throw new InvalidRequestError('{service}-{action} must be at most 64 characters', { field: 'action' });
  return id;
}

@ApiTags('services')
@Controller('services')
export class ServiceJobsController {
  constructor(
    private readonly registry: ServiceRegistry,
    private readonly endpoints: JobEndpoints,
  ) {}

  @Post(':service/:action')
  @Roles('client')
  @ApiParam({ name: 'service', example: 'stable-diffusion', description: "the registry id before its last '-'" })
  @ApiParam({ name: 'action', example: 'generate', description: "the registry id's last segment" })
  @ApiOperation({
    operationId: 'services.submit',
    summary: "Submit a typed service request: validated by the service's input schema, priced, held, run as a job",
    description:
      "The body is the service's input (GET /v1/registry/services/{id}/schema), checked against its input_schema " +
      "(DSE-001, each error `field` a JSON pointer into the body). Its units are read by the service's units_rule " +
      'and priced by its schedule; the job is then submitted as POST /v1/jobs/submit would (the body as payload, ' +
      'the same hold, scheduling, receipts, settlement and Idempotency-Key handling). A service with no units_rule ' +
      'has no typed endpoint (DSE-015, as an unknown one).',
  })
  @ApiBody({ schema: { type: 'object', additionalProperties: true }, description: "the service's input" })
  @ApiCreatedResponse({ type: ServiceJobResponseDto, description: 'the job, PENDING, with its estimate and hold' })
  @ApiErrors(
    ErrorCode.InsufficientCredits,
    ErrorCode.AccountNotFound,
    ErrorCode.CostCeilingExceeded,
    ErrorCode.IdempotencyConflict,
    ErrorCode.NotFound,
  )
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: "the job's client_job_id: the same request again returns the same job (another body: DSE-009)",
  })
  async submit(
    @Param('service') service: string,
    @Param('action') action: string,
    @Query() query: ServiceJobQueryDto,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) res: FastifyReply,
    @Req() req: FastifyRequest, // the raw body and optional header: the body is the service's, not a DTO
  ) {
    const id = serviceIdOf(service, action);
    const body = req.body ?? {};
    if (Buffer.byteLength(canonicalJson(body), 'utf8') > SERVICE_BODY_MAX_BYTES) {
      throw new PayloadTooLargeError(
        `a typed service request's body is at most ${SERVICE_BODY_MAX_BYTES} bytes (1 MB)`,
      );
    }
    const replicas = query.replicas === undefined ? 1 : Number(query.replicas);
    const priced = await this.registry.priceRequest(id, body, replicas);
    const dto: SubmitJobRequestDto = {
      payload: body,
      max_cost_micros: query.max_cost_micros ?? priced.estimateMicros.toString(),
      service: id,
      units: priced.units,
      replicas,
      ...(query.priority && { priority: query.priority }),
    };
    const submitted = await this.endpoints.submit(dto, principal, req.headers['idempotency-key']);
    if (submitted.replayed) res.header('Idempotent-Replayed', 'true');
    res.status(201);
    return {
      ...submitted.body,
      service: id,
      service_version: String(priced.schedule.version),
      units: priced.units,
      unit: priced.schedule.unit,
      estimate_micros: priced.estimateMicros.toString(),
      held_micros: submitted.body.held_micros,
    };
  }
}
