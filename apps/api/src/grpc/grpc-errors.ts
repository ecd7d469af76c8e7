import { join } from 'node:path';
import { Metadata, status as Status, type ServiceError } from '@grpc/grpc-js';
import { Root, type Type } from 'protobufjs';
import { isConnectionLoss } from '@tally/database';
import {
  DomainError,
  ERROR_TITLES,
  ErrorCode,
  ForbiddenError,
  RateLimitedError,
  UnavailableError,
} from '@tally/shared';
import { protoRoot } from './dse-proto';

/** The one place that turns a DSE code into a gRPC status (docs/errors.md has the table). */
export function grpcStatusFor(error: DomainError): Status {
  const code: ErrorCode = error.code;
  switch (code) {
    case ErrorCode.InvalidRequest:
      return Status.INVALID_ARGUMENT;
    case ErrorCode.Unauthorized:
      return error instanceof ForbiddenError ? Status.PERMISSION_DENIED : Status.UNAUTHENTICATED;
    case ErrorCode.JobNotFound:
    case ErrorCode.ProverNotFound:
    case ErrorCode.AccountNotFound:
    case ErrorCode.NotFound:
      return Status.NOT_FOUND;
    case ErrorCode.VersionConflict:
    case ErrorCode.IdempotencyConflict:
    case ErrorCode.IllegalTransition:
      return Status.ABORTED;
    case ErrorCode.InsufficientCredits:
    case ErrorCode.CostCeilingExceeded:
      return Status.FAILED_PRECONDITION;
    case ErrorCode.RateLimited:
      return Status.RESOURCE_EXHAUSTED;
    case ErrorCode.Internal:
      return Status.INTERNAL;
    case ErrorCode.TransportFailure:
    case ErrorCode.Unavailable:
      return Status.UNAVAILABLE;
    default: {
      const unhandled: never = code;
      throw new Error(`no gRPC status for error code ${String(unhandled)}`);
    }
  }
}

/** Errors that are not DomainErrors: a lost database is DSE-014, anything else DSE-007 (and logged by the caller). */
export function asDomainError(error: unknown): DomainError {
  if (error instanceof DomainError) return error;
  if (isConnectionLoss(error)) return new UnavailableError('database');
  return new DomainError(ErrorCode.Internal, 'internal error; see the server logs');
}

/** google.rpc.Status and ErrorDetail, loaded from proto/ on first use. */
let types: { RpcStatus: Type; ErrorDetail: Type } | undefined;
function errorTypes() {
  if (!types) {
    const root = new Root();
    root.resolvePath = (_origin, target) => join(protoRoot(), target);
    root.loadSync(['google/rpc/status.proto', 'tally/dse/v1/errors.proto'], { keepCase: true });
    types = {
      RpcStatus: root.lookupType('google.rpc.Status'),
      ErrorDetail: root.lookupType('tally.dse.v1.ErrorDetail'),
    };
  }
  return types;
}
const DETAIL_TYPE_URL = 'type.googleapis.com/tally.dse.v1.ErrorDetail';

/** The DSE_NNN_… name of a code in the ErrorCode enum of errors.proto. */
const reasonOf = (code: ErrorCode): number => Number(code.slice(4));

/**
 * A DomainError as a gRPC error: its status, its message, `dse-code` metadata, `retry-after`
 * where a retry may succeed, and the rich error model (google.rpc.Status with an ErrorDetail)
 * in `grpc-status-details-bin`.
 */
export function toServiceError(error: DomainError, metadata = new Metadata()): Partial<ServiceError> {
  const code = grpcStatusFor(error);
  const { RpcStatus, ErrorDetail } = errorTypes();
  metadata.set('dse-code', error.code);
  const retryAfter =
    error instanceof RateLimitedError || error instanceof UnavailableError ? error.retryAfterSeconds : undefined;
  if (retryAfter !== undefined) metadata.set('retry-after', String(retryAfter));
  const fields = (error.details?.errors ?? []) as { field: string; message: string }[];
  const detail = ErrorDetail.encode(
    ErrorDetail.fromObject({
      reason: reasonOf(error.code),
      code: error.code,
      title: code === Status.PERMISSION_DENIED ? 'Forbidden' : ERROR_TITLES[error.code],
      detail: error.message,
      ...(retryAfter !== undefined ? { retry_after_seconds: retryAfter } : {}),
      errors: fields.map(({ field, message }) => ({ field, message })),
    }),
  ).finish();
  const rpcStatus = RpcStatus.encode(
    RpcStatus.fromObject({ code, message: error.message, details: [{ type_url: DETAIL_TYPE_URL, value: detail }] }),
  ).finish();
  metadata.set('grpc-status-details-bin', Buffer.from(rpcStatus));
  return { code, details: error.message, metadata };
}

/** The ErrorDetail of a gRPC error's metadata (for clients and tests). */
export function errorDetailOf(metadata: Metadata): Record<string, unknown> | null {
  const bin = metadata.get('grpc-status-details-bin')[0];
  if (!Buffer.isBuffer(bin)) return null;
  const { RpcStatus, ErrorDetail } = errorTypes();
  const rpc = RpcStatus.toObject(RpcStatus.decode(bin)) as { details?: { type_url: string; value: Uint8Array }[] };
  const any = rpc.details?.find((d) => d.type_url === DETAIL_TYPE_URL);
  return any ? ErrorDetail.toObject(ErrorDetail.decode(any.value), { enums: String, defaults: true }) : null;
}
