import { ApiProperty } from '@nestjs/swagger';
import type { HeartbeatAnswer } from '../../commands/record-heartbeat/record-heartbeat.command';

export class HeartbeatResponseDto implements HeartbeatAnswer {
  @ApiProperty({ enum: [true] })
  accepted: true;

  @ApiProperty({
    type: 'string',
    format: 'int64',
    isArray: true,
    description: 'jobs of this prover cancelled since it was last told, each told once: stop working on them',
  })
  cancelled_jobs: string[];

  @ApiProperty({
    type: 'string',
    format: 'int64',
    isArray: true,
    description:
      'starts given back because running_jobs left them out: ASSIGNED again, each returned by a later poll ' +
      "(one a poll has handed over since this heartbeat was sent is the prover's to run); [] without running_jobs",
  })
  released_jobs: string[];
}
