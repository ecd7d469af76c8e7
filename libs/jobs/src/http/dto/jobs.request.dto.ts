import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsObject,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateBy,
} from 'class-validator';
import { AsSent, IDENTIFIER_MESSAGE, IDENTIFIER_PATTERN, IfPresent, Int64Field, PageQueryDto } from '@tally/shared';
import { JOB_STATUSES, PRIORITIES, requirementsProblem } from '../../domain';

const ID = IDENTIFIER_PATTERN;
const ID_MESSAGE = IDENTIFIER_MESSAGE;

/** `requirements` a prover can meet (see requirementsProblem), with the reason when not. */
const IsProverRequirements = () =>
  ValidateBy({
    name: 'isProverRequirements',
    validator: {
      validate: (value: unknown) => requirementsProblem(value) === null,
      defaultMessage: (args) => requirementsProblem(args?.value) ?? 'requirements are not valid',
    },
  });

export class SubmitJobRequestDto {
  @ApiPropertyOptional({ description: 'your id for the job: resubmitting the same body returns the same job' })
  @IfPresent()
  @Matches(ID, { message: ID_MESSAGE })
  client_job_id?: string;

  @ApiProperty({ description: 'opaque JSON, or base64 bytes with payload_encoding "base64"' })
  @AsSent()
  @IsDefined()
  payload: unknown;

  @ApiPropertyOptional({ enum: ['json', 'base64'], default: 'json' })
  @IfPresent()
  @IsIn(['json', 'base64'])
  payload_encoding?: 'json' | 'base64';

  @ApiProperty({
    example: '5000000',
    description: 'the cost ceiling in micro-credits: a decimal string, or a JSON integer',
  })
  @Int64Field({ min: 1n })
  max_cost_micros: string;

  @ApiPropertyOptional({ enum: PRIORITIES, default: 'NORMAL' })
  @IfPresent()
  @IsIn(PRIORITIES)
  priority?: (typeof PRIORITIES)[number];

  @ApiPropertyOptional({ description: 'a registry service id' })
  @IfPresent()
  @Matches(/^[a-z0-9._-]{1,64}$/, { message: 'service must be a registry service id' })
  service?: string;

  @ApiPropertyOptional({ example: '120', description: 'units of the service (decimal string)' })
  @IfPresent()
  @Matches(/^(0|[1-9]\d{0,17})(\.\d{1,6})?$/, {
    message: 'units must be a decimal string with at most 6 fractional digits',
  })
  units?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { gpu_count: 1, supported_kernels: ['msm'], zk_acceleration: { groth16: true } },
    description:
      'what the prover must have, by its registered attributes: numbers are minimums (gpu_count, ram_gb, …), ' +
      'flags must be true (supports_fp16, …), names must match (region, gpu_model, …), kernels and zk features ' +
      'must all be supported; also grouped under hardware_profile or capabilities',
  })
  @AsSent()
  @IfPresent()
  @IsObject({ message: 'requirements must be an object' })
  @IsProverRequirements()
  requirements?: Record<string, unknown>;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 7, default: 1 })
  @IfPresent()
  @IsInt()
  @Min(1)
  @Max(7)
  replicas?: number;
}

/**
 * A field that only one outcome may carry: a success has no error_message, a failure (a
 * full refund) no final_cost_micros or result_hash. A report with both says two things.
 */
const OnlyOnSuccess = (success: boolean) =>
  ValidateBy({
    name: success ? 'onlyOnSuccess' : 'onlyOnFailure',
    validator: {
      validate: (_value: unknown, args) => (args?.object as { success?: unknown }).success !== !success,
      defaultMessage: () => `$property must be left out when success is ${!success}`,
    },
  });

/** A client's dispute of its COMPLETED job, within the job's dispute window. */
export class DisputeJobRequestDto {
  @ApiProperty({ example: 'the result does not match the input', minLength: 1, maxLength: 2000 })
  @IsDefined()
  @IsString()
  @Matches(/\S/, { message: 'reason must not be blank' })
  @MaxLength(2000)
  reason: string;
}

/** An admin's resolution of a DISPUTED job. */
export class ResolveDisputeRequestDto {
  @ApiProperty({
    enum: ['uphold', 'refund'],
    description:
      "uphold: the job's pending rewards are paid; refund: they are voided, the client is refunded and the provers " +
      "of the accepted result slashed by the service's slash_dispute_bps",
  })
  @IsDefined()
  @IsIn(['uphold', 'refund'], { message: 'outcome must be "uphold" or "refund"' })
  outcome: 'uphold' | 'refund';

