import { Injectable } from '@nestjs/common';
import { Logger } from 'nestjs-pino';

/**
 * Nest's own start-up chatter (each module initialised, each route mapped): debug, so that
 * at `info` start-up prints only the facts a person needs (main.ts).
 */
const FRAMEWORK_CONTEXTS = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
]);
/** A failed start: main.ts prints the error's message itself; the stack is for debug. */
const START_FAILURE_CONTEXT = 'ExceptionHandler';

const contextOf = (params: unknown[]): unknown => params[params.length - 1];

/** The app's logger (nestjs-pino), with Nest's framework lines moved to debug. */
@Injectable()
export class TallyLogger extends Logger {
  override log(message: unknown, ...params: unknown[]): void {
    const context = contextOf(params);
    if (typeof context === 'string' && FRAMEWORK_CONTEXTS.has(context)) return super.debug(message, ...params);
    super.log(message, ...params);
  }

  override error(message: unknown, ...params: unknown[]): void {
    if (contextOf(params) === START_FAILURE_CONTEXT) return super.debug(message, ...params);
    super.error(message, ...params);
  }
}
