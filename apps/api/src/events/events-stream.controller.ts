import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiPropertyOptional, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, Principal, Roles, StillAuthenticated } from '@tally/auth';
import { IfPresent, InvalidRequestError } from '@tally/shared';
import { EventStreams, StreamSink } from './event-streams';

/** An outbox sequence number: an int64 in decimal. */
const SEQUENCE = /^(0|[1-9][0-9]{0,18})$/;
const INT64_MAX = (1n << 63n) - 1n;

export class EventStreamQueryDto {
  @ApiPropertyOptional({
    description: 'event types to receive, comma-separated (every type the caller may see when absent)',
  })
  @IfPresent()
  @Matches(/^[A-Za-z][A-Za-z0-9_]{0,63}(,[A-Za-z][A-Za-z0-9_]{0,63}){0,63}$/, {
    message: 'types must be event type names, comma-separated',
  })
  types?: string;

  @ApiPropertyOptional({ description: 'resume after this event id (the Last-Event-ID header wins when both agree)' })
  @IfPresent()
  @Matches(SEQUENCE, { message: 'last_event_id must be an event id (a non-negative int64 in decimal)' })
  last_event_id?: string;
}

/** The resume point: the Last-Event-ID header or `?last_event_id=` (they must agree when both are given). */
function resumePoint(header: string | undefined, query: string | undefined): bigint | undefined {
  if (header !== undefined && !SEQUENCE.test(header.trim())) {
    throw new InvalidRequestError('Last-Event-ID must be an event id (a non-negative int64 in decimal)', {
      field: 'Last-Event-ID',
    });
  }
  const value = header?.trim() ?? query;
  if (header !== undefined && query !== undefined && BigInt(header.trim()) !== BigInt(query)) {
    throw new InvalidRequestError('Last-Event-ID and last_event_id differ', { field: 'last_event_id' });
  }
  if (value === undefined) return undefined;
  const id = BigInt(value);
  if (id > INT64_MAX) throw new InvalidRequestError('the event id is beyond int64', { field: 'last_event_id' });
  return id;
}

@ApiTags('events')
@Controller('events')
export class EventsStreamController {
  constructor(private readonly streams: EventStreams) {}

  @Get('stream')
  @Roles('admin', 'client', 'prover')
  @ApiOperation({
    operationId: 'events.stream',
    summary: 'Server-Sent Events: the events the caller may see, live, resumable with Last-Event-ID',
    description:
      'Each event: `id:` its outbox sequence, `event:` its type, `data:` its public envelope JSON. With ' +
      'Last-Event-ID (or last_event_id) every event after that id the caller may see comes first, in id order, ' +
      'then live ones. A client sees its own jobs and accounts, a prover its assignments and cancellations, an ' +
      'admin everything. `: ping` comments keep idle streams open. See docs/events.md.',
  })
  @ApiResponse({
    status: 200,
    description: 'the stream (text/event-stream), open until the client leaves',
    content: { 'text/event-stream': { schema: { type: 'string', description: 'id:, event:, data: lines' } } },
  })
  stream(
    @Query() query: EventStreamQueryDto,
    @Headers('last-event-id') lastEventIdHeader: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @StillAuthenticated() stillAuthenticated: () => Promise<boolean>,
    @Res() reply: FastifyReply,
  ): void {
    const resumeAfter = resumePoint(lastEventIdHeader, query.last_event_id);
    const types = query.types === undefined ? undefined : new Set(query.types.split(','));
    // From here on the response is ours: Fastify no longer answers it.
    reply.hijack();
    const res = reply.raw;
    for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) res.setHeader(name, value);
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      // Proxies (nginx) must pass events on as they come, not buffer them.
      'X-Accel-Buffering': 'no',
    });
    res.write(': connected\n\n');
    const sink: StreamSink = {
      principal,
      types,
      write: (chunk) => res.write(chunk),
      unsent: () => res.writableLength,
      end: (reason) => {
        if (!res.writableEnded) res.end(`: closed (${reason})\n\n`);
      },
      stillAuthenticated,
    };
    res.once('close', () => this.streams.closed(sink));
    void this.streams.attach(sink, resumeAfter);
  }
}
