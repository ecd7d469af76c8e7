import type { Provider } from '@nestjs/common';
import { TallyEnv } from '@tally/shared';
import { SinkChain, type SinkTier } from '../domain';
import { FileSink } from './file.sink';
import { WebhookSink } from './webhook.sink';

/** A tier's sink from its webhook URL or directory; the name keys its delivery rows. */
function sinkOf(tier: SinkTier, url: string | undefined, secret: string | undefined, dir: string | undefined) {
  const prefix = tier === 'primary' ? '' : `${tier}-`;
  if (url) {
    // validateEnv has checked there is a secret.
    return new WebhookSink(`${prefix}webhook`, tier, url, secret as string);
  }
  return dir ? new FileSink(`${prefix}file`, tier, dir) : undefined;
}

/**
 * The sink chain the environment configures: primary (SETTLEMENT_WEBHOOK_URL or
 * SETTLEMENT_FILE_DIR), then SETTLEMENT_SECONDARY_*, then SETTLEMENT_EMERGENCY_*. The
 * pre-chain pair (both primary variables) stays a chain: the webhook first, the
 * directory as its emergency sink, keeping the name `file` its delivery rows have.
 */
export const settlementSinksProvider: Provider = {
  provide: SinkChain,
  inject: [TallyEnv],
  useFactory: (env: TallyEnv): SinkChain => {
    const secret = env.SETTLEMENT_WEBHOOK_SECRET;
    const legacyPair = Boolean(env.SETTLEMENT_WEBHOOK_URL && env.SETTLEMENT_FILE_DIR);
    const sinks = [
      sinkOf('primary', env.SETTLEMENT_WEBHOOK_URL, secret, legacyPair ? undefined : env.SETTLEMENT_FILE_DIR),
      sinkOf(
        'secondary',
        env.SETTLEMENT_SECONDARY_WEBHOOK_URL,
        env.SETTLEMENT_SECONDARY_WEBHOOK_SECRET ?? secret,
        env.SETTLEMENT_SECONDARY_FILE_DIR,
      ),
      legacyPair
        ? new FileSink('file', 'emergency', env.SETTLEMENT_FILE_DIR as string)
        : sinkOf(
            'emergency',
            env.SETTLEMENT_EMERGENCY_WEBHOOK_URL,
            env.SETTLEMENT_EMERGENCY_WEBHOOK_SECRET ?? secret,
            env.SETTLEMENT_EMERGENCY_FILE_DIR,
          ),
    ].filter((s) => s !== undefined);
    return new SinkChain(sinks);
  },
};
