import { ApiExtraModels, ApiProperty, getSchemaPath } from '@nestjs/swagger';
import { JOB_STATUSES, PRIORITIES, REPLICA_STATUSES } from '../../domain';

const INT64 = { type: String, format: 'int64' } as const;
const NULLABLE_INT64 = { ...INT64, nullable: true } as const;
const NULLABLE_TIME = { type: String, format: 'date-time', nullable: true } as const;
const OBJECT = { type: 'object', additionalProperties: true } as const;

export class AssignmentResponseDto {
  @ApiProperty() prover_id: string;
  @ApiProperty({ enum: REPLICA_STATUSES }) status: string;
  @ApiProperty({ type: Boolean, nullable: true, description: 'null until reported' }) success: boolean | null;
  @ApiProperty(NULLABLE_INT64) final_cost_micros: string | null;
  @ApiProperty({ type: String, nullable: true }) result_hash: string | null;
  @ApiProperty(NULLABLE_INT64) reward_micros: string | null;
}

export class JobTimestampsResponseDto {
  @ApiProperty({ format: 'date-time' }) submitted_at: string;
  @ApiProperty(NULLABLE_TIME) assigned_at: string | null;
  @ApiProperty(NULLABLE_TIME) started_at: string | null;
  @ApiProperty(NULLABLE_TIME) completed_at: string | null;
  @ApiProperty(NULLABLE_TIME) failed_at: string | null;
  @ApiProperty(NULLABLE_TIME) cancelled_at: string | null;
  @ApiProperty(NULLABLE_TIME) audited_at: string | null;
}

export class PendingRewardResponseDto {
  @ApiProperty() prover_id: string;
  @ApiProperty(INT64) reward_micros: string;
}

/** A job's dispute window (docs/economics.md, Disputes). */
export class JobDisputeResponseDto {
  @ApiProperty({ format: 'date-time', description: 'when the window closes (or closed: a resolution closes it)' })
  closes_at: string;
  @ApiProperty({
    type: [PendingRewardResponseDto],
    description: "the rewards still held for the job's provers; empty once released or voided",
  })
  pending_rewards: PendingRewardResponseDto[];
  @ApiProperty(NULLABLE_TIME) disputed_at: string | null;
  @ApiProperty({ type: String, nullable: true, description: "the client's reason" }) reason: string | null;
  @ApiProperty(NULLABLE_TIME) resolved_at: string | null;
  @ApiProperty({ type: String, enum: ['uphold', 'refund'], nullable: true }) outcome: string | null;
  @ApiProperty({ ...NULLABLE_INT64, description: 'what the resolution refunded the client (refund only)' })
  refund_micros: string | null;
}

/** A job as presentJob writes it. */
@ApiExtraModels(JobDisputeResponseDto)
export class JobResponseDto {
  @ApiProperty(INT64) network_job_id: string;
  @ApiProperty({ type: String, nullable: true }) client_job_id: string | null;
  @ApiProperty() client_id: string;
  @ApiProperty({ enum: JOB_STATUSES }) status: string;
  @ApiProperty({ enum: PRIORITIES }) priority: string;
  @ApiProperty({ type: 'integer' }) replicas: number;
  @ApiProperty({ type: String, nullable: true, description: 'the registry service that prices it' })
  service: string | null;
  @ApiProperty({ ...INT64, nullable: true, description: "the version of the service's schedule it was priced with" })
  service_version: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'units of the service, a decimal string' })
  units: string | null;
  @ApiProperty(OBJECT) requirements: Record<string, unknown>;
  @ApiProperty({
    description: 'with one replica its prover (or null); with several, the list of provers',
    oneOf: [
      { type: 'string', nullable: true },
      { type: 'array', items: { type: 'string' } },
    ],
  })
  assigned_prover: string | null | string[];
  @ApiProperty({ type: [AssignmentResponseDto] }) assignments: AssignmentResponseDto[];
  @ApiProperty(INT64) max_cost_micros: string;
  @ApiProperty(INT64) held_micros: string;
  @ApiProperty(NULLABLE_INT64) final_cost_micros: string | null;
  @ApiProperty(NULLABLE_INT64) refunded_micros: string | null;
  @ApiProperty(NULLABLE_INT64) platform_fee_micros: string | null;
  @ApiProperty({ type: String, nullable: true }) error_message: string | null;
  @ApiProperty(INT64) version: string;
  @ApiProperty({ type: JobTimestampsResponseDto }) timestamps: JobTimestampsResponseDto;
  @ApiProperty({
    // A $ref cannot be nullable beside it in OpenAPI 3.0: the ref goes in allOf.
    allOf: [{ $ref: getSchemaPath(JobDisputeResponseDto) }],
    nullable: true,
    description: "its dispute window; null when the job's rewards were paid at settlement (no window)",
  })
  dispute: JobDisputeResponseDto | null;
}

