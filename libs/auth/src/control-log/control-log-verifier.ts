import { Injectable } from '@nestjs/common';
import { CONTROL_LOG_GENESIS, firstBrokenLink } from '../domain/control-log';
import { ControlLogChainer } from './control-log-chainer';
import { ControlLogRepository } from './control-log.repository';

export interface ControlLogReport {
  /** Chained rows checked. */
  rows: number;
  /** Rows committed but not chained yet (an action still open holds those after it back): not checked. */
  unchained: number;
  /** The first row whose link or hash does not recompute (verification stops there: every later hash depends on it). */
  problems: string[];
}

const PAGE = 1000;

/**
 * Recomputes the control log's hash chain, row by row in seq order (part of `ledger verify`),
 * after chaining what has committed (as every replica does within a moment).
 */
@Injectable()
export class ControlLogVerifier {
  constructor(
    private readonly repo: ControlLogRepository,
    private readonly chainer: ControlLogChainer,
  ) {}

  async verify(): Promise<ControlLogReport> {
    await this.chainer.catchUp();
    let head = { seq: '0', hash: CONTROL_LOG_GENESIS };
    let rows = 0;
    for (;;) {
      const page = await this.repo.chainPage(head.seq, PAGE);
      const broken = firstBrokenLink(page, head);
      if (broken) {
        const { count } = await this.repo.unchained();
        return {
          rows: rows + page.length,
          unchained: count,
          problems: [`control log seq ${broken.seq}: ${broken.why}`],
        };
      }
      rows += page.length;
      if (page.length < PAGE) break;
      head = page[page.length - 1];
    }
    // The unchained tail comes after the chain: a row below its head was left out of it.
    const tail = await this.repo.unchained();
    const last = await this.repo.chainHead();
    const problems =
      tail.minSeq !== null && BigInt(tail.minSeq) < BigInt(last.seq)
        ? [`control log seq ${tail.minSeq}: not chained, though later rows are`]
        : [];
    return { rows, unchained: tail.count, problems };
  }
}
