import { ApiProperty } from '@nestjs/swagger';

class VerifyProgressDto {
  @ApiProperty({ type: 'integer', description: 'accounts checked so far' }) done: number;
  @ApiProperty({ type: 'integer', description: 'accounts to check' }) total: number;
}

class VerifyProblemDto {
  @ApiProperty({ enum: ['ledger', 'settlement', 'control_log'], description: 'which check found it' }) kind: string;
  @ApiProperty({ example: 'user/carol: cached posted_debits 7 but its entries sum to 0' }) detail: string;
}

/** A background `ledger verify` run. */
export class LedgerVerifyRunResponseDto {
  @ApiProperty({ format: 'uuid' }) run_id: string;
  @ApiProperty({
    enum: ['running', 'passed', 'failed', 'error'],
    description: 'failed: it found problems; error: it could not finish (error says why)',
  })
  status: string;
  @ApiProperty({ format: 'date-time' }) started_at: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finished_at: string | null;
  @ApiProperty({ type: VerifyProgressDto }) progress: VerifyProgressDto;
  @ApiProperty({ type: [VerifyProblemDto], description: 'the first 100 problems found' })
  problems: VerifyProblemDto[];
  @ApiProperty({ type: 'integer', description: 'every problem found' }) problem_count: number;
  @ApiProperty({ type: String, nullable: true, example: null }) error: string | null;
  @ApiProperty({ description: 'the subject of the admin key that started it' }) started_by: string;
}
