import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Principal } from '@tally/auth';
import { OutboxFeed, OutboxHorizon, publicEvent } from '@tally/database';
import { LoopBackoff, TallyEnv } from '@tally/shared';
import { EVENT_OWNERS_SQL, maySee, ownedEvent, OwnedFeedRow } from '@tally/webhooks';

/** Rows read per statement (a replay reads pages of this many). */
const PAGE = 500;
/** A stream whose client reads slower than this many unsent bytes is closed (it resumes with Last-Event-ID). */
const MAX_UNSENT_BYTES = 1 << 20;
type Row = OwnedFeedRow;

/** One open stream: who reads it, what it asked for, where it is. */
export interface StreamSink {
  principal: Pick<Principal, 'keyId' | 'role' | 'subject'>;
  /** Event types asked for; every type when absent. */
  types?: ReadonlySet<string>;
  /** Writes a chunk; false when the socket's buffer is full. */
  write(chunk: string): boolean;
  /** Bytes written and not yet sent. */
  unsent(): number;
  /** Ends the stream (shutdown, revoked key, a reader too slow). */
  end(reason: string): void;
  /** Whether the caller's key is still valid. */
  stillAuthenticated(): Promise<boolean>;
}

interface Stream {
  sink: StreamSink;
  /** Every id up to here was delivered or is not for this stream. */
  cursor: bigint;
  /** Live pages that arrived while the stream replayed. */
  backlog?: { rows: Row[]; upTo: bigint }[];
  closed: boolean;
}

/**
 * Every live event stream of this process, fed by one reader: while any stream is open, one
 * probe per SSE_POLL_MS asks the outbox how far it is settled (OutboxHorizon), and the rows up
 * to there are read once, with their owners, and offered to every stream, whose principal
 * and filter pick what it writes. Idle streams cost a socket and this record, no query.
 * Heartbeats and key rechecks run on one timer each for all streams.
 */
@Injectable()
export class EventStreams implements BeforeApplicationShutdown {
  private readonly logger = new Logger(EventStreams.name);
  private readonly feed: OutboxFeed;
  private readonly streams = new Set<Stream>();
  /** Every id up to here has been offered to the live streams; undefined until the first settled probe. */
  private horizon?: bigint;
  private readonly horizonWaiters: (() => void)[] = [];
  private readonly outboxHorizon: OutboxHorizon;
  private timers: NodeJS.Timeout[] = [];
  private ticking?: Promise<void>;
  private closing = false;
  private readonly backoff = new LoopBackoff('event stream reader', this.logger);

  constructor(
    dataSource: DataSource,
    private readonly env: TallyEnv,
  ) {
    this.feed = new OutboxFeed(dataSource);
    this.outboxHorizon = new OutboxHorizon(this.feed);
  }

  get count(): number {
    return this.streams.size;
  }

  /**
   * Starts a stream: with `lastEventId`, everything after it the caller may see first (from
   * the outbox, in id order), then live events; without, live events from now on.
   */
  async attach(sink: StreamSink, lastEventId?: bigint): Promise<void> {
    if (this.closing) return sink.end('shutdown');
    const stream: Stream = { sink, cursor: 0n, backlog: [], closed: false };
    this.streams.add(stream);
    this.start();
    try {
      const horizon = await this.settledHorizon();
      if (stream.closed) return;
      stream.cursor = lastEventId ?? horizon;
      while (stream.cursor < horizon && !stream.closed) {
        const rows = await this.read(stream.cursor, horizon);
        this.deliver(stream, rows, rows.length < PAGE ? horizon : BigInt(rows[rows.length - 1].id));
      }
      const backlog = stream.backlog ?? [];
      stream.backlog = undefined;
      for (const page of backlog) this.deliver(stream, page.rows, page.upTo);
    } catch (error) {
      this.logger.warn({ err: error }, 'an event stream could not replay; it is closed (the client resumes)');
      this.close(stream, 'replay failed');
    }
  }

  /** The stream's client went away. */
  closed(sink: StreamSink): void {
    for (const stream of this.streams) if (stream.sink === sink) this.close(stream);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    this.stop();
    await this.ticking;
    for (const stream of [...this.streams]) this.close(stream, 'shutdown');
    for (const wake of this.horizonWaiters.splice(0)) wake();
  }

  private close(stream: Stream, reason?: string): void {
    if (stream.closed) return;
    stream.closed = true;
    this.streams.delete(stream);
    if (reason) stream.sink.end(reason);
    if (this.streams.size === 0) this.stop();
  }

