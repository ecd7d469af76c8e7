import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { ControlLogRow } from '../../domain/control-log';
import { ControlLogRepository } from '../../control-log/control-log.repository';
import { ListControlLogQuery } from './list-control-log.query';

@QueryHandler(ListControlLogQuery)
export class ListControlLogQueryHandler implements IQueryHandler<ListControlLogQuery> {
  constructor(private readonly repo: ControlLogRepository) {}

  execute({ filter }: ListControlLogQuery): Promise<ControlLogRow[]> {
    return this.repo.list(filter);
  }
}
