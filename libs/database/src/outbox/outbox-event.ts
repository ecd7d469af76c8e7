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

const registry = new Map<string, OutboxEventClass[]>();

/**
 * Names a class the relay builds for an outbox row of `type`. Several libs may register
 * classes of their own for one type (each lib's handlers listen to its own class): the
 * relay publishes one instance per registered class.
 */
export function registerOutboxEvent(type: string, eventClass: OutboxEventClass): void {
  const classes = registry.get(type) ?? [];
  if (!classes.includes(eventClass)) classes.push(eventClass);
  registry.set(type, classes);
}

/** The first class registered for `type`. */
export function outboxEventClass(type: string): OutboxEventClass | undefined {
  return registry.get(type)?.[0];
}

/** Every class registered for `type`, in registration order. */
export function outboxEventClasses(type: string): readonly OutboxEventClass[] {
  return registry.get(type) ?? [];
}
