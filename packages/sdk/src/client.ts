import createClient, { type Client, type ClientPathsWithMethod } from 'openapi-fetch';
import type { paths } from './generated/schema';
import { TallyError } from './errors';
import { retryingFetch, type FetchLike, type RetryOptions } from './retry';
import { followEvents, type EventStreamOptions, type TallyEvent } from './events';

export interface TallyClientOptions {
  /** The service's base URL, e.g. http://localhost:3000 (paths start with /v1). */
  baseUrl: string;
  /** An API key (`tly_…`) or a JWT; sent as `Authorization: Bearer`. */
  apiKey?: string;
  /** Replaces globalThis.fetch (tests, proxies, instrumentation). */
  fetch?: (request: Request) => Promise<Response>;
  retry?: RetryOptions;
  /** Sent with every request. */
  headers?: Record<string, string>;
}

type GetPath = ClientPathsWithMethod<Client<paths>, 'get'>;
type JsonOf<R> = R extends { content: { 'application/json': infer D } } ? D : unknown;
/** The 200 body of a GET path, once the OpenAPI document declares it; unknown before. */
export type GetData<P extends GetPath> = paths[P]['get'] extends { responses: { 200: infer R } } ? JsonOf<R> : unknown;
/** One item of a keyset-paged listing (`{ items, next_cursor }`). */
export type PageItem<P extends GetPath> = GetData<P> extends { items: (infer I)[] } ? I : Record<string, unknown>;

export interface PageOptions {
  /** Path parameters, e.g. { prover_id: 'p-1' }. */
  path?: Record<string, string>;
  /** Filters; `limit` is the page size. `cursor` is managed by the iterator. */
  query?: Record<string, string | number | boolean | undefined>;
  signal?: AbortSignal;
}

export interface PollOptions {
  /** How long one poll waits for an assignment on the server (default 20 s). */
  maxWaitSeconds?: number;
  signal?: AbortSignal;
}

/**
 * The Tally client. `api` is the typed client generated from the OpenAPI document
 * (`api.POST('/v1/credits/mint', { body })`); every refusal is thrown as a TallyError, every
 * mutation carries an Idempotency-Key and network errors and 5xx are retried with it. The
 * helpers below walk pages, follow the event stream and long-poll for assignments.
 */
export class TallyClient {
  readonly api: Client<paths>;
  private readonly send: FetchLike;
  private readonly baseUrl: string;
  private readonly headers: Record<string, string>;

  constructor(options: TallyClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    const base: FetchLike = options.fetch ?? ((request) => globalThis.fetch(request));
    this.send = retryingFetch(base, options.retry);
    this.headers = { ...options.headers };
    if (options.apiKey) this.headers.Authorization = `Bearer ${options.apiKey}`;
    this.api = createClient<paths>({ baseUrl: this.baseUrl, fetch: this.send, headers: this.headers });
    this.api.use({
      async onResponse({ response }) {
        if (!response.ok) throw await TallyError.from(response);
      },
    });
  }

  /**
   * Every item of a keyset-paged listing, page after page (`next_cursor` until null):
   * `for await (const t of tally.pages('/v1/credits/transactions', { query: { limit: 100 } }))`.
   */
  async *pages<P extends GetPath>(path: P, options: PageOptions = {}): AsyncGenerator<PageItem<P>> {
    let cursor: string | undefined;
    do {
      const query = { ...options.query, ...(cursor === undefined ? {} : { cursor }) };
      const page = (await this.json('GET', path, { path: options.path, query, signal: options.signal })) as {
        items: PageItem<P>[];
        next_cursor: string | null;
      };
      yield* page.items;
      cursor = page.next_cursor ?? undefined;
    } while (cursor !== undefined);
  }

  /**
   * The events the key may see (GET /v1/events/stream), as they happen. The stream is
   * reopened after a drop with Last-Event-ID, so no event is missed or repeated; pass
   * `lastEventId` to resume where an earlier run stopped. Ends when `signal` aborts.
   */
  events(options: EventStreamOptions = {}): AsyncGenerator<TallyEvent> {
    return followEvents(this.send, `${this.baseUrl}/v1/events/stream`, this.headers, options);
  }

  /**
   * A prover's assignments by long poll (POST /v1/provers/{id}/poll): each job, already
   * started, as it is assigned. Polls again at once after an empty answer (204).
   */
  async *assignments(proverId: string, options: PollOptions = {}): AsyncGenerator<Record<string, unknown>> {
    const body = { max_wait_seconds: options.maxWaitSeconds ?? 20 };
    while (!options.signal?.aborted) {
      const job = await this.json('POST', '/v1/provers/{prover_id}/poll', {
        path: { prover_id: proverId },
        body,
        signal: options.signal,
      });
      if (job !== undefined) yield job as Record<string, unknown>;
    }
  }

  /** One JSON request by path template; undefined for an empty answer (204). */
  private async json(
    method: string,
    template: string,
    init: { path?: Record<string, string>; query?: PageOptions['query']; body?: unknown; signal?: AbortSignal },
  ): Promise<unknown> {
    const path = template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(init.path?.[name] ?? ''));
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [name, value] of Object.entries(init.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = { ...this.headers, Accept: 'application/json' };
    if (init.body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await this.send(
      new Request(url, {
        method,
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: init.signal,
      }),
    );
    if (!response.ok) throw await TallyError.from(response);
    if (response.status === 204) return undefined;
    return response.json();
  }
}