  @ApiPropertyOptional({
    example: '1000000',
    description:
      "refund only: what the client gets back from the platform, 0 to the job's final cost (left out: the whole " +
      'final cost), in micro-credits',
  })
  @IfPresent()
  @Int64Field({ min: 0n })
  refund_micros?: string;
}

/** A metered job's usage, as its prover reports it (the count so far, never the increment). */
export class ReportUsageRequestDto {
  @ApiProperty({
    example: '120.5',
    description: "the cumulative units used so far, a decimal string as the job's units at submit",
  })
  @IsDefined()
  @IsString()
  @Matches(/^(0|[1-9]\d{0,17})(\.\d{1,6})?$/, {
    message: 'units must be a decimal string with at most 18 integer and 6 fractional digits',
  })
  units: string;

  @ApiProperty({ enum: [true], description: 'always true: units is the count so far' })
  @IsDefined()
  @IsIn([true], { message: 'cumulative must be true: units is the count so far' })
  cumulative: true;
}

export class ReportResultRequestDto {
  @ApiProperty()
  @IsBoolean()
  success: boolean;

  @ApiPropertyOptional({
    example: '1200000',
    description: 'successes only: what the job cost, in micro-credits (a decimal string, or a JSON integer)',
  })
  @IfPresent()
  @OnlyOnSuccess(true)
  @Int64Field({ min: 1n })
  final_cost_micros?: string;

  @ApiPropertyOptional({ maxLength: 2048, description: 'failures only: what went wrong' })
  @IfPresent()
  @OnlyOnSuccess(false)
  @IsString()
  @MaxLength(2048)
  error_message?: string;

  @ApiPropertyOptional({ description: 'successes only: hash of the result; required for replicated jobs' })
  @IfPresent()
  @OnlyOnSuccess(true)
  @Matches(/^[A-Za-z0-9:_-]{1,128}$/, { message: 'result_hash must be 1-128 characters of A-Z a-z 0-9 : _ -' })
  result_hash?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { output_tokens: 212, finish_reason: 'stop' },
    description:
      "successes only: the service's result fields (its result_schema), at most 64 KB of canonical JSON; " +
      "the client reads the majority's at GET /v1/jobs/{id}/result",
  })
  @AsSent()
  @IfPresent()
  @OnlyOnSuccess(true)
  @IsObject({ message: 'result_metadata must be an object' })
  result_metadata?: Record<string, unknown>;
}

export class AssignJobRequestDto {
  @ApiPropertyOptional()
  @IfPresent()
  @Matches(ID, { message: ID_MESSAGE })
  prover_id?: string;

  @ApiPropertyOptional({ type: [String] })
  @IfPresent()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(7)
  @Matches(ID, { each: true, message: ID_MESSAGE })
  prover_ids?: string[];
}

export class ListJobsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: JOB_STATUSES })
  @IfPresent()
  @IsIn(JOB_STATUSES)
  status?: string;

  @ApiPropertyOptional()
  @IfPresent()
  @Matches(ID, { message: ID_MESSAGE })
  client_id?: string;

  @ApiPropertyOptional()
  @IfPresent()
  @Matches(ID, { message: ID_MESSAGE })
  prover_id?: string;

  @ApiPropertyOptional()
  @IfPresent()
  @IsString()
  from?: string;

  @ApiPropertyOptional()
  @IfPresent()
  @IsString()
  to?: string;
}

/** How a typed service request runs: its body is the service's input, these are the job's terms. */
export class ServiceJobQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 7, default: 1 })
  @IfPresent()
  @Matches(/^[1-7]$/, { message: 'replicas must be an integer from 1 to 7' })
  replicas?: string;

  @ApiPropertyOptional({ enum: PRIORITIES, default: 'NORMAL' })
  @IfPresent()
  @IsIn(PRIORITIES)
  priority?: (typeof PRIORITIES)[number];

  @ApiPropertyOptional({
    format: 'int64',
    description: 'the cost ceiling in micro-credits; default: the estimate (a higher estimate is DSE-013)',
  })
  @IfPresent()
  @Matches(/^[1-9][0-9]{0,18}$/, { message: 'max_cost_micros must be a positive integer' })
  max_cost_micros?: string;
}
