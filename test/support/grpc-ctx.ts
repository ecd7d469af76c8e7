import {
  type Client,
  credentials,
  type GrpcObject,
  loadPackageDefinition,
  Metadata,
  type ChannelCredentials,
  type ServiceClientConstructor,
  type ServiceError,
  type ClientReadableStream,
} from '@grpc/grpc-js';
import { dsePackageDefinition } from '../../apps/api/src/grpc/dse-proto';
import { errorDetailOf } from '../../apps/api/src/grpc/grpc-errors';
import { GrpcServer } from '../../apps/api/src/grpc/grpc-server';
import type { TestApp } from './test-app';

type Message = Record<string, unknown>;
// A method of a client made from the loaded definition (its stubs are not typed).
type AnyMethod = (...args: unknown[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A gRPC call's answer with its trailing metadata, or its error with status, metadata and ErrorDetail. */
export interface GrpcFailure {
  code: number;
  details: string;
  metadata: Metadata;
  dseCode: string | undefined;
  detail: Record<string, unknown> | null;
}

/** gRPC clients of a test app's JobService and ProverService, called with an API key as Bearer metadata. */
export class GrpcCtx {
  readonly jobs: Client;
  readonly provers: Client;

  /**
   * `t`: an in-process test app, or the gRPC port of a server running apart;
   * `options`: channel options, e.g. `grpc.use_local_subchannel_pool` for a connection of its own;
   * `channel`: the transport's credentials (TLS, a client certificate), plaintext by default.
   */
  constructor(
    t: TestApp | number,
    options: Record<string, string | number> = {},
    channel: ChannelCredentials = credentials.createInsecure(),
  ) {
    const port = typeof t === 'number' ? t : t.app.get(GrpcServer).port;
    if (!port) throw new Error('the gRPC server is not serving');
    const v1 = ((loadPackageDefinition(dsePackageDefinition()).tally as GrpcObject).dse as GrpcObject).v1 as GrpcObject;
    const address = `127.0.0.1:${port}`;
    this.jobs = new (v1.JobService as ServiceClientConstructor)(address, channel, options);
    this.provers = new (v1.ProverService as ServiceClientConstructor)(address, channel, options);
  }

  close(): void {
    this.jobs.close();
    this.provers.close();
  }

  /** Metadata with `authorization: Bearer <key>` from a REST-style `{ Authorization }` header set. */
  static auth(key?: Record<string, string>, extra: Record<string, string> = {}): Metadata {
    const metadata = new Metadata();
    if (key?.Authorization) metadata.set('authorization', key.Authorization);
    for (const [k, v] of Object.entries(extra)) metadata.set(k, v);
    return metadata;
  }

  /** A unary call: resolves with the message and trailing metadata, rejects with a GrpcFailure. */
  call(
    client: Client,
    method: string,
    request: Message,
    key?: Record<string, string>,
    extra: Record<string, string> = {},
  ): Promise<{ message: Message; trailer: Metadata }> {
    return new Promise((resolve, reject) => {
      let trailer = new Metadata();
      const fn = (client as unknown as Record<string, AnyMethod>)[method].bind(client);
      const call = fn(request, GrpcCtx.auth(key, extra), (err: ServiceError | null, message: Message) =>
        err ? reject(failureOf(err)) : setImmediate(() => resolve({ message: clean(message) as Message, trailer })),
      );
      call.on('status', (s: { metadata: Metadata }) => (trailer = s.metadata));
    });
  }

  /** The failure of a call that must fail (fails the test if it succeeds). */
  async failure(
    client: Client,
    method: string,
    request: Message,
    key?: Record<string, string>,
    extra: Record<string, string> = {},
  ): Promise<GrpcFailure> {
    try {
      await this.call(client, method, request, key, extra);
    } catch (error) {
      return error as GrpcFailure;
    }
    throw new Error(`${method} succeeded`);
  }

  /** Opens WatchAssignments; `messages` collects what arrives, `ended` settles when the stream ends. */
  watch(proverId: string, key: Record<string, string>) {
    const stream = (this.provers as unknown as Record<string, AnyMethod>).WatchAssignments(
      { prover_id: proverId },
      GrpcCtx.auth(key),
    ) as ClientReadableStream<Message>;
    const messages: Message[] = [];
    const waiters: (() => void)[] = [];
    stream.on('data', (m: Message) => {
      messages.push(clean(m) as Message);
      for (const w of waiters.splice(0)) w();
    });
    const ended = new Promise<{ error?: GrpcFailure }>((resolve) => {
      stream.on('error', (err: ServiceError) => resolve({ error: failureOf(err) }));
      stream.on('end', () => resolve({}));
    });
    stream.on('error', () => undefined);
    /** Waits until at least `n` messages have arrived (or `ms` pass). */
    const received = async (n: number, ms = 10_000): Promise<Message[]> => {
      const deadline = Date.now() + ms;
      while (messages.length < n && Date.now() < deadline) {
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 100);
        });
      }
      return messages;
    };
    return { stream, messages, received, ended };
  }
}

function failureOf(err: ServiceError): GrpcFailure {
  const dse = err.metadata?.get('dse-code')[0];
  return {
    code: err.code,
    details: err.details,
    metadata: err.metadata,
    dseCode: dse === undefined ? undefined : String(dse),
    detail: err.metadata ? errorDetailOf(err.metadata) : null,
  };
}

/** Drops the `_field` keys proto-loader adds for proto3 `optional` fields (which one is set). */
function clean(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clean);
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([k]) => !k.startsWith('_'))
      .map(([k, v]) => [k, clean(v)]),
  );
}
