import { InvalidRequestError } from '../errors';

/** The request and response header that carries the protocol version on REST. */
export const PROTOCOL_VERSION_HEADER = 'X-Protocol-Version';
/** The request and response metadata key that carries it on gRPC. */
export const PROTOCOL_VERSION_METADATA = 'dse-protocol-version';
/** The header a deprecated version's answers carry on REST (value `true`). */
export const DEPRECATION_HEADER = 'Deprecation';
/** The metadata key a deprecated version's answers carry on gRPC (value `true`). */
export const DEPRECATION_METADATA = 'deprecation';

/**
 * The protocol major version this build implements, served unless PROTOCOL_VERSIONS says
 * otherwise (a test serves "1,2" with 1 deprecated to exercise the deprecation path).
 */
export const CURRENT_PROTOCOL_VERSION = '1';

/** Semantic versioning (§9.1): a major, optionally with a minor and a patch ("1", "1.2", "1.2.3"). Only the major selects. */
const VERSION = /^(0|[1-9]\d{0,3})(\.(0|[1-9]\d{0,5})){0,2}$/;

/** What a request is served: its major version, and whether that version is deprecated. */
export interface ServedVersion {
  version: string;
  deprecated: boolean;
}

/**
 * The protocol version policy (§9), one for both transports: which majors are served,
 * which of them are deprecated (still served, with a Deprecation header or metadata, a
 * warning in the log and a count in tally_deprecated_requests_total), and what a request
 * without a version gets (the current one, the highest served). A malformed version, or a
 * major not served, is DSE-001 naming the versions served.
 */
export class ProtocolVersionPolicy {
  readonly supported: readonly string[];
  readonly deprecated: readonly string[];
  readonly current: string;

  constructor(supported: readonly string[] = [CURRENT_PROTOCOL_VERSION], deprecated: readonly string[] = []) {
    if (supported.length === 0) throw new RangeError('at least one protocol version must be served');
    const unknown = deprecated.filter((v) => !supported.includes(v));
    if (unknown.length > 0) throw new RangeError(`deprecated protocol versions not served: ${unknown.join(', ')}`);
    this.supported = [...supported].sort((a, b) => Number(a) - Number(b));
    this.deprecated = [...deprecated];
    this.current = this.supported[this.supported.length - 1];
    if (this.deprecated.includes(this.current)) {
      throw new RangeError(`the current protocol version (${this.current}) cannot be deprecated`);
    }
  }

  /**
   * The version a request is served, from its X-Protocol-Version header or
   * dse-protocol-version metadata (undefined when absent; a header sent twice arrives as
   * an array and is refused).
   */
  negotiate(requested: string | readonly string[] | undefined): ServedVersion {
    if (requested === undefined) return { version: this.current, deprecated: false };
    const text = typeof requested === 'string' ? requested.trim() : undefined;
    if (text === undefined || !VERSION.test(text)) {
      throw new InvalidRequestError(
        `protocol version ${JSON.stringify(String(requested).slice(0, 40))} is malformed: ` +
          `send a major version (like "${this.current}"); supported: ${this.supported.join(', ')}`,
        { field: 'protocol_version', supported_versions: this.supported },
      );
    }
    const major = text.split('.')[0];
    if (!this.supported.includes(major)) {
      throw new InvalidRequestError(
        `protocol version ${major} is not supported; supported: ${this.supported.join(', ')}`,
        { field: 'protocol_version', supported_versions: this.supported },
      );
    }
    return { version: major, deprecated: this.deprecated.includes(major) };
  }
}

/** A comma-separated list of major versions, as PROTOCOL_VERSIONS and PROTOCOL_DEPRECATED_VERSIONS hold them. */
export const PROTOCOL_VERSION_LIST = /^\s*(0|[1-9]\d{0,3})\s*(,\s*(0|[1-9]\d{0,3})\s*)*$/;

const listOf = (text: string | undefined) =>
  (text ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');

/** The policy the environment configures (PROTOCOL_VERSIONS, PROTOCOL_DEPRECATED_VERSIONS). */
export function protocolVersionPolicy(env: {
  PROTOCOL_VERSIONS?: string;
  PROTOCOL_DEPRECATED_VERSIONS?: string;
}): ProtocolVersionPolicy {
  const supported = listOf(env.PROTOCOL_VERSIONS);
  return new ProtocolVersionPolicy(supported.length > 0 ? [...new Set(supported)] : [CURRENT_PROTOCOL_VERSION], [
    ...new Set(listOf(env.PROTOCOL_DEPRECATED_VERSIONS)),
  ]);
}
