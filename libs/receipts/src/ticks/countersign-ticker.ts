import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Coalesced, LoopBackoff, TallyEnv } from '@tally/shared';
import { ReceiptCountersigner } from '../commands/countersign-receipts/receipt-countersigner';

/** With a configured signer set: a countersigning sweep every RECEIPT_COUNTERSIGN_MS. */
@Injectable()
export class CountersignTicker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(CountersignTicker.name);
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private readonly sweep = new Coalesced(
    async () => {
      // A full pass means more may be waiting: go on at once.
      while (!this.stopped && (await this.countersigner.sweep()) > 0);
    },
    () => this.stopped,
    new LoopBackoff('receipt countersigning', this.logger),
  );

  constructor(
    private readonly countersigner: ReceiptCountersigner,
    private readonly env: TallyEnv,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.countersigner.self) return;
    this.timer = setInterval(() => this.sweep.run(), this.env.RECEIPT_COUNTERSIGN_MS);
    this.sweep.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.sweep.idle();
  }
}
