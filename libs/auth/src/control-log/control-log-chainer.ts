import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { OutboxHorizon, probeInsertOrder, UnitOfWork } from '@tally/database';
import { chainRows } from '../domain/control-log';
import { ControlLogRepository } from './control-log.repository';

/** How often each replica chains what has committed: the unchained tail is about this old. */
const INTERVAL_MS = 250;
const PAGE = 1000;
/** One chainer at a time across replicas (the others skip a round): one head, no forks. */
const CHAIN_LOCK = `hashtext('control_log')`;

/**
 * Chains the control log's rows shortly after they commit: in seq order, each row's hash
 * over its fields and the previous row's hash (the domain's chainRows).
 *
 * Seqs are drawn at insert, not at commit, so seq 10 may commit after 11. The chainer reads
 * only up to a settled seq (the same horizon the outbox's followers use): every action that
 * drew a seq up to it has committed or rolled back for good, so no row is ever left behind a
 * chained one. Every replica runs one; the advisory lock lets one chain at a time, and the
 * rest find less (or nothing) to do.
 */
@Injectable()
export class ControlLogChainer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ControlLogChainer.name);
  private readonly horizon: OutboxHorizon;
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopped = false;

  constructor(
    dataSource: DataSource,
    private readonly uow: UnitOfWork,
    private readonly repo: ControlLogRepository,
  ) {
    this.horizon = new OutboxHorizon({ probe: () => probeInsertOrder(dataSource, 'control_log', 'seq') });
  }

  onApplicationBootstrap(): void {
    this.schedule();
  }

  /** The last rows (a CLI's action, say) are chained before the process ends. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.catchUp(2_000).catch((error: unknown) => this.warn(error));
  }

  /** Chains every row settled now; returns how many it chained (0 when another replica holds the chain). */
  async chain(): Promise<number> {
    const settled = await this.horizon.settle();
    if (settled === undefined) return 0;
    let total = 0;
    for (;;) {
      const chained = await this.uow.run(async () => {
        const [{ locked }] = (await this.uow.tx.query(`SELECT pg_try_advisory_xact_lock(${CHAIN_LOCK}) AS locked`)) as {
          locked: boolean;
        }[];
        if (!locked) return 0;
        const head = await this.repo.chainHead();
        const rows = await this.repo.unchainedPage(head.seq, settled.toString(), PAGE);
        if (rows.length > 0) await this.repo.setHashes(chainRows(rows, head));
        return rows.length;
      });
      total += chained;
      if (chained < PAGE) return total;
    }
  }

  /**
   * Chains until every row that exists now is chained, or `timeoutMs` passes (an action
   * still open holds its seq, and those after it, back): `ledger verify` first catches up,
   * so it checks everything committed before it started.
   */
  async catchUp(timeoutMs = 5_000): Promise<void> {
    const { maxSeq } = await this.repo.unchained();
    const until = Date.now() + timeoutMs;
    for (;;) {
      await this.chain();
      const { minSeq } = await this.repo.unchained();
      if (minSeq === null || BigInt(minSeq) > BigInt(maxSeq) || Date.now() >= until) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.chain()
        .catch((error: unknown) => this.warn(error))
        .finally(() => this.schedule());
    }, INTERVAL_MS);
    this.timer.unref();
  }

  private warn(error: unknown): void {
    // The next round tries again; rows wait unchained meanwhile (the database may be away).
    this.logger.warn(`control log chaining failed: ${(error as Error).message}`);
  }
}
