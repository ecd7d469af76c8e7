import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { from, lastValueFrom, type Observable } from 'rxjs';
import type { AuthenticatedRequest } from '../authentication/authenticated-request';
import { essentialFields } from '../domain/control-log';
import { ControlLog, controlActor } from './control-log';
import { CONTROL_ACTION, type ControlActionMetadata } from './control-action.metadata';

/**
 * Runs a @ControlAction route's pipes and handler inside ControlLog.run: the command the
 * handler sends joins that transaction (every repository reads the ambient one), so the
 * action and its log row commit together.
 */
@Injectable()
export class ControlActionInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly log: ControlLog,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const meta = this.reflector.get<ControlActionMetadata | undefined>(CONTROL_ACTION, context.getHandler());
    if (!meta || context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const principal = req.principal;
    if (!principal || (meta.roles && !meta.roles.includes(principal.role))) return next.handle();
    const action = {
      actor: controlActor(principal),
      action: meta.action,
      fields: meta.fields ? meta.fields(req.body) : essentialFields(req.params, req.body, req.query),
    };
    // Subscribing again re-runs the pipes and handler: a transaction retried after a serialization failure.
    return from(
      this.log.run(action, () => lastValueFrom(next.handle(), { defaultValue: undefined }), {
        keepsRejections: meta.keepsRejections,
      }),
    );
  }
}
