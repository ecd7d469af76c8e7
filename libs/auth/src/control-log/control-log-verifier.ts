import { Injectable } from '@nestjs/common';
import { CONTROL_LOG_GENESIS, firstBrokenLink } from '../domain/control-log';
import { ControlLogRepository } from './control-log.repository';

export interface ControlLogReport {
  rows: number;
  /** The first row whose link or hash does not recompute (verification stops there: every later hash depends on it). */
  problems: string[];
}

const PAGE = 1000;

/** Recomputes the control log's hash chain, row by row in seq order (part of `ledger verify`). */
@Injectable()
export class ControlLogVerifier {
  constructor(private readonly repo: ControlLogRepository) {}

  async verify(): Promise<ControlLogReport> {
    let head = { seq: '0', hash: CONTROL_LOG_GENESIS };
    let rows = 0;
    for (;;) {
      const page = await this.repo.chainPage(head.seq, PAGE);
      const broken = firstBrokenLink(page, head);
      if (broken) return { rows: rows + page.length, problems: [`control log seq ${broken.seq}: ${broken.why}`] };
      rows += page.length;
      if (page.length < PAGE) return { rows, problems: [] };
      head = page[page.length - 1];
    }
  }
}
