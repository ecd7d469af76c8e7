/**
 * A domain event stored in the outbox and published to the CQRS EventBus after commit.
 * `eventId` is what handlers deduplicate on (delivery is at least once).
 */
export abstract class OutboxEvent<P extends object = Record<string, unknown>> {
  constructor(
    readonly payload: P,
    readonly eventId: string,
    readonly occurredAt: Date,
  ) {}
}

type OutboxEventClass = new (payload: never, eventId: string, occurredAt: Date) => OutboxEvent<object>;

const registry = new Map<string, OutboxEventClass>();

/** Names the class the relay builds for an outbox row of `type`. */
export function registerOutboxEvent(type: string, eventClass: OutboxEventClass): void {
  registry.set(type, eventClass);
}

export function outboxEventClass(type: string): OutboxEventClass | undefined {
  return registry.get(type);
}
