import { Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { traceBusExecutions } from '@tally/shared';
import { stopTracing, tracingStarted } from './tracing';

/**
 * When tracing is on: one span per command and query executed (named by its class), and the
 * spans still buffered are exported at shutdown. When it is off the buses are left as they are.
 */
@Injectable()
export class BusTracing implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  onModuleInit(): void {
    if (!tracingStarted()) return;
    traceBusExecutions(this.commands, 'command');
    traceBusExecutions(this.queries, 'query');
  }

  async onApplicationShutdown(): Promise<void> {
    await stopTracing();
  }
}
