import type { components } from '../../../../packages/sdk/src/generated/schema';
import { chainsOf, type ItemLine, type Rejection } from './jsonl-batches';

export const BATCH_PATH = '/v1/credits/transfers/batch';

/** One item's outcome, as the batch route answers it (the OpenAPI document the SDK is generated from). */
export type ItemOutcome = components['schemas']['BatchItemOutcomeDto'];

/** The import cannot go on (a refused key, no batch route, a server error, retries spent). */
export class ImportStopped extends Error {}

export interface SenderOptions {
  url: string;
  key: string;
  /** Attempts of one request on network errors, timeouts, 429 and 502-504 (default 8). */
  attempts?: number;
  /** First backoff when the server names no Retry-After (default 500 ms), doubled each time. */
  baseDelayMs?: number;
  /** Longest single wait, Retry-After included (default 60 s). */
  maxDelayMs?: number;
  /** Longest one request may take before it is sent again (default 5 min). */
  timeoutMs?: number;
  /** Told of each retry (it goes to stderr). */
  onRetry?: (why: string, waitMs: number) => void;
}

/** Statuses after which the same request may succeed. */
const TRANSIENT = new Set([429, 502, 503, 504]);

/** An item's outcome with its line: ok (posted or replayed) or its rejection. */
export type LineOutcome =
  { line: ItemLine; ok: true; replayed: boolean } | { line: ItemLine; ok: false; rejection: Rejection };

/**
 * Sends batches to the batch route. Every item carries its own id, so sending a batch again
 * (after a network error, a 503, or a crash of this process) writes nothing twice: the
 * server answers the items it posted before as replays.
 */
export class BatchSender {
  /** Requests sent again after a transient failure. */
  retries = 0;
  /** Batches split because the server refused the request as a whole (400, 413). */
  splits = 0;

  constructor(private readonly options: SenderOptions) {}

  /**
   * The outcome of every item, in order. A request refused as a whole (400, 413: one item
   * the body parser refuses, or a body over the limit) was not applied: it is split in two
   * along its chains and each half sent, down to the one chain or item at fault, whose
   * items are then rejected with the server's code and detail.
   */
  async send(items: ItemLine[]): Promise<LineOutcome[]> {
    if (items.length === 0) return [];
    const answer = await this.post(items);
    if (answer.kind === 'outcomes') return this.outcomes(items, answer.items);
    const units = chainsOf(items);
    if (units.length === 1) {
      const { code, detail } = answer;
      return items.map((line) => ({
        line,
        ok: false,
        rejection: { line: line.line, id: line.id, code, reason: 'request_refused', detail },
      }));
    }
    this.splits++;
    const half = Math.ceil(units.length / 2);
    // In order: later items may spend what earlier ones credit.
    const left = await this.send(units.slice(0, half).flat());
    const right = await this.send(units.slice(half).flat());
    return [...left, ...right];
  }

  private outcomes(items: ItemLine[], outcomes: ItemOutcome[]): LineOutcome[] {
    if (outcomes.length !== items.length) {
      throw new ImportStopped(`the server answered ${outcomes.length} outcomes for ${items.length} items`);
    }
    return outcomes.map((o, i) => {
      const line = items[o.index ?? i];
      if (o.status === 'ok') return { line, ok: true, replayed: o.replayed === true };
      return {
        line,
        ok: false,
        rejection: {
          line: line.line,
          id: line.id,
          code: o.code ?? 'unknown',
          reason: o.reason ?? 'unknown',
          detail: o.detail ?? '',
        },
      };
    });
  }

  /** One request, retried while the failure is transient; a refusal of the whole request is returned. */
  private async post(
    items: ItemLine[],
  ): Promise<{ kind: 'outcomes'; items: ItemOutcome[] } | { kind: 'refused'; code: string; detail: string }> {
    const { attempts = 8, baseDelayMs = 500, maxDelayMs = 60_000, timeoutMs = 300_000 } = this.options;
    // The lines as the file has them: no re-serialising, the server reads exactly what was written.
    const body = `{"items":[${items.map((i) => i.text).join(',')}]}`;
    for (let attempt = 1; ; attempt++) {
      const last = attempt >= attempts;
      let response: Response;
      try {
        response = await fetch(new URL(BATCH_PATH, this.options.url), {
          method: 'POST',
          headers: { authorization: `Bearer ${this.options.key}`, 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        const why = networkError(error);
        if (last) throw new ImportStopped(`${why}, ${attempts} times`);
        await this.wait(why, backoff(attempt, baseDelayMs, maxDelayMs));
        continue;
      }
      const text = await response.text().catch(() => '');
      if (response.status === 200) {
        const parsed = parseJson(text) as { items?: unknown } | undefined;
        if (!Array.isArray(parsed?.items)) throw new ImportStopped('the server answered 200 without items');
        return { kind: 'outcomes', items: parsed.items as ItemOutcome[] };
      }
      const problem = (parseJson(text) ?? {}) as { code?: string; detail?: string; title?: string };
      const said = `HTTP ${response.status}${problem.code ? ` ${problem.code}` : ''}: ${problem.detail ?? problem.title ?? (text.slice(0, 200) || 'no detail')}`;
      if (TRANSIENT.has(response.status) && !last) {
        const after = retryAfterMs(response.headers.get('retry-after'));
        await this.wait(said, Math.min(after ?? backoff(attempt, baseDelayMs, maxDelayMs), maxDelayMs));
        continue;
      }
      if (response.status === 400 || response.status === 413) {
        return { kind: 'refused', code: problem.code ?? 'DSE-001', detail: problem.detail ?? said };
      }
      throw new ImportStopped(TRANSIENT.has(response.status) ? `${said} (${attempts} times)` : said);
    }
  }

  private async wait(why: string, ms: number): Promise<void> {
    this.retries++;
    this.options.onRetry?.(why, ms);
    await new Promise((resolve) => setTimeout(resolve, ms));
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function networkError(error: unknown): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return 'the request timed out';
  return `cannot reach the server (${e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(error)})`;
}

function backoff(attempt: number, base: number, cap: number): number {
  const ceiling = Math.min(cap, base * 2 ** (attempt - 1));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** Retry-After in seconds (what Tally sends) or as an HTTP date. */
function retryAfterMs(value: string | null): number | undefined {
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