  /** Live rows for a stream: kept while it replays, written once it is live. */
  private offer(stream: Stream, rows: Row[], upTo: bigint): void {
    if (stream.backlog) stream.backlog.push({ rows, upTo });
    else this.deliver(stream, rows, upTo);
  }

  /** Writes the rows after the stream's cursor that it may see; its cursor moves to `upTo`. */
  private deliver(stream: Stream, rows: Row[], upTo: bigint): void {
    if (stream.closed) return;
    const { principal, types } = stream.sink;
    for (const row of rows) {
      if (BigInt(row.id) <= stream.cursor) continue;
      if (types && !types.has(row.event_type)) continue;
      if (!maySee(principal, ownedEvent(row))) continue;
      const event = publicEvent(row);
      stream.sink.write(`id: ${row.id}\nevent: ${row.event_type}\ndata: ${JSON.stringify(event)}\n\n`);
    }
    if (upTo > stream.cursor) stream.cursor = upTo;
    if (stream.sink.unsent() > MAX_UNSENT_BYTES) this.close(stream, 'too slow');
  }

  /** The horizon once known (the first settled probe). */
  private settledHorizon(): Promise<bigint> {
    if (this.horizon !== undefined) return Promise.resolve(this.horizon);
    return new Promise<bigint>((resolve, reject) => {
      this.horizonWaiters.push(() =>
        this.horizon !== undefined ? resolve(this.horizon) : reject(new Error('shutting down')),
      );
    });
  }

  private start(): void {
    if (this.timers.length > 0 || this.closing) return;
    const every = (ms: number, work: () => void) => {
      const timer = setInterval(work, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.env.SSE_POLL_MS, () => void this.tick());
    every(this.env.SSE_HEARTBEAT_SECONDS * 1000, () => this.heartbeat());
    every(this.env.SSE_KEY_RECHECK_SECONDS * 1000, () => void this.recheckKeys());
    void this.tick();
  }

  /** No stream open: no timer, no query; the horizon is learned again by the next stream. */
  private stop(): void {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    if (!this.ticking) this.forget();
  }

  private forget(): void {
    if (this.streams.size > 0) return;
    this.horizon = undefined;
    this.outboxHorizon.reset();
  }

  private tick(): Promise<void> {
    if (this.ticking || this.backoff.waiting) return this.ticking ?? Promise.resolve();
    this.ticking = this.advance()
      .then(
        () => this.backoff.succeeded(),
        (error: unknown) => this.backoff.failed(error),
      )
      .finally(() => {
        this.ticking = undefined;
        if (this.timers.length === 0) this.forget();
      });
    return this.ticking;
  }

  /**
   * One probe; the horizon moves to the settled id (OutboxHorizon), and the rows up to it
   * are offered to every stream.
   */
  private async advance(): Promise<void> {
    const settled = await this.outboxHorizon.settle();
    if (settled === undefined) return;
    if (this.horizon === undefined) {
      // Streams that resume replay up to here themselves; the others start here.
      this.horizon = settled;
      for (const wake of this.horizonWaiters.splice(0)) wake();
      return;
    }
    let from: bigint = this.horizon;
    while (from < settled && this.streams.size > 0) {
      const rows = await this.read(from, settled);
      const upTo = rows.length < PAGE ? settled : BigInt(rows[rows.length - 1].id);
      for (const stream of [...this.streams]) this.offer(stream, rows, upTo);
      this.horizon = from = upTo;
    }
  }

  /** A page of rows in (after, upTo], with whose they are. */
  private read(after: bigint, upTo: bigint): Promise<Row[]> {
    return this.feed.rows<Row['extra']>(
      { after: after.toString(), upTo: upTo.toString(), limit: PAGE },
      { extra: EVENT_OWNERS_SQL },
    );
  }

  /** A comment on every stream, so proxies keep idle ones open. */
  private heartbeat(): void {
    for (const stream of this.streams) if (!stream.backlog) stream.sink.write(': ping\n\n');
  }

  /** Streams whose key was revoked (or token expired) end; one check per key, however many streams use it. */
  private async recheckKeys(): Promise<void> {
    const byKey = new Map<string, Stream[]>();
    for (const stream of this.streams) {
      const list = byKey.get(stream.sink.principal.keyId);
      if (list) list.push(stream);
      else byKey.set(stream.sink.principal.keyId, [stream]);
    }
    for (const streams of byKey.values()) {
      try {
        if (await streams[0].sink.stillAuthenticated()) continue;
        for (const stream of streams) this.close(stream, 'revoked');
      } catch (error) {
        // The database away: the streams stay, checked again next time.
        this.logger.warn({ err: error }, 'could not recheck an event stream key');
      }
    }
  }
}
