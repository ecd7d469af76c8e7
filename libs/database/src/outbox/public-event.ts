/**
 * The one public form of an outbox event, for every external transport (broker, webhooks,
 * streams): the envelope `{ event_id, type, sequence, occurred_at, subject?, data }` and the
 * broker subjects an event goes out on. Each producer lib owns its events' subjects and
 * declares them next to their names (registerEventSubjects); this file spells no type.
 */

/** An outbox row as the transports read it. */
export interface PublicOutboxRow {
  /** The outbox id (an int64): the event's position, what a stream resumes from. */
  id: string | bigint;
  event_id: string;
  event_type: string;
  payload: object;
  created_at: Date | string;
}

/** What every transport delivers. */
export interface PublicEvent {
  event_id: string;
  /** The outbox type, e.g. `JobSubmitted`. */
  type: string;
  /** The outbox id as a decimal string (int64 in the proto3 JSON mapping). */
  sequence: string;
  /** When the event was committed, RFC 3339 in UTC. */
  occurred_at: string;
  /** The broker subject this copy went out on, when it went through the broker. */
  subject?: string;
  /** The payload, already in the proto3 JSON mapping (docs/api.md). */
  data: object;
}

/** The default first token of every subject. */
export const DEFAULT_SUBJECT_PREFIX = 'tally';

/**
 * An event type's subjects, as token lists after the prefix (`['job', '12', 'submitted']`).
 * Several subjects mean several messages (a transfer goes out once per account leg).
 */
export type SubjectRule = (payload: Record<string, unknown>) => string[][];

const rules = new Map<string, SubjectRule>();

/** Declares the subjects of `type` (by its producer, next to the type's name). */
export function registerEventSubjects(type: string, rule: SubjectRule): void {
  rules.set(type, rule);
}

/**
 * A value as one subject token. NATS reserves `.` (separator), `*` and `>` (wildcards) and
 * whitespace; anything but letters, digits, `_`, `-`, `:` and `@` is written `%XX` per
 * UTF-8 byte (so `%` itself too), and an empty value is `%`. Distinct values stay distinct.
 */
export function subjectToken(value: unknown): string {
  const text = String(value ?? '');
  if (text === '') return '%';
  return [...Buffer.from(text, 'utf8')]
    .map((byte) => {
      const c = String.fromCharCode(byte);
      return /[A-Za-z0-9_\-:@]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}

/** `JobStartReleased` → `start_released` (with `JobStartReleased` and prefix `Job`). */
export function eventToken(type: string, stripPrefix = ''): string {
  const name = type.startsWith(stripPrefix) ? type.slice(stripPrefix.length) : type;
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/**
 * The subjects the event of `row` goes out on, in order, each under `prefix`. A type no
 * producer declared goes out on `<prefix>.event.<type>`: every event is published.
 */
export function eventSubjects(
  row: Pick<PublicOutboxRow, 'event_type' | 'payload'>,
  prefix = DEFAULT_SUBJECT_PREFIX,
): string[] {
  const rule = rules.get(row.event_type);
  const tokens = rule ? rule(row.payload as Record<string, unknown>) : [['event', row.event_type]];
  return tokens.map((t) => [prefix, ...t.map(subjectToken)].join('.'));
}

/** The public envelope of an outbox row (with `subject` when it is the broker's copy). */
export function publicEvent(row: PublicOutboxRow, subject?: string): PublicEvent {
  const occurred = row.created_at instanceof Date ? row.created_at : new Date(row.created_at);
  return {
    event_id: row.event_id,
    type: row.event_type,
    sequence: BigInt(row.id).toString(),
    occurred_at: occurred.toISOString(),
    ...(subject === undefined ? {} : { subject }),
    data: row.payload,
  };
}
