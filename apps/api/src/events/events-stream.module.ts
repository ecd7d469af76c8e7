import { Module } from '@nestjs/common';
import { AuthModule } from '@tally/auth';
import { EventStreams } from './event-streams';
import { EventsStreamController } from './events-stream.controller';

/** Live event streams (Server-Sent Events) over the outbox: GET /v1/events/stream. */
@Module({
  imports: [AuthModule],
  controllers: [EventsStreamController],
  providers: [EventStreams],
  exports: [EventStreams],
})
export class EventsStreamModule {}
