import type { Provider } from '@nestjs/common';
import { TallyEnv } from '@tally/shared';
import { SETTLEMENT_SINKS, type SettlementSink } from '../domain';
import { FileSink } from './file.sink';
import { WebhookSink } from './webhook.sink';

/** The sinks the environment configures (none, webhook, file, or both). */
export const settlementSinksProvider: Provider = {
  provide: SETTLEMENT_SINKS,
  inject: [TallyEnv],
  useFactory: (env: TallyEnv): SettlementSink[] => {
    const sinks: SettlementSink[] = [];
    if (env.SETTLEMENT_WEBHOOK_URL) {
      if (!env.SETTLEMENT_WEBHOOK_SECRET) {
        throw new Error('SETTLEMENT_WEBHOOK_URL needs SETTLEMENT_WEBHOOK_SECRET (at least 16 characters) to sign with');
      }
      sinks.push(new WebhookSink(env.SETTLEMENT_WEBHOOK_URL, env.SETTLEMENT_WEBHOOK_SECRET));
    }
    if (env.SETTLEMENT_FILE_DIR) sinks.push(new FileSink(env.SETTLEMENT_FILE_DIR));
    return sinks;
  },
};
