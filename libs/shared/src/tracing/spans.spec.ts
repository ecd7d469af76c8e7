import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  CommandBus,
  CommandHandler,
  CqrsModule,
  ICommandHandler,
  IQueryHandler,
  QueryBus,
  QueryHandler,
} from '@nestjs/cqrs';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { inIncomingSpan, inSpan, traceBusExecutions } from './spans';

class CountQuery {
  constructor(readonly of: string) {}
}
class RecordCommand {
  constructor(readonly what: string) {}
}

@QueryHandler(CountQuery)
class CountHandler implements IQueryHandler<CountQuery, number> {
  async execute(query: CountQuery): Promise<number> {
    return query.of.length;
  }
}

@CommandHandler(RecordCommand)
class RecordHandler implements ICommandHandler<RecordCommand, string> {
  constructor(private readonly queries: QueryBus) {}

  async execute(command: RecordCommand): Promise<string> {
    if (command.what === 'bad') throw new Error('refused');
    const count = await this.queries.execute(new CountQuery(command.what));
    return inSpan('record.write', { count }, async () => `${command.what}:${count}`);
  }
}

@Module({ imports: [CqrsModule.forRoot()], providers: [CountHandler, RecordHandler] })
class RecordModule {}

describe('spans', () => {
  it('with no SDK registered, runs the work under the no-op tracer and records nothing', async () => {
    const seen: boolean[] = [];
    const value = await inSpan('anything', {}, async (span) => {
      seen.push(span.isRecording());
      return 42;
    });
    expect({ value, seen }).toEqual({ value: 42, seen: [false] });
  });

  describe('with an SDK registered', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    let close: () => Promise<void>;
    let commands: CommandBus;
    beforeAll(async () => {
      provider.register();
      const app = await NestFactory.createApplicationContext(RecordModule, { logger: false });
      commands = app.get(CommandBus);
      traceBusExecutions(commands, 'command');
      traceBusExecutions(app.get(QueryBus), 'query');
      close = () => app.close();
    });
    afterAll(async () => {
      await close?.();
      await provider.shutdown();
      trace.disable();
    });
    beforeEach(() => exporter.reset());

    it('makes each execute one span named by its class, nested as the calls are, under the caller', async () => {
      const answer = await inSpan('request', {}, () => commands.execute(new RecordCommand('abc')));
      expect(answer).toBe('abc:3');
      const spans = exporter.getFinishedSpans();
      const byName = Object.fromEntries(spans.map((s) => [s.name, s]));
      expect(Object.keys(byName).sort()).toEqual(['CountQuery', 'RecordCommand', 'record.write', 'request']);
      const parentOf = (name: string) => byName[name].parentSpanContext?.spanId;
      expect(parentOf('request')).toBeUndefined();
      expect(parentOf('RecordCommand')).toBe(byName.request.spanContext().spanId);
      expect(parentOf('CountQuery')).toBe(byName.RecordCommand.spanContext().spanId);
      expect(parentOf('record.write')).toBe(byName.RecordCommand.spanContext().spanId);
      expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
      expect(byName.RecordCommand.attributes).toEqual({
        'tally.cqrs.kind': 'command',
        'tally.cqrs.name': 'RecordCommand',
      });
      expect(byName.CountQuery.attributes).toEqual({ 'tally.cqrs.kind': 'query', 'tally.cqrs.name': 'CountQuery' });
      expect(byName['record.write'].attributes).toEqual({ count: 3 });
      expect(spans.every((s) => s.ended && s.status.code === SpanStatusCode.UNSET)).toBe(true);
    });

    it("starts an incoming call's server span under the caller's traceparent, or a trace of its own", async () => {
      const traceId = '0af7651916cd43dd8448eb211c80319c';
      const callerSpanId = 'b7ad6b7169203331';
      const attributes = { 'rpc.method': 'GetJob' };
      await inSpan('unrelated', {}, async () => {
        await inIncomingSpan('grpc GetJob', attributes, { traceparent: `00-${traceId}-${callerSpanId}-01` }, () =>
          commands.execute(new RecordCommand('x')),
        );
        await inIncomingSpan('grpc GetJob', attributes, {}, async () => undefined);
      });
      const calls = exporter.getFinishedSpans().filter((s) => s.name === 'grpc GetJob');
      expect(calls.map((s) => [s.kind, s.spanContext().traceId, s.parentSpanContext?.spanId])).toEqual([
        [SpanKind.SERVER, traceId, callerSpanId],
        [SpanKind.SERVER, expect.not.stringMatching(traceId), undefined],
      ]);
      const unrelated = exporter.getFinishedSpans().find((s) => s.name === 'unrelated')!;
      expect(calls[1].spanContext().traceId).not.toBe(unrelated.spanContext().traceId);
      const command = exporter.getFinishedSpans().find((s) => s.name === 'RecordCommand')!;
      expect(command.parentSpanContext?.spanId).toBe(calls[0].spanContext().spanId);
    });

    it('marks the span of a failed execute as an error, with the exception, and rethrows', async () => {
      await expect(commands.execute(new RecordCommand('bad'))).rejects.toThrow('refused');
      const [span] = exporter.getFinishedSpans();
      expect(span.name).toBe('RecordCommand');
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'refused' });
      expect(span.events.map((e) => [e.name, e.attributes?.['exception.message']])).toEqual([['exception', 'refused']]);
    });
  });
});
