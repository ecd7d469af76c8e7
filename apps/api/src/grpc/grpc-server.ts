import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { Server } from '@grpc/grpc-js';
import { JobEndpoints, ProverReplicasQuery } from '@tally/jobs';
import { JobWakeups, ProverEndpoints } from '@tally/provers';
import { TallyEnv } from '@tally/shared';
import { dseServices } from './dse-proto';
import { jobService, type OpenStreams, proverService } from './dse-services';
import { GrpcAuthenticator } from './grpc-auth';
import { GrpcCalls } from './grpc-calls';
import { GRPC_TRANSPORT_SECURITY } from './grpc-transport-security';
import { ProtocolVersions } from '../operations/protocol-versions/protocol-versions';
import { type GrpcTransportSecurity, reloadOnSighup } from './tls';

/** The spec's transport limits (§2.1): requests and answers up to 10 MB, connections idle 30 s at most. */
export const GRPC_MAX_MESSAGE_BYTES = 10 * 1024 * 1024;
export const GRPC_IDLE_TIMEOUT_MS = 30_000;

const SERVER_OPTIONS = {
  'grpc.max_receive_message_length': GRPC_MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': GRPC_MAX_MESSAGE_BYTES,
  // A connection with no call open for this long is closed (an open stream keeps it).
  'grpc.max_connection_idle_ms': GRPC_IDLE_TIMEOUT_MS,
  // Pings every 20 s find dead peers; an answer must come within 10 s.
  'grpc.keepalive_time_ms': 20_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
  // Clients may ping every 10 s (one that pings faster is told to go away).
  'grpc.http2.min_ping_interval_without_data_ms': 10_000,
};

/**
 * The gRPC Control API in the HTTP app's process (GRPC_ENABLED, GRPC_PORT, GRPC_HOST): the
 * JobService and ProverService of proto/tally/dse/v1 over the same use cases as REST. It binds
 * once the app is up and stops before the app's shutdown hooks run (open streams end first).
 */
@Injectable()
export class GrpcServer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(GrpcServer.name);
  private server?: Server;
  private readonly streams: OpenStreams = new Map();
  private stopReloads?: () => void;
  /** The port bound (GRPC_PORT, or the one chosen for GRPC_PORT=0); undefined while not serving. */
  port?: number;

  constructor(
    private readonly env: TallyEnv,
    private readonly auth: GrpcAuthenticator,
    private readonly jobs: JobEndpoints,
    private readonly provers: ProverEndpoints,
    private readonly replicas: ProverReplicasQuery,
    private readonly wakeups: JobWakeups,
    private readonly queries: QueryBus,
    private readonly versions: ProtocolVersions,
    @Inject(GRPC_TRANSPORT_SECURITY) private readonly security: GrpcTransportSecurity | null,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const security = this.security;
    if (!this.env.GRPC_ENABLED || !security) return;
    const calls = new GrpcCalls(this.auth, this.versions);
    const server = new Server(SERVER_OPTIONS);
    const { JobService, ProverService } = dseServices();
    server.addService(JobService, jobService(calls, this.jobs));
    server.addService(
      ProverService,
      proverService(
        calls,
        this.provers,
        {
          replicas: this.replicas,
          wakeups: this.wakeups,
          queries: this.queries,
          settings: { recheckMs: Math.max(1000, this.env.PROVER_POLL_RECHECK_MS) },
        },
        this.streams,
      ),
    );
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(security.bindAddress(this.env.GRPC_PORT), security.credentials, (err, port) =>
        err ? reject(err) : resolve(port),
      ),
    );
    this.server = server;
    // Plaintext carries credentials in the clear: it binds loopback only, and says so.
    const line = `${security.summary}; listening on port ${this.port}`;
    if (security.loopbackOnly) this.logger.warn(line);
    else this.logger.log(line);
    this.stopReloads = reloadOnSighup(security, this.logger);
  }

  /** Ends open streams (their clients reconnect elsewhere), lets unary calls finish, then stops. */
  async beforeApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.stopReloads?.();
    this.server = undefined;
    this.port = undefined;
    for (const [stream, stop] of [...this.streams]) {
      stop(); // its loop writes nothing more
      stream.end();
    }
    this.streams.clear();
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, this.env.SHUTDOWN_GRACE_MS);
      force.unref();
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }
}
