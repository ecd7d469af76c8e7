import { Injectable, Logger } from '@nestjs/common';
import { protocolVersionPolicy, ProtocolVersionPolicy, type ServedVersion, TallyEnv } from '@tally/shared';
import { HttpMetrics } from '../metrics/http-metrics';

/**
 * The protocol version check both transports run on every request (REST: the
 * X-Protocol-Version header, in configure-app.ts; gRPC: the dse-protocol-version
 * metadata). The policy is @tally/shared's, configured by PROTOCOL_VERSIONS and
 * PROTOCOL_DEPRECATED_VERSIONS; a deprecated version is served, logged as a warning and
 * counted in tally_deprecated_requests_total{version}.
 */
@Injectable()
export class ProtocolVersions {
  private readonly logger = new Logger('ProtocolVersions');
  readonly policy: ProtocolVersionPolicy;

  constructor(
    env: TallyEnv,
    private readonly metrics: HttpMetrics,
  ) {
    this.policy = protocolVersionPolicy(env);
  }

  /** The version to serve; DSE-001 (InvalidRequestError) for a malformed or unsupported one. */
  serve(
    requested: string | readonly string[] | undefined,
    context: { transport: 'rest' | 'grpc'; method: string },
  ): ServedVersion {
    const served = this.policy.negotiate(requested);
    if (served.deprecated) {
      this.metrics.deprecatedRequests.inc({ version: served.version });
      this.logger.warn(
        { protocol_version: served.version, supported_versions: this.policy.supported, ...context },
        `protocol version ${served.version} is deprecated: move to ${this.policy.current}`,
      );
    }
    return served;
  }
}
