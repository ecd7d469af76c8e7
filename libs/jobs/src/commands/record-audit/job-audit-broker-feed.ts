import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { BrokerConsumers } from '@tally/database';
import { TallyEnv } from '@tally/shared';
import type { JobAuditEvent } from '../../domain';
import { JobAuditRecorder } from './job-audit-recorder';

/**
 * With AUDIT_CONSUMER=broker, the audit recorder reads `audit.>` from a durable JetStream
 * consumer (one message per settled job, in order per job) instead of the in-process bus.
 */
@Injectable()
export class JobAuditBrokerFeed implements OnApplicationBootstrap {
  constructor(
    private readonly env: TallyEnv,
    private readonly consumers: BrokerConsumers,
    private readonly recorder: JobAuditRecorder,
  ) {}

  onApplicationBootstrap(): void {
    if (this.env.AUDIT_CONSUMER !== 'broker') return;
    this.consumers.start({
      durable: 'tally-audit-recorder',
      filter: ['audit', '>'],
      handle: (event) => this.recorder.record(event.data as JobAuditEvent),
    });
  }
}
