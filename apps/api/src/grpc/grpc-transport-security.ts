import type { Provider } from '@nestjs/common';
import { TallyEnv } from '@tally/shared';
import { grpcServerCredentials, type GrpcTransportSecurity } from './tls';

/** The injection token of the server's transport security (GrpcTransportSecurity, or null when gRPC is off). */
export const GRPC_TRANSPORT_SECURITY = Symbol('GRPC_TRANSPORT_SECURITY');

/**
 * Built while the app starts, so a wrong GRPC_TLS_* setting (half a pair, an unreadable file,
 * a key that is not the certificate's) stops the start with the variable named.
 */
export const grpcTransportSecurityProvider: Provider = {
  provide: GRPC_TRANSPORT_SECURITY,
  inject: [TallyEnv],
  useFactory: (env: TallyEnv): GrpcTransportSecurity | null => (env.GRPC_ENABLED ? grpcServerCredentials(env) : null),
};
