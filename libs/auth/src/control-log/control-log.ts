import { HttpException, Injectable, Logger } from '@nestjs/common';
import { UnitOfWork } from '@tally/database';
import { DomainError, ErrorCode } from '@tally/shared';
import type { Principal } from '../domain/api-key';
import type { ControlAction, ControlActor, ControlOutcome } from '../domain/control-log';
import { ControlLogRepository } from './control-log.repository';

export interface ControlRunOptions {
  /**
   * The action records its own refusals (a ledger posting stores the refusal under its
   * Idempotency-Key, so a retry answers the same): a DomainError thrown by the work then
   * commits with the log row, instead of rolling back.
   */
  keepsRejections?: boolean;
}

/** The actor of an action an API key's caller asks for. */
export function controlActor(principal: Principal): ControlActor {
  return { keyId: principal.keyId, role: principal.role, subject: principal.subject };
}

/** A refusal to commit with its log row, then to rethrow. */
class Kept {
  constructor(readonly error: DomainError) {}
}

/**
 * Runs a control action and appends it to the control log in the same transaction: both
 * commit or neither does. A refused action (a DomainError, or a framework 4xx such as a
 * validation failure) rolls back and is then logged as rejected, with its DSE code, in a
 * transaction of its own. Inside an open transaction the action and its row join it.
 */
@Injectable()
export class ControlLog {
  private readonly logger = new Logger(ControlLog.name);

  constructor(
    private readonly uow: UnitOfWork,
    private readonly repo: ControlLogRepository,
  ) {}

  async run<T>(action: ControlAction, work: () => Promise<T>, options: ControlRunOptions = {}): Promise<T> {
    let result: T | Kept;
    try {
      result = await this.uow.run(async () => {
        try {
          const value = await work();
          await this.repo.append(action, { outcome: 'ok' });
          return value;
        } catch (error) {
          const code = refusalCode(error);
          if (!options.keepsRejections || !(error instanceof DomainError) || code === undefined) throw error;
          await this.repo.append(action, { outcome: 'rejected', code });
          return new Kept(error);
        }
      });
    } catch (error) {
      const code = refusalCode(error);
      if (code !== undefined) await this.appendAlone(action, { outcome: 'rejected', code });
      throw error;
    }
    if (result instanceof Kept) throw result.error;
    return result;
  }

  /** Appends a row in a transaction of its own (an action already over, a refusal). */
  async append(action: ControlAction, outcome: ControlOutcome): Promise<void> {
    await this.uow.run(() => this.repo.append(action, outcome));
  }

  private async appendAlone(action: ControlAction, outcome: ControlOutcome): Promise<void> {
    try {
      await this.append(action, outcome);
    } catch (error) {
      // The refusal stands whatever happens here (the database may be what refused it).
      this.logger.warn(`could not log the refused ${action.action}: ${(error as Error).message}`);
    }
  }
}

/** The DSE code a refusal answers with; undefined for a failure that is not the request's (5xx). */
function refusalCode(error: unknown): ErrorCode | undefined {
  if (error instanceof DomainError) {
    return error.code === ErrorCode.Internal || error.code === ErrorCode.Unavailable ? undefined : error.code;
  }
  if (error instanceof HttpException && error.getStatus() < 500) {
    const status = error.getStatus();
    if (status === 401 || status === 403) return ErrorCode.Unauthorized;
    return status === 404 ? ErrorCode.NotFound : ErrorCode.InvalidRequest;
  }
  return undefined;
}
