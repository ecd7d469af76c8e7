import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestApp } from './test-app';

/** One event as a stream delivered it. */
export interface StreamedEvent {
  id: string;
  event: string;
  data: { event_id: string; type: string; sequence: string; occurred_at: string; data: Record<string, unknown> };
}

/** The app's HTTP server listening on a free local port (once); returns its port. */
export async function listening(t: TestApp): Promise<number> {
  const server = t.app.getHttpServer();
  if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/**
 * A Server-Sent Events reader of GET /v1/events/stream: collects events and comments as they
 * come, parsed as the SSE format says (fields up to a blank line; `:` starts a comment).
 */
export class SseStream {
  readonly events: StreamedEvent[] = [];
  readonly comments: string[] = [];
  status?: number;
  headers: Record<string, string | string[] | undefined> = {};
  private buffer = '';
  private req?: ClientRequest;
  private res?: IncomingMessage;
  private readonly changed = new Set<() => void>();
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  private endedResolve!: () => void;
  bodyText = '';

  constructor() {
    this.ended = new Promise((resolve) => (this.endedResolve = resolve));
  }

  static async open(port: number, headers: Record<string, string>, query = ''): Promise<SseStream> {
    const stream = new SseStream();
    await new Promise<void>((resolve, reject) => {
      stream.req = httpRequest(
        { host: '127.0.0.1', port, path: `/v1/events/stream${query}`, headers, agent: false },
        (res) => {
          stream.res = res;
          stream.status = res.statusCode;
          stream.headers = res.headers;
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => stream.take(chunk));
          res.on('end', () => stream.finish());
          res.on('close', () => stream.finish());
          resolve();
        },
      );
      stream.req.on('error', reject);
      stream.req.end();
    });
    if (stream.status === 200) await stream.until(() => stream.comments.includes('connected'));
    return stream;
  }

  private finish(): void {
    this.endedResolve();
    for (const wake of [...this.changed]) wake();
  }

  private take(chunk: string): void {
    this.bodyText += chunk;
    this.buffer += chunk;
    let at: number;
    while ((at = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, at);
      this.buffer = this.buffer.slice(at + 2);
      const fields: Record<string, string> = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
        else {
          const colon = line.indexOf(':');
          fields[line.slice(0, colon)] = line.slice(colon + 1).replace(/^ /, '');
        }
      }
      if (fields.data !== undefined) {
        this.events.push({ id: fields.id, event: fields.event, data: JSON.parse(fields.data) });
      }
    }
    for (const wake of [...this.changed]) wake();
  }

  /** Waits until `done()` holds (checked on every chunk), failing after `ms`. */
  until(done: () => boolean, ms = 10_000): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.changed.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.changed.delete(check);
        reject(new Error(`stream condition not met within ${ms} ms; ${this.events.length} events so far`));
      }, ms);
      this.changed.add(check);
    });
  }

  /** The client leaves. */
  close(): void {
    this.req?.destroy();
    this.res?.destroy();
  }

  get lastId(): string | undefined {
    return this.events[this.events.length - 1]?.id;
  }
}
