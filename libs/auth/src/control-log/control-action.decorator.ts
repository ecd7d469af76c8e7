import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { ControlActionInterceptor } from './control-action.interceptor';
import { CONTROL_ACTION, type ControlActionMetadata, type ControlActionOptions } from './control-action.metadata';

/**
 * Marks a route as a control action (DSE §7.4): the handler runs in one transaction with
 * its control-log row (see ControlLog.run). One line on any admin route that changes state.
 */
export function ControlAction(action: string, options: ControlActionOptions = {}): MethodDecorator {
  return applyDecorators(
    SetMetadata(CONTROL_ACTION, { action, ...options } satisfies ControlActionMetadata),
    UseInterceptors(ControlActionInterceptor),
  );
}