export class SubmitJobResponseDto {
  @ApiProperty(INT64) network_job_id: string;
  @ApiProperty({ enum: ['PENDING'] }) status: string;
  @ApiProperty(INT64) held_micros: string;
}

export class ReportResultResponseDto {
  @ApiProperty(INT64) network_job_id: string;
  @ApiProperty({
    enum: ['COMPLETED', 'FAILED', 'AWAITING_REPLICAS'],
    description: 'AWAITING_REPLICAS: other replicas have still to report',
  })
  outcome: string;
  @ApiProperty(NULLABLE_INT64) final_cost_micros: string | null;
  @ApiProperty(NULLABLE_INT64) reward_micros: string | null;
  @ApiProperty(NULLABLE_INT64) refunded_micros: string | null;
}

/** A job as its prover receives it to run. */
export class JobToRunResponseDto {
  @ApiProperty(INT64) network_job_id: string;
  @ApiProperty({ description: 'as the client sent it: a JSON value, or base64 text (payload_encoding)' })
  payload: unknown;
  @ApiProperty({ enum: ['json', 'base64'] }) payload_encoding: string;
  @ApiProperty(INT64) max_cost_micros: string;
  @ApiProperty({ enum: PRIORITIES }) priority: string;
  @ApiProperty({ type: 'integer' }) replicas: number;
  @ApiProperty(OBJECT) requirements: Record<string, unknown>;
  @ApiProperty({ type: String, nullable: true }) service: string | null;
  @ApiProperty({ type: String, nullable: true }) units: string | null;
}

export class JobTransitionResponseDto {
  @ApiProperty({ enum: JOB_STATUSES, description: 'the status the job entered' }) status: string;
  @ApiProperty({ format: 'date-time' }) at: string;
}

export class TimelineAssignmentResponseDto {
  @ApiProperty() prover_id: string;
  @ApiProperty({ type: 'integer', description: "the replica's number, from 1" }) replica: number;
  @ApiProperty({ enum: REPLICA_STATUSES }) status: string;
  @ApiProperty({ format: 'date-time' }) assigned_at: string;
  @ApiProperty(NULLABLE_TIME) started_at: string | null;
  @ApiProperty(NULLABLE_TIME) reported_at: string | null;
  @ApiProperty({ type: String, nullable: true }) result_hash: string | null;
}

export class JobRewardResponseDto {
  @ApiProperty() prover_id: string;
  @ApiProperty(INT64) amount_micros: string;
}

export class JobMoneyResponseDto {
  @ApiProperty({ ...INT64, description: 'held in escrow at submit' }) held_micros: string;
  @ApiProperty({ ...INT64, description: 'captured from the hold (0 until settled, or when refunded in full)' })
  captured_micros: string;
  @ApiProperty({ ...INT64, description: "the platform's part of what was captured" }) fee_micros: string;
  @ApiProperty({ ...INT64, description: 'released back to the client' }) refunded_micros: string;
  @ApiProperty({ type: [JobRewardResponseDto], description: "the provers' parts of what was captured" })
  rewards: JobRewardResponseDto[];
}

export class JobTimelineResponseDto {
  @ApiProperty(INT64) network_job_id: string;
  @ApiProperty({ enum: JOB_STATUSES }) status: string;
  @ApiProperty({ type: [JobTransitionResponseDto], description: 'from submit, oldest first' })
  transitions: JobTransitionResponseDto[];
  @ApiProperty({ type: [TimelineAssignmentResponseDto] }) assignments: TimelineAssignmentResponseDto[];
  @ApiProperty({ type: JobMoneyResponseDto }) money: JobMoneyResponseDto;
}

