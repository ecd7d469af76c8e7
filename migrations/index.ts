import { ApiKeys1763790000000 } from './1763790000000-ApiKeys';
import { Ledger1763790100000 } from './1763790100000-Ledger';
import { Jobs1763790200000 } from './1763790200000-Jobs';
import { ServiceRegistry1763790300000 } from './1763790300000-ServiceRegistry';
import { ProversAndScheduler1763790400000 } from './1763790400000-ProversAndScheduler';
import { ProverScorecards1763790500000 } from './1763790500000-ProverScorecards';
import { Receipts1763790600000 } from './1763790600000-Receipts';
import { SettlementBatches1763790700000 } from './1763790700000-SettlementBatches';
import { OutboxRedelivery1763790800000 } from './1763790800000-OutboxRedelivery';
import { OptimisticBatches1763790900000 } from './1763790900000-OptimisticBatches';
import { StatementGuards1763791000000 } from './1763791000000-StatementGuards';
import { DrainSurvivesOffline1763791100000 } from './1763791100000-DrainSurvivesOffline';
import { RevokedReplicas1763791200000 } from './1763791200000-RevokedReplicas';
import { ActiveAssignments1763791300000 } from './1763791300000-ActiveAssignments';
import { PayloadEncoding1763791400000 } from './1763791400000-PayloadEncoding';
import { KeyFingerprints1763791500000 } from './1763791500000-KeyFingerprints';
import { ReplicaStarts1763791600000 } from './1763791600000-ReplicaStarts';
import { IdempotencyRejections1763791710000 } from './1763791710000-IdempotencyRejections';
import { BalancedTransfers1763791720000 } from './1763791720000-BalancedTransfers';
import { Int64JobIds1763791800000 } from './1763791800000-Int64JobIds';
import { BrokerPublishing1763791900000 } from './1763791900000-BrokerPublishing';
import { BalanceAlerts1763792000000 } from './1763792000000-BalanceAlerts';
import { Webhooks1763792010000 } from './1763792010000-Webhooks';
import { OutboxCursors1763792030000 } from './1763792030000-OutboxCursors';
import { WorkloadWeights1763792100000 } from './1763792100000-WorkloadWeights';
import { ServiceSchemas1763792110000 } from './1763792110000-ServiceSchemas';
import { ProverLatency1763792120000 } from './1763792120000-ProverLatency';
import { ResultMetadata1763792130000 } from './1763792130000-ResultMetadata';
import { SinkFailover1763792140000 } from './1763792140000-SinkFailover';
import { ControlLog1763792150000 } from './1763792150000-ControlLog';
import { ReceiptSignatures1763792160000 } from './1763792160000-ReceiptSignatures';
import { LedgerVerifyRuns1763792170000 } from './1763792170000-LedgerVerifyRuns';
import { AccountHolds1763792180000 } from './1763792180000-AccountHolds';
import { JobEndTimes1763792190000 } from './1763792190000-JobEndTimes';
import { ControlLogDeferredChain1763792200000 } from './1763792200000-ControlLogDeferredChain';
import { LedgerImports1763792210000 } from './1763792210000-LedgerImports';
import { EconomicsKinds1763792220000 } from './1763792220000-EconomicsKinds';
import { ServiceEconomics1763792230000 } from './1763792230000-ServiceEconomics';
import { ServiceMinStake1763792240000 } from './1763792240000-ServiceMinStake';
import { Payouts1763792250000 } from './1763792250000-Payouts';
import { ServiceSlashing1763792260000 } from './1763792260000-ServiceSlashing';
import { MeteredUsage1763792270000 } from './1763792270000-MeteredUsage';
import { DisputeWindow1763792280000 } from './1763792280000-DisputeWindow';

/** Every migration, in order. A new migration file must be added here (`npm run schema:check` checks it). */
export const ALL_MIGRATIONS = [
  ApiKeys1763790000000,
  Ledger1763790100000,
  Jobs1763790200000,
  ServiceRegistry1763790300000,
  ProversAndScheduler1763790400000,
  ProverScorecards1763790500000,
  Receipts1763790600000,
  SettlementBatches1763790700000,
  OutboxRedelivery1763790800000,
  OptimisticBatches1763790900000,
  StatementGuards1763791000000,
  DrainSurvivesOffline1763791100000,
  RevokedReplicas1763791200000,
  ActiveAssignments1763791300000,
  PayloadEncoding1763791400000,
  KeyFingerprints1763791500000,
  ReplicaStarts1763791600000,
  IdempotencyRejections1763791710000,
  BalancedTransfers1763791720000,
  Int64JobIds1763791800000,
  BrokerPublishing1763791900000,
  BalanceAlerts1763792000000,
  Webhooks1763792010000,
  OutboxCursors1763792030000,
  WorkloadWeights1763792100000,
  ServiceSchemas1763792110000,
  ProverLatency1763792120000,
  ResultMetadata1763792130000,
  SinkFailover1763792140000,
  ControlLog1763792150000,
  ReceiptSignatures1763792160000,
  LedgerVerifyRuns1763792170000,
  AccountHolds1763792180000,
  JobEndTimes1763792190000,
  ControlLogDeferredChain1763792200000,
  LedgerImports1763792210000,
  EconomicsKinds1763792220000,
  ServiceEconomics1763792230000,
  ServiceMinStake1763792240000,
  Payouts1763792250000,
  ServiceSlashing1763792260000,
  MeteredUsage1763792270000,
  DisputeWindow1763792280000,
];
