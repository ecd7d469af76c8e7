/**
 * A domain event stored in the outbox and published to the CQRS EventBus after commit.
 * `eventId` is what handlers deduplicate on (delivery is at least once).
 */
export abstract class OutboxEvent<P extends object = Record<string, unknown>> {
  /**
   * The work of every handler this instance reached (see OutboxEventsHandler): the relay
   * counts the event handled once all of it has settled without an error.
   */
  readonly handling: Promise<unknown>[] = [];

  constructor(
    readonly payload: P,
    readonly eventId: string,
    readonly occurredAt: Date,
  ) {}
}

type OutboxEventClass = new (payload: never, eventId: string, occurredAt: Date) => OutboxEvent<object>;

const registry = new Map<string, OutboxEventClass[]>();
/** Types written for external transports only (see registerExternalOutboxEvent). */
const external = new Set<string>();

/**
 * Names a class the relay builds for an outbox row of `type`. Several libs may register
 * classes of their own for one type (each lib's handlers listen to its own class): the
 * relay publishes one instance per registered class.
 */
export function registerOutboxEvent(type: string, eventClass: OutboxEventClass): void {
  if (external.has(type))
    throw new Error(`outbox event ${type} is declared external: no class of this process may listen to it`);
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

/**
 * Declares that no handler of any Tally process listens to outbox rows of `type`: they are
 * kept for external transports (which read the table) and written already published, so no
 * relay publishes, leases or marks them. Any other type is relayed, registered or not (the
 * safe default). A type is either external or has classes, never both.
 */
export function registerExternalOutboxEvent(type: string): void {
  if (registry.has(type)) throw new Error(`outbox event ${type} has in-process classes: it cannot be external`);
  external.add(type);
}

/** Whether rows of `type` are external only. */
export function isExternalOutboxEvent(type: string): boolean {
  return external.has(type);
}

/**
 * The published_at to insert for a row whose type is the SQL expression `typeSql`: now()
 * for an external type, NULL (the relay's to publish) for any other.
 */
export function outboxPublishedAtSql(typeSql: string): string {
  if (external.size === 0) return 'NULL::timestamptz';
  const types = [...external].sort().map((t) => `'${t.replaceAll("'", "''")}'`);
  return `CASE WHEN ${typeSql} IN (${types.join(', ')}) THEN now() END`;
}
