// The one place allowed to use EventsHandler directly (eslint's no-restricted-imports).
// eslint-disable-next-line no-restricted-imports
import { EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { OutboxEvent } from './outbox-event';

type OutboxEventClass = abstract new (...args: never[]) => OutboxEvent<object>;
type HandlerClass = abstract new (...args: never[]) => IEventHandler;

/**
 * `@EventsHandler` for outbox events, and the only way to declare one (lint forbids the
 * plain decorator): each call of the handler's `handle` is recorded on the event, so the
 * relay marks an outbox row published only once every handler's work has resolved, which
 * for a handler that writes means its transaction has committed. A handler that throws
 * or rejects hands the row back for another delivery; so does a crash at any instant
 * before the mark (the row's lease runs out). Handlers stay idempotent by event id.
 */
export function OutboxEventsHandler(...events: OutboxEventClass[]): (target: HandlerClass) => void {
  return (target) => {
    EventsHandler(...(events as unknown as (new (...args: never[]) => object)[]))(target as never);
    const handle = target.prototype.handle as (event: unknown) => unknown;
    target.prototype.handle = function (this: IEventHandler, event: unknown): Promise<unknown> {
      let work: Promise<unknown>;
      try {
        work = Promise.resolve(handle.call(this, event));
      } catch (error) {
        work = Promise.reject(error);
      }
      if (event instanceof OutboxEvent) event.handling.push(work);
      return work;
    };
  };
}
