import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadPackageDefinition, type GrpcObject, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync, type Options, type PackageDefinition } from '@grpc/proto-loader';

/**
 * The proto/ folder at the repository root: three levels up from this folder in the sources,
 * four from the built copy under dist/.
 */
export function protoRoot(): string {
  const found = [join(__dirname, '../../../../proto'), join(__dirname, '../../../../../proto')].find((dir) =>
    existsSync(join(dir, 'tally/dse/v1/jobs.proto')),
  );
  if (!found) throw new Error('the gRPC contract (proto/) is not beside the build: npm run build:js copies it');
  return found;
}

export const DSE_PROTO_FILES = [
  'tally/dse/v1/common.proto',
  'tally/dse/v1/jobs.proto',
  'tally/dse/v1/provers.proto',
  'tally/dse/v1/events.proto',
  'tally/dse/v1/errors.proto',
];

/**
 * How messages look in JavaScript, on the server and in the tests alike: field names as
 * written (snake_case, as REST's), int64 as decimal strings (exact past 2^53), enums by name,
 * every non-optional field present (a proto3 `optional` one only when set), oneofs named.
 */
export const PROTO_OPTIONS: Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

let cached: PackageDefinition | undefined;

export function dsePackageDefinition(): PackageDefinition {
  return (cached ??= loadSync(DSE_PROTO_FILES, { ...PROTO_OPTIONS, includeDirs: [protoRoot()] }));
}

export function dseServices(): { JobService: ServiceDefinition; ProverService: ServiceDefinition } {
  const v1 = ((loadPackageDefinition(dsePackageDefinition()).tally as GrpcObject).dse as GrpcObject).v1 as GrpcObject;
  return {
    JobService: decodingAsInput((v1.JobService as unknown as { service: ServiceDefinition }).service),
    ProverService: decodingAsInput((v1.ProverService as unknown as { service: ServiceDefinition }).service),
  };
}

/** Marks a request whose bytes are not its message (see decodingAsInput). */
export const UNDECODABLE = Symbol('undecodable request');

export interface UndecodableRequest {
  [UNDECODABLE]: string;
}

export function isUndecodable(request: unknown): request is UndecodableRequest {
  return typeof request === 'object' && request !== null && UNDECODABLE in request;
}

/**
 * grpc-js answers a request it cannot decode with INTERNAL, as if the server failed. Bytes that
 * are not the method's message are the client's bad input: the request is handed on marked, and
 * the call answers INVALID_ARGUMENT (DSE-001) as REST answers malformed JSON.
 */
function decodingAsInput(service: ServiceDefinition): ServiceDefinition {
  return Object.fromEntries(
    Object.entries(service).map(([name, method]) => [
      name,
      {
        ...method,
        requestDeserialize: (bytes: Buffer): unknown => {
          try {
            return method.requestDeserialize(bytes);
          } catch (error) {
            return { [UNDECODABLE]: error instanceof Error ? error.message : String(error) };
          }
        },
      },
    ]),
  ) as ServiceDefinition;
}
