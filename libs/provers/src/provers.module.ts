import { Module } from '@nestjs/common';
import { JobsModule } from '@tally/jobs';
import { LedgerQueriesModule } from '@tally/ledger';
import {
  RedeliverScorecardsCommandHandler,
  ScorecardRedeliveryTick,
} from './commands/apply-scorecard/redeliver-scorecards.command-handler';
import { ScorecardPersistor } from './commands/apply-scorecard/scorecard-persistor';
import { ScorecardBrokerFeed } from './commands/apply-scorecard/scorecard-broker-feed';
import { DrainProverCommandHandler } from './commands/drain-prover/drain-prover.command-handler';
import { MarkSilentOfflineCommandHandler } from './commands/mark-silent-offline/mark-silent-offline.command-handler';
import { ResumeProverCommandHandler } from './commands/resume-prover/resume-prover.command-handler';
import { ScorecardEmitter } from './commands/emit-scorecard/scorecard-emitter';
import { JobWakeups } from './commands/poll-job/job-wakeups';
import { PollJobCommandHandler } from './commands/poll-job/poll-job.command-handler';
import { RecordHeartbeatCommandHandler } from './commands/record-heartbeat/record-heartbeat.command-handler';
import { RegisterProverCommandHandler } from './commands/register-prover/register-prover.command-handler';
import { AdminProversController } from './http/admin-provers.controller';
import { ProverEndpoints } from './http/prover-endpoints';
import { ProversController } from './http/provers.controller';
import { ProverStakeController } from './http/prover-stake.controller';
import { ProverRepository } from './persistence/prover.repository';
import { ScorecardRetryQueue } from './persistence/scorecard-retry.queue';
import { GetProverQueryHandler } from './queries/get-prover/get-prover.query';
import { ProverStakeQueryHandler } from './queries/prover-stake/prover-stake.query';
import { CountProversQueryHandler } from './queries/count-provers/count-provers.query';
import { ListProversQueryHandler } from './queries/list-provers/list-provers.query';
import { ScoreHistoryQueryHandler } from './queries/score-history/score-history.query';
import { OfflineProversQuery } from './queries/offline-provers/offline-provers.query';
import { ScorecardsQuery } from './queries/scorecards/scorecards.query';

/**
 * The prover registry (register, heartbeat, capabilities, drain), job pickup by polling,
 * and the EMA scorecards fed by settled job outcomes. It talks to the ledger and jobs
 * libs through their commands and queries only.
 */
@Module({
  imports: [JobsModule, LedgerQueriesModule],
  controllers: [ProversController, ProverStakeController, AdminProversController],
  providers: [
    ProverRepository,
    ProverEndpoints,
    OfflineProversQuery,
    ScorecardsQuery,
    ScorecardRetryQueue,
    RegisterProverCommandHandler,
    RecordHeartbeatCommandHandler,
    DrainProverCommandHandler,
    ResumeProverCommandHandler,
    MarkSilentOfflineCommandHandler,
    PollJobCommandHandler,
    JobWakeups,
    ScorecardEmitter,
    ScorecardPersistor,
    ScorecardBrokerFeed,
    RedeliverScorecardsCommandHandler,
    ScorecardRedeliveryTick,
    GetProverQueryHandler,
    ProverStakeQueryHandler,
    ListProversQueryHandler,
    CountProversQueryHandler,
    ScoreHistoryQueryHandler,
  ],
  exports: [ProverEndpoints, JobWakeups, ScorecardPersistor, OfflineProversQuery, ScorecardsQuery],
})
export class ProversModule {}