/** A job in the admin listing: its money and times, without its replicas. */
export class JobSummaryResponseDto {
  @ApiProperty(INT64) network_job_id: string;
  @ApiProperty() client_id: string;
  @ApiProperty({ type: String, nullable: true }) client_job_id: string | null;
  @ApiProperty({ enum: JOB_STATUSES }) status: string;
  @ApiProperty({ enum: PRIORITIES }) priority: string;
  @ApiProperty({ type: 'integer' }) replicas: number;
  @ApiProperty(INT64) max_cost_micros: string;
  @ApiProperty(INT64) held_micros: string;
  @ApiProperty(NULLABLE_INT64) final_cost_micros: string | null;
  @ApiProperty(NULLABLE_INT64) refunded_micros: string | null;
  @ApiProperty({ format: 'date-time' }) submitted_at: string;
  @ApiProperty(NULLABLE_TIME) completed_at: string | null;
  @ApiProperty(NULLABLE_TIME) failed_at: string | null;
  @ApiProperty(NULLABLE_TIME) cancelled_at: string | null;
  @ApiProperty(NULLABLE_TIME) audited_at: string | null;
}

export class JobPageResponseDto {
  @ApiProperty({ type: [JobSummaryResponseDto] }) items: JobSummaryResponseDto[];
  @ApiProperty({ type: String, nullable: true, description: 'the cursor of the next page; null on the last' })
  next_cursor: string | null;
}

export class JobStatsResponseDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    description: 'how many jobs are in each status (statuses with none are left out)',
    example: { PENDING: 2, COMPLETED: 40 },
  })
  jobs_by_status: Record<string, number>;
  @ApiProperty({ ...NULLABLE_INT64, description: 'held in escrow' }) escrow_micros: string | null;
  @ApiProperty({ ...NULLABLE_INT64, description: 'credits minted and not burned' }) total_supply_micros: string | null;
  @ApiProperty(NULLABLE_INT64) platform_balance_micros: string | null;
}

/** A typed service request, submitted as a job (POST /v1/services/{service}/{action}). */
export class ServiceJobResponseDto {
  @ApiProperty(INT64) network_job_id: string;
  @ApiProperty({ enum: ['PENDING'] }) status: string;
  @ApiProperty({ example: 'llm-inference', description: 'the registry service: `<service>-<action>`' })
  service: string;
  @ApiProperty({ ...INT64, description: "the version of the service's schedule the estimate was priced with" })
  service_version: string;
  @ApiProperty({ example: '256', description: "the units the body asks for (by the service's units_rule)" })
  units: string;
  @ApiProperty({ example: 'token' }) unit: string;
  @ApiProperty({ ...INT64, description: 'the estimated cost of all replicas, in micro-credits' })
  estimate_micros: string;
  @ApiProperty({ ...INT64, description: 'what is held in escrow for the job (the estimate)' })
  held_micros: string;
}

export class FieldErrorResponseDto {
  @ApiProperty({ example: '/output_tokens', description: 'a JSON pointer into the result' }) field: string;
  @ApiProperty() message: string;
}

/** The result a job's majority agreed on (GET /v1/jobs/{id}/result). */
export class JobResultResponseDto {
  @ApiProperty(INT64) network_job_id: string;
  @ApiProperty({ type: String, nullable: true }) service: string | null;
  @ApiProperty(NULLABLE_INT64) service_version: string | null;
  @ApiProperty({ type: String, nullable: true, description: "the majority's result hash" })
  result_hash: string | null;
  @ApiProperty({
    ...OBJECT,
    nullable: true,
    description: "the service's result fields, as a majority replica's prover reported them (null: none did)",
  })
  result: Record<string, unknown> | null;
  @ApiProperty({ description: "whether result satisfies the service's result_schema at the job's service_version" })
  result_valid: boolean;
  @ApiProperty({ type: [FieldErrorResponseDto], description: 'why not, when result_valid is false' })
  result_errors: FieldErrorResponseDto[];
  @ApiProperty({ type: [String], description: 'the provers whose results agreed' }) provers: string[];
  @ApiProperty(NULLABLE_INT64) final_cost_micros: string | null;
  @ApiProperty(NULLABLE_TIME) completed_at: string | null;
}

/** A metered job's usage as it stands after a report (the same count again answers the same). */
export class ReportUsageResponseDto {
  @ApiProperty(INT64) network_job_id: string;
  @ApiProperty({ description: 'the cumulative units reported so far' }) units: string;
  @ApiProperty({ ...INT64, description: 'what the usage has cost in all: captured from the hold' })
  metered_micros: string;
  @ApiProperty({ ...INT64, description: 'what of it the prover has been paid' }) reward_micros: string;
  @ApiProperty({ ...INT64, description: 'what is still held for the rest of the job' }) held_micros: string;
}
