import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Metadata, status } from '@grpc/grpc-js';
import { DomainError, ErrorCode, ForbiddenError, RateLimitedError, UnauthenticatedError } from '@tally/shared';
import { errorDetailOf, grpcStatusFor, toServiceError } from './grpc-errors';

describe('DSE codes as gRPC statuses', () => {
  // docs/errors.md is the table clients read: every code's row there says its status here.
  const doc = readFileSync(join(__dirname, '../../../../docs/errors.md'), 'utf8');
  const table = doc.slice(doc.indexOf('\n## gRPC\n'));
  const documented = new Map(
    [...table.matchAll(/^\| (DSE-\d{3}) \| [^|]+ \| `([A-Z_ /]+)` \|/gm)].map((m) => [m[1], m[2]]),
  );

  it.each(Object.values(ErrorCode))('%s has the status docs/errors.md gives it', (code) => {
    const statuses = [grpcStatusFor(new DomainError(code, 'x'))];
    if (code === ErrorCode.Unauthorized) statuses.push(grpcStatusFor(new ForbiddenError()));
    expect(statuses.map((s) => status[s]).join(' / ')).toBe(documented.get(code));
  });

  it('DSE-002: 401 is UNAUTHENTICATED, 403 PERMISSION_DENIED', () => {
    expect(grpcStatusFor(new UnauthenticatedError())).toBe(status.UNAUTHENTICATED);
    expect(grpcStatusFor(new ForbiddenError())).toBe(status.PERMISSION_DENIED);
  });

  it('carries the code in dse-code metadata and an ErrorDetail, with retry-after when a retry may succeed', () => {
    const error = toServiceError(new RateLimitedError(7));
    expect(error.code).toBe(status.RESOURCE_EXHAUSTED);
    const metadata = error.metadata as Metadata;
    expect(metadata.get('dse-code')).toEqual(['DSE-012']);
    expect(metadata.get('retry-after')).toEqual(['7']);
    expect(errorDetailOf(metadata)).toEqual({
      reason: 'DSE_012_RATE_LIMITED',
      code: 'DSE-012',
      title: 'Rate limited',
      detail: 'too many requests for this key',
      retry_after_seconds: 7,
      errors: [],
    });
  });
});
