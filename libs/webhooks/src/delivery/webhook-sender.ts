import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { publicEvent } from '@tally/database';
import { Clock, Coalesced, LoopBackoff, TallyEnv } from '@tally/shared';
import { EVENT_ID_HEADER, retriesExhausted, retryDelayMs, SIGNATURE_HEADER, webhookSignature } from '../domain';
import { checkAddressHost, publicOnlyLookup } from '../http/webhook-url';
import { ClaimedDelivery, WebhookStore } from '../persistence/webhook-store';

export const WEBHOOK_SEND_INTERVAL = 'webhooks.send';
const BATCH = 32;

/**
 * Sends due deliveries, with WEBHOOKS_ENABLED: claims a batch (a committed lease), calls
 * each receiver with no database connection held and a timeout, then records the outcome.
 * A failure is retried with exponential backoff and jitter; past 24 h the delivery and its
 * subscription are marked failing (kept, visible in the delivery log). Runs apart from the
 * ledger: a slow receiver delays only other deliveries. Each send connects only to
 * addresses checked at that moment (publicOnlyLookup): a host that resolves to a private
 * address now is a failed attempt, whatever it resolved to when subscribed.
 */
@Injectable()
export class WebhookSender implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookSender.name);
  private stopped = false;
  private readonly lookup: LookupFunction;
  private readonly pass = new Coalesced(
    () => this.sendDue(),
    () => this.stopped,
    new LoopBackoff('webhook deliveries', this.logger),
  );

  constructor(
    private readonly store: WebhookStore,
    private readonly registry: SchedulerRegistry,
    private readonly env: TallyEnv,
    private readonly clock: Clock,
  ) {
    this.lookup = publicOnlyLookup(env.WEBHOOKS_ALLOW_PRIVATE_URLS);
  }

  onApplicationBootstrap(): void {
    if (!this.env.WEBHOOKS_ENABLED) return;
    const every = Math.min(this.env.WEBHOOKS_RETRY_BASE_MS, 1000);
    this.registry.addInterval(
      WEBHOOK_SEND_INTERVAL,
      setInterval(() => this.pass.run(), every),
    );
  }

  /** Sends every due delivery, batch after batch; true when it sent any. */
  async sendDue(): Promise<boolean> {
    let any = false;
    const leaseSeconds = Math.ceil(this.env.WEBHOOKS_TIMEOUT_MS / 1000) + 30;
    for (;;) {
      if (this.stopped) return any;
      const claimed = await this.store.claim(BATCH, leaseSeconds);
      if (claimed.length === 0) return any;
      any = true;
      await Promise.all(claimed.map((d) => this.attempt(d)));
    }
  }

  private async attempt(d: ClaimedDelivery): Promise<void> {
    const body = JSON.stringify(
      publicEvent({
        id: d.sequence,
        event_id: d.event_id,
        event_type: d.event_type,
        payload: d.payload,
        created_at: d.occurred_at,
      }),
    );
    const now = this.clock.now();
    let statusCode: number | null = null;
    let error: string;
    try {
      statusCode = await this.post(d.url, body, {
        'content-type': 'application/json',
        'user-agent': 'tally-webhooks',
        [SIGNATURE_HEADER]: webhookSignature(d.secret, Math.floor(now.getTime() / 1000), body),
        [EVENT_ID_HEADER]: d.event_id,
      });
      if (statusCode >= 200 && statusCode < 300) return await this.store.delivered(d, statusCode);
      error = `HTTP ${statusCode}`;
    } catch (e) {
      error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    }
    const at = this.clock.now();
    const retryAt = retriesExhausted(d.created_at, at)
      ? null
      : new Date(at.getTime() + retryDelayMs(d.attempts, this.env.WEBHOOKS_RETRY_BASE_MS, Math.random()));
    await this.store.failed(d, statusCode, error, retryAt);
  }

  /**
   * One POST; the answer's status. A redirect is not followed (it could lead anywhere, a
   * private address too): it is a status like any other non-2xx, a failure.
   */
  private post(url: string, body: string, headers: Record<string, string>): Promise<number> {
    const target = new URL(url);
    checkAddressHost(target.hostname, this.env.WEBHOOKS_ALLOW_PRIVATE_URLS);
    const timeoutMs = this.env.WEBHOOKS_TIMEOUT_MS;
    const signal = AbortSignal.timeout(timeoutMs);
    const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<number>((resolve, reject) => {
      const req = request(
        target,
        {
          method: 'POST',
          headers: { ...headers, 'content-length': Buffer.byteLength(body) },
          lookup: this.lookup,
          signal,
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', (e) =>
        reject(signal.aborted ? Object.assign(new Error(`no answer within ${timeoutMs} ms`), { name: 'Timeout' }) : e),
      );
      req.end(body);
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.registry.doesExist('interval', WEBHOOK_SEND_INTERVAL)) this.registry.deleteInterval(WEBHOOK_SEND_INTERVAL);
    await this.pass.idle();
  }
}
