import { createParser } from 'eventsource-parser';
import { TallyError } from './errors';
import { sleep, type FetchLike } from './retry';

/** One event of GET /v1/events/stream: `id` its sequence, `data` its public envelope (docs/events.md). */
export interface TallyEvent {
  id: string;
  type: string;
  data: { event_id: string; type: string; sequence: string; occurred_at: string; data: Record<string, unknown> };
}

export interface EventStreamOptions {
  /** Event types to receive (all the key may see when absent). */
  types?: string[];
  /** Resume after this event id (the last one a previous run handled). */
  lastEventId?: string;
  /** Wait before reopening a dropped stream (default 500 ms, doubled up to 10 s). */
  reconnectDelayMs?: number;
  signal?: AbortSignal;
}

/** Follows the stream, reopening it with Last-Event-ID whenever it drops, until `signal` aborts. */
export async function* followEvents(
  send: FetchLike,
  url: string,
  headers: Record<string, string>,
  options: EventStreamOptions,
): AsyncGenerator<TallyEvent> {
  const target = new URL(url);
  if (options.types?.length) target.searchParams.set('types', options.types.join(','));
  let lastId = options.lastEventId;
  const firstDelay = options.reconnectDelayMs ?? 500;
  let delay = firstDelay;
  // Aborted when the caller stops iterating, so the open response is released.
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  try {
    while (!signal.aborted) {
      try {
        const response = await send(
          new Request(target, {
            headers: { ...headers, Accept: 'text/event-stream', ...(lastId ? { 'Last-Event-ID': lastId } : {}) },
            signal,
          }),
        );
        // A refusal (bad key, bad types) will not get better by reopening.
        if (!response.ok) throw await TallyError.from(response);
        delay = firstDelay;
        for await (const event of parse(response)) {
          lastId = event.id;
          yield event;
        }
      } catch (error) {
        if (error instanceof TallyError || signal.aborted) throw error;
        // A dropped connection: reopened below.
      }
      await sleep(delay, signal).catch(() => undefined);
      delay = Math.min(delay * 2, 10_000);
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  } finally {
    stop.abort();
  }
}

async function* parse(response: Response): AsyncGenerator<TallyEvent> {
  if (!response.body) return;
  const queue: TallyEvent[] = [];
  const parser = createParser({
    onEvent(message) {
      if (message.id === undefined) return;
      queue.push({ id: message.id, type: message.event ?? 'message', data: JSON.parse(message.data) });
    },
  });
  const decoder = new TextDecoder();
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    yield* queue.splice(0);
  }
}
