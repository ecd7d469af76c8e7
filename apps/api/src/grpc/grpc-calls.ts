import { Logger, ValidationPipe } from '@nestjs/common';
import {
  Metadata,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import { ROLES_KEY, type Role } from '@tally/auth';
import {
  createValidationPipe,
  DEPRECATION_METADATA,
  ErrorCode,
  inIncomingSpan,
  InvalidRequestError,
  PROTOCOL_VERSION_METADATA,
} from '@tally/shared';
import { isUndecodable } from './dse-proto';
import { ProtocolVersions } from '../operations/protocol-versions/protocol-versions';
import { tracingStarted } from '../operations/tracing/tracing';
import { type GrpcCaller, GrpcAuthenticator, MetadataHeaders } from './grpc-auth';
import { asDomainError, toServiceError } from './grpc-errors';

/** The roles a REST handler admits (its @Roles): a gRPC method admits the same, declared once. */
export function rolesOf(restHandler: (...args: never[]) => unknown): readonly Role[] {
  const roles = Reflect.getMetadata(ROLES_KEY, restHandler) as Role[] | undefined;
  if (!roles) throw new Error(`${restHandler.name} declares no @Roles`);
  return roles;
}

/** What a unary handler answers: the message, and metadata such as `idempotent-replayed`. */
export interface Answer<T> {
  message: T;
  metadata?: Record<string, string>;
}

/**
 * Runs gRPC calls as the HTTP app runs requests: authenticated and rate limited, the request
 * validated by the same DTO classes and pipe, errors as gRPC statuses with their DSE code.
 * A handler's failure never escapes: unknown errors are INTERNAL (DSE-007), logged.
 */
export class GrpcCalls {
  private readonly logger = new Logger('Grpc');
  private readonly pipe: ValidationPipe = createValidationPipe();

  constructor(
    private readonly auth: GrpcAuthenticator,
    private readonly versions: ProtocolVersions,
  ) {}

  /**
   * The protocol version, checked first as REST checks X-Protocol-Version: the answer's
   * metadata names the version served (the current one on a refusal), with `deprecation`
   * when it is deprecated; a malformed or unsupported one is INVALID_ARGUMENT (DSE-001).
   */
  private negotiate(method: string, metadata: Metadata, out: MetadataHeaders): void {
    out.header(PROTOCOL_VERSION_METADATA, this.versions.policy.current);
    const sent = metadata.get(PROTOCOL_VERSION_METADATA).map(String);
    const served = this.versions.serve(sent.length === 0 ? undefined : sent.length === 1 ? sent[0] : sent, {
      transport: 'grpc',
      method,
    });
    out.header(PROTOCOL_VERSION_METADATA, served.version);
    if (served.deprecated) out.header(DEPRECATION_METADATA, 'true');
  }

  /** What every call checks before authentication: its protocol version, then that its bytes decoded. */
  private admit(method: string, call: { metadata: Metadata; request: unknown }, out: MetadataHeaders): void {
    this.negotiate(method, call.metadata, out);
    if (isUndecodable(call.request)) {
      throw new InvalidRequestError(`the request is not a ${method} request message (it does not decode)`);
    }
  }

  /** A request in REST's shape, validated and transformed by its DTO class (DSE-001 when invalid). */
  validate<T>(dto: new () => T, plain: Record<string, unknown>): Promise<T> {
    return this.pipe.transform(plain, { type: 'body', metatype: dto }) as Promise<T>;
  }

  unary<Req, Res>(
    method: string,
    roles: readonly Role[],
    handle: (request: Req, caller: GrpcCaller, call: ServerUnaryCall<Req, Res>) => Promise<Answer<Res>>,
  ) {
    // Decided once, as the service is built: without tracing a call costs nothing more.
    const traced = tracingStarted();
    return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
      const headers = new MetadataHeaders();
      const run = async () => {
        this.admit(method, call, headers);
        const caller = await this.auth.authenticate(call, roles, headers);
        return handle(call.request, caller, call);
      };
      const attributes = { 'rpc.system': 'grpc', 'rpc.method': method };
      void (traced ? inIncomingSpan(`grpc ${method}`, attributes, call.metadata.getMap(), run) : run()).then(
        ({ message, metadata }) => {
          const trailer = metadataOf(headers);
          for (const [k, v] of Object.entries(metadata ?? {})) trailer.set(k, v);
          callback(null, message, trailer);
        },
        (error: unknown) => callback(this.failure(method, error, headers) as ServiceError),
      );
    };
  }

  /**
   * A server stream: `run` writes to it until it ends the call or the client goes. Failures
   * before or during it end the call with their status.
   */
  stream<Req, Res>(
    method: string,
    roles: readonly Role[],
    run: (call: ServerWritableStream<Req, Res>, caller: GrpcCaller) => Promise<void>,
  ) {
    return (call: ServerWritableStream<Req, Res>): void => {
      const headers = new MetadataHeaders();
      void (async () => {
        this.admit(method, call, headers);
        const caller = await this.auth.authenticate(call, roles, headers);
        call.sendMetadata(metadataOf(headers));
        await run(call, caller);
      })().catch((error: unknown) => {
        if (call.cancelled || call.destroyed) return;
        call.emit('error', this.failure(method, error, headers));
      });
    };
  }

  private failure(method: string, error: unknown, headers: MetadataHeaders): Partial<ServiceError> {
    const domain = asDomainError(error);
    if (domain.code === ErrorCode.Internal) this.logger.error({ err: error, method }, 'unhandled error');
    return toServiceError(domain, metadataOf(headers));
  }
}

function metadataOf(headers: MetadataHeaders): Metadata {
  const metadata = new Metadata();
  for (const [k, v] of headers.entries) metadata.set(k, v);
  return metadata;
}
