import { Query } from '@nestjs/cqrs';
import type { ControlLogRow } from '../../domain/control-log';
import type { ControlLogFilter } from '../../control-log/control-log.repository';

/** Control-log rows in chain order (seq), filtered, one keyset page. */
export class ListControlLogQuery extends Query<ControlLogRow[]> {
  constructor(readonly filter: ControlLogFilter) {
    super();
  }
}
