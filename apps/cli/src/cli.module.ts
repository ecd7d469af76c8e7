import { DynamicModule, Module } from '@nestjs/common';
import { TallyConfigModule } from '@tally/shared';
import { DatabaseModule } from '@tally/database';
import { AuthModule } from '@tally/auth';
import { LedgerModule } from '@tally/ledger';
import { ReceiptKeysModule } from '@tally/receipts';
import { SettlementVerifyModule } from '@tally/settlement';

/** The same modules as the API, without HTTP: the CLI works on the same database and rules. */
@Module({})
export class CliModule {
  static forRoot(): DynamicModule {
    return {
      module: CliModule,
      imports: [
        TallyConfigModule.forRoot(),
        // A command run by hand fails at once on a wrong DATABASE_URL, not after ten retries.
        DatabaseModule.forRoot({ connectAttempts: 1 }),
        AuthModule,
        LedgerModule,
        SettlementVerifyModule,
        ReceiptKeysModule,
      ],
    };
  }
}
